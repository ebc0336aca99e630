/**
 * One page of AT's inbox over real HTTP against a local fake AT: what we put on the wire, what a
 * good answer maps to, and a clear InboxSyncError (never the body, which may carry numbers and
 * texts) for every way AT can fail us.
 */
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Agent } from 'undici';
import { fetchInboxPage, InboxSyncError } from '../../../../api/src/sms/services/africas-talking/inbox-fetch.js';
import type { AtSettings } from '../../../../api/src/sms/services/africas-talking/settings.js';
import type { ServiceContext } from '../../../../api/src/sms/types.js';

const API_KEY = 'unit-inbox-key-41c9';

interface Answer {
  status: number;
  body: string;
  delayMs?: number;
}

describe('AT inbox fetch (one page)', function () {
  let server: http.Server;
  let url: string;
  let answer: Answer;
  let seen: Array<{ path: string; headers: http.IncomingHttpHeaders }> = [];
  const agent = new Agent();

  before(async function () {
    server = http.createServer((req, res) => {
      seen.push({ path: req.url ?? '', headers: req.headers });
      setTimeout(() => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body);
      }, answer.delayMs ?? 0);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async function () {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await agent.close();
  });
  beforeEach(function () {
    seen = [];
  });

  const ctx = (): ServiceContext<AtSettings> => ({
    settings: { username: 'myapp' },
    credentials: { get: async () => API_KEY },
    http: agent,
    logger: pino({ level: 'silent' }),
    now: () => new Date(),
    timeoutMs: 300,
    env: { AT_API_URL: url },
  });

  it('asks with username, lastReceivedId, the apiKey header and Accept JSON; maps the page', async function () {
    answer = {
      status: 200,
      body: JSON.stringify({
        SMSMessageData: {
          Messages: [
            {
              linkId: 'SampleLinkId123',
              text: 'Hello',
              to: '28901',
              id: 15071,
              date: '2018-03-19T08:34:18.445Z',
              from: '+254711XXXYYY',
            },
            {
              linkId: '',
              text: 'Again',
              to: 28901,
              id: '15072',
              date: '2018-03-19T08:35:18.445Z',
              from: '+254711XXXYYY',
            },
          ],
        },
      }),
    };
    const page = await fetchInboxPage(ctx(), API_KEY, '15070');
    expect(seen[0]?.path).to.equal('/version1/messaging?username=myapp&lastReceivedId=15070');
    expect(seen[0]?.headers.apikey).to.equal(API_KEY);
    expect(seen[0]?.headers.accept).to.equal('application/json');
    expect(page).to.deep.equal([
      {
        id: '15071',
        from: '+254711XXXYYY',
        to: '28901',
        text: 'Hello',
        date: '2018-03-19T08:34:18.445Z',
        linkId: 'SampleLinkId123',
      },
      { id: '15072', from: '+254711XXXYYY', to: '28901', text: 'Again', date: '2018-03-19T08:35:18.445Z' },
    ]);
  });

  const failures: Array<[string, Answer, RegExp]> = [
    ['401', { status: 401, body: 'The supplied authentication is invalid' }, /HTTP 401/],
    ['500', { status: 500, body: 'Internal Server Error' }, /HTTP 500/],
    ['not JSON', { status: 200, body: '<html>Bad gateway +254711000001</html>' }, /not JSON/],
    [
      'JSON of another shape',
      { status: 200, body: '{"SMSMessageData":{"Recipients":[]}}' },
      /not SMSMessageData\.Messages/,
    ],
    [
      'a message without an id',
      { status: 200, body: '{"SMSMessageData":{"Messages":[{"from":"+254711000001","text":"secret words"}]}}' },
      /Messages\.0\.id/,
    ],
    [
      'an id that is not an integer',
      { status: 200, body: '{"SMSMessageData":{"Messages":[{"id":"abc","from":"x","text":"y"}]}}' },
      /Messages\.0\.id/,
    ],
    ['no answer in time', { status: 200, body: '{}', delayMs: 1000 }, /No answer from AT's inbox within 300 ms/],
  ];
  for (const [name, a, message] of failures) {
    it(`fails with a clear InboxSyncError: ${name}`, async function () {
      answer = a;
      const err = await fetchInboxPage(ctx(), API_KEY, '0').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(InboxSyncError);
      const text = (err as Error).message;
      expect(text).to.match(message);
      expect(text, 'no body content in the error').to.not.match(/254711000001|secret words/);
      expect(text).to.not.include(API_KEY);
    });
  }
});

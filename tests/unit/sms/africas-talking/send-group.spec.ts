/**
 * sendGroup and the service's send over real HTTP: a local fake AT (node:http) for HTTP-level
 * answers, the AT simulator for per-recipient codes and the hang mode, and undici's MockAgent
 * for the live/sandbox hosts (no request may reach the network). Every row checks the request
 * we put on the wire, the outcome, and that the API key reached no log line. Rows marked "CHT
 * service spec" port https://github.com/medic/cht-core/blob/master/api/tests/mocha/services/africas-talking.spec.js.
 */
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Agent, MockAgent, type Dispatcher } from 'undici';
import { startSimulator, type Simulator } from '../../../../shared-libs/at-simulator/index.js';
import { africasTalking } from '../../../../api/src/sms/services/africas-talking/index.js';
import {
  apiBaseUrl,
  formBody,
  LIVE_API_URL,
  SANDBOX_API_URL,
  sendGroup,
  type AtSettings,
} from '../../../../api/src/sms/services/africas-talking/sender.js';
import type { OutboundMessage, SendOutcome, ServiceContext } from '../../../../api/src/sms/types.js';

const API_KEY = 'unit-secret-api-key-7f3a';

interface Captured {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  form: Record<string, string>;
  raw: string;
}

interface FakeAt {
  url: string;
  requests: Captured[];
  answer: { status: number; body: string; type?: string };
  close(): Promise<void>;
}

async function startFakeAt(): Promise<FakeAt> {
  const fake: FakeAt = { url: '', requests: [], answer: { status: 201, body: '{}' }, close: async () => undefined };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      fake.requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        form: Object.fromEntries(new URLSearchParams(raw)),
        raw,
      });
      res.writeHead(fake.answer.status, { 'content-type': fake.answer.type ?? 'text/plain' });
      res.end(fake.answer.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return fake;
}

let logs = '';
const logger = pino(
  { level: 'trace' },
  new Writable({
    write: (c: Buffer, _e, cb) => {
      logs += c.toString();
      cb();
    },
  }),
);

function ctx(
  http: Dispatcher,
  settings: AtSettings,
  atApiUrl?: string,
  timeoutMs = 2000,
  key: string | null = API_KEY,
): ServiceContext<AtSettings> {
  return {
    settings,
    credentials: { get: async () => key ?? undefined },
    http,
    logger,
    now: () => new Date(),
    timeoutMs,
    env: { AT_API_URL: atApiUrl },
  };
}

const msg = (id: string, to: string, content = 'hello'): OutboundMessage => ({ id, to, content });
const kinds = (out: SendOutcome[]) => out.map((o) => (o.ok ? `ok:${o.state}` : `${o.error.kind}:${o.error.code}`));

/** Same checks for every request we made: AT's path, method, headers and form fields. */
function expectWire(r: Captured | undefined, form: Record<string, string>): void {
  expect(r, 'a request reached the fake AT').to.not.equal(undefined);
  if (!r) return;
  expect(r.method).to.equal('POST');
  expect(r.path).to.equal('/version1/messaging');
  expect(r.headers.apikey).to.equal(API_KEY);
  expect(r.headers.accept).to.equal('application/json');
  expect(r.headers['content-type']).to.match(/^application\/x-www-form-urlencoded/);
  expect(r.form).to.deep.equal(form);
  expect(r.raw).to.not.include('undefined');
}

describe('africas-talking sendGroup over HTTP', () => {
  let fake: FakeAt;
  let agent: Agent;
  before(async () => {
    fake = await startFakeAt();
    agent = new Agent({ connect: { timeout: 1000 } });
  });
  after(async () => {
    await fake.close();
    await agent.close();
  });
  beforeEach(() => {
    fake.requests = [];
    logs = '';
  });
  afterEach(() => {
    expect(logs).to.not.include(API_KEY);
  });

  const SETTINGS: AtSettings = { username: 'myapp', from: 'MEDIC' };
  const FORM = { username: 'myapp', to: '+254711000001', message: 'hello', from: 'MEDIC' };
  const OK = JSON.stringify({
    SMSMessageData: {
      Message: 'Sent to 1/1 Total Cost: KES 0.8000',
      Recipients: [
        {
          cost: 'KES 0.8000',
          messageId: 'ATXid_1',
          messageParts: 1,
          number: '+254711000001',
          status: 'Success',
          statusCode: 101,
        },
      ],
    },
  });
  const DND = JSON.stringify({
    SMSMessageData: {
      Message: 'Sent to 0/1 Total Cost: 0',
      Recipients: [
        { cost: '0', messageId: 'None', number: '+254711000001', status: 'DoNotDisturbRejection', statusCode: 409 },
      ],
    },
  });

  const httpRows: Array<{ name: string; status: number; body: string; type?: string; want: string; message?: RegExp }> =
    [
      { name: '201 JSON 101 → sent', status: 201, body: OK, type: 'application/json', want: 'ok:sent' },
      {
        name: 'HTTP 401 plain text (bad key) → account invalid_api_key',
        status: 401,
        body: 'The supplied authentication is invalid',
        want: 'account:invalid_api_key',
        message: /HTTP 401.*authentication is invalid/,
      },
      {
        name: 'HTTP 400 plain text → final http_400',
        status: 400,
        body: "Request is missing required form field 'to'",
        want: 'final:http_400',
        message: /missing required form field 'to'/,
      },
      { name: 'HTTP 429 → retryable http_429', status: 429, body: 'Too Many Requests', want: 'retryable:http_429' },
      { name: 'HTTP 500 → retryable http_500', status: 500, body: 'Internal Server Error', want: 'retryable:http_500' },
      { name: 'HTTP 503 → retryable http_503', status: 503, body: '', want: 'retryable:http_503' },
      {
        name: '201 with an HTML body → retryable unparseable_response',
        status: 201,
        body: '<html>Bad gateway</html>',
        type: 'text/html',
        want: 'retryable:unparseable_response',
      },
      {
        name: 'HTTP 409 with the JSON body (Nigeria DND window) → final 409 DoNotDisturbRejection',
        status: 409,
        body: DND,
        type: 'application/json',
        want: 'final:409',
        message: /^DoNotDisturbRejection$/,
      },
    ];
  for (const row of httpRows) {
    it(row.name, async () => {
      fake.answer = { status: row.status, body: row.body, type: row.type };
      const out = await sendGroup([msg('m1', '+254711000001')], ctx(agent, SETTINGS, fake.url), API_KEY);
      expect(fake.requests).to.have.length(1);
      expectWire(fake.requests[0], FORM);
      expect(kinds(out)).to.deep.equal([row.want]);
      const o = out[0];
      if (row.message && o && !o.ok) expect(o.error.message).to.match(row.message);
    });
  }

  it('`from` omitted when reply_to is unset (never "undefined")', async () => {
    fake.answer = { status: 201, body: OK };
    await sendGroup([msg('m1', '+254711000001')], ctx(agent, { username: 'myapp' }, fake.url), API_KEY);
    expectWire(fake.requests[0], { username: 'myapp', to: '+254711000001', message: 'hello' });
    expect(fake.requests[0]?.raw).to.not.match(/from=/);
  });

  it('AT_API_URL override (trailing slash) wins over the username', async () => {
    fake.answer = { status: 201, body: OK };
    await sendGroup([msg('m1', '+254711000001')], ctx(agent, { username: 'sandbox' }, `${fake.url}/`), API_KEY);
    expect(fake.requests[0]?.path).to.equal('/version1/messaging');
  });

  it('CHT service spec (deviation: one retryable outcome per message, not []): connection refused → retryable ECONNREFUSED, no throw', async () => {
    const closed = await startFakeAt();
    await closed.close();
    const out = await sendGroup(
      [msg('a', '+254711000001'), msg('b', '+254711000002')],
      ctx(agent, SETTINGS, closed.url),
      API_KEY,
    );
    expect(kinds(out)).to.deep.equal(['retryable:ECONNREFUSED', 'retryable:ECONNREFUSED']);
  });

  describe('against the simulator', () => {
    let sim: Simulator;
    before(async () => {
      sim = await startSimulator({ accounts: [{ username: 'sandbox', apiKey: API_KEY }], reports: { enabled: false } });
    });
    after(() => sim.close());
    beforeEach(() => {
      sim.reset();
      sim.configure({ acceptCode: 101, senders: null });
    });

    it('timeout (simulator hang, timeoutMs 150) → retryable timeout, within bounds', async () => {
      sim.configure({ hang: true });
      const t = Date.now();
      const out = await sendGroup(
        [msg('m1', '+254711000001')],
        ctx(agent, { username: 'sandbox' }, sim.url, 150),
        API_KEY,
      );
      expect(Date.now() - t).to.be.lessThan(1500);
      expect(kinds(out)).to.deep.equal(['retryable:timeout']);
      const o = out[0];
      if (o && !o.ok) expect(o.error.message).to.equal('No answer from AT within 150 ms');
    });

    it('every magic number in one request → each outcome by number', async () => {
      const codes = ['401', '402', '403', '404', '405', '406', '407', '409', '500', '501', '502'];
      const batch = [msg('ok', '+254711000123'), ...codes.map((c) => msg(`m${c}`, `+254711000${c}`))];
      const out = await sendGroup(batch, ctx(agent, { username: 'sandbox', from: 'MEDIC' }, sim.url), API_KEY);
      expect(sim.sent()).to.have.length(1);
      expect(sim.sent()[0]?.to).to.have.length(12);
      expect(kinds(out)).to.deep.equal([
        'ok:sent',
        'final:401',
        'account:402',
        'final:403',
        'final:404',
        'account:405',
        'final:406',
        'final:407',
        'final:409',
        'retryable:500',
        'retryable:501',
        'retryable:502',
      ]);
      const first = out[0];
      expect(first?.ok && first.gatewayRef).to.match(/^ATXid_[0-9a-f]{32}$/);
      expect(first?.ok && first.cost).to.equal('KES 0.8000');
      expect(first?.ok && first.parts).to.equal(1);
      const denied = out[6];
      expect(denied && !denied.ok && denied.error.state).to.equal('denied');
    });

    for (const code of [100, 101, 102] as const) {
      it(`acceptCode ${code} over HTTP → ${code === 100 ? 'forwarded-by-gateway' : code === 101 ? 'sent' : 'received-by-gateway'}`, async () => {
        sim.configure({ acceptCode: code });
        const out = await sendGroup(
          [msg('m1', '+254711000001')],
          ctx(agent, { username: 'sandbox' }, sim.url),
          API_KEY,
        );
        expect(kinds(out)).to.deep.equal([
          `ok:${code === 100 ? 'forwarded-by-gateway' : code === 101 ? 'sent' : 'received-by-gateway'}`,
        ]);
      });
    }

    it("simulator's InvalidSenderId (empty Recipients) → account", async () => {
      sim.configure({ senders: ['ONLY'] });
      const out = await sendGroup(
        [msg('m1', '+254711000001')],
        ctx(agent, { username: 'sandbox', from: 'MEDIC' }, sim.url),
        API_KEY,
      );
      expect(kinds(out)).to.deep.equal(['account:InvalidSenderId']);
    });

    it('CHT service spec: three texts 101 / 403 / 500 → three POSTs; sent, failed InvalidPhoneNumber, retry', async () => {
      const batch = [
        msg('a', '+254711000123', 'one'),
        msg('b', '+254711000403', 'two'),
        msg('c', '+254711000500', 'three'),
      ];
      const out = await africasTalking.send?.(batch, ctx(agent, { username: 'sandbox' }, sim.url));
      expect(sim.sent()).to.have.length(3);
      expect(kinds(out ?? [])).to.deep.equal(['ok:sent', 'final:403', 'retryable:500']);
      const b = out?.[1];
      expect(b && !b.ok && b.error.message).to.equal('InvalidPhoneNumber');
    });
  });
});

describe('africas-talking hosts (MockAgent: nothing reaches the network)', () => {
  let mock: MockAgent;
  let seen: Array<{ origin: string; path: string; headers: Record<string, string>; body: string }>;
  beforeEach(() => {
    mock = new MockAgent();
    mock.disableNetConnect();
    seen = [];
    for (const origin of [LIVE_API_URL, SANDBOX_API_URL]) {
      mock
        .get(origin)
        .intercept({ path: '/version1/messaging', method: 'POST' })
        .reply((o) => {
          seen.push({ origin, path: o.path, headers: o.headers as Record<string, string>, body: String(o.body) });
          return {
            statusCode: 201,
            data: JSON.stringify({
              SMSMessageData: {
                Message: 'Sent to 1/1',
                Recipients: [
                  {
                    statusCode: 101,
                    number: '+123',
                    status: 'Success',
                    cost: 'KES 0.8000',
                    messageId: 'ATPid_SampleTxnId123',
                  },
                ],
              },
            }),
          };
        })
        .persist();
    }
    logs = '';
  });
  afterEach(async () => {
    expect(logs).to.not.include('555');
    await mock.close();
  });

  const cases: Array<{ name: string; username: string; origin: string }> = [
    {
      name: 'CHT service spec: live username → https://api.africastalking.com/version1/messaging',
      username: 'user',
      origin: LIVE_API_URL,
    },
    {
      name: 'CHT service spec: username "sandbox" → https://api.sandbox.africastalking.com/version1/messaging',
      username: 'sandbox',
      origin: SANDBOX_API_URL,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const settings = africasTalking.parseSettings({ reply_to: '98765', africas_talking: { username: c.username } });
      const out = await africasTalking.send?.([msg('a', '+123')], ctx(mock, settings, undefined, 2000, '555'));
      expect(out).to.deep.equal([
        {
          id: 'a',
          ok: true,
          state: 'sent',
          details: 'Sent',
          providerCode: '101',
          gatewayRef: 'ATPid_SampleTxnId123',
          cost: 'KES 0.8000',
        },
      ]);
      expect(seen).to.have.length(1);
      expect(seen[0]?.origin).to.equal(c.origin);
      expect(seen[0]?.headers.apiKey).to.equal('555');
      expect(Object.fromEntries(new URLSearchParams(seen[0]?.body))).to.deep.equal({
        username: c.username,
        to: '+123',
        message: 'hello',
        from: '98765',
      });
    });
  }

  it('missing API key → account no_api_key, no HTTP request made', async () => {
    const out = await africasTalking.send?.(
      [msg('a', '+123'), msg('b', '+124')],
      ctx(mock, { username: 'user' }, undefined, 2000, null),
    );
    expect(kinds(out ?? [])).to.deep.equal(['account:no_api_key', 'account:no_api_key']);
    expect(seen).to.have.length(0);
  });

  it('apiBaseUrl: sandbox / live / override', () => {
    expect(apiBaseUrl({ username: 'sandbox' })).to.equal(SANDBOX_API_URL);
    expect(apiBaseUrl({ username: 'medic' })).to.equal(LIVE_API_URL);
    expect(apiBaseUrl({ username: 'medic' }, 'http://127.0.0.1:9/')).to.equal('http://127.0.0.1:9');
  });
});

describe('africas-talking parseSettings', () => {
  const rows: Array<{
    name: string;
    sms: Parameters<typeof africasTalking.parseSettings>[0];
    want: AtSettings | RegExp;
  }> = [
    {
      name: 'CHT service spec: no sms settings → error naming the username',
      sms: undefined,
      want: /sms\.africas_talking\.username is required/,
    },
    { name: 'empty username → error', sms: { africas_talking: { username: '  ' } }, want: /username is required/ },
    {
      name: 'no africas_talking block → error',
      sms: { outgoing_service: 'africas-talking', reply_to: 'MEDIC' },
      want: /username is required/,
    },
    {
      name: 'username and reply_to → both (trimmed)',
      sms: { reply_to: ' MEDIC ', africas_talking: { username: ' sandbox ' } },
      want: { username: 'sandbox', from: 'MEDIC' },
    },
    { name: 'reply_to unset → no from', sms: { africas_talking: { username: 'medic' } }, want: { username: 'medic' } },
    {
      name: 'reply_to empty → no from',
      sms: { reply_to: '', africas_talking: { username: 'medic' } },
      want: { username: 'medic' },
    },
  ];
  for (const r of rows) {
    it(r.name, () => {
      if (r.want instanceof RegExp) expect(() => africasTalking.parseSettings(r.sms)).to.throw(r.want);
      else expect(africasTalking.parseSettings(r.sms)).to.deep.equal(r.want);
    });
  }

  it('formBody never carries "undefined"', () => {
    expect(formBody({ username: 'u' }, ['+1', '+2'], 'hi there')).to.equal(
      'username=u&to=%2B1%2C%2B2&message=hi+there',
    );
  });
});

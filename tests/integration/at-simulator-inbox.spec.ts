/**
 * The AT simulator's inbox over real HTTP: the fetch API
 * (https://developers.africastalking.com/docs/sms/fetch_messages) paged by `lastReceivedId`, the
 * same ids in incoming callbacks (https://developers.africastalking.com/docs/sms/notifications),
 * the callback failure mode and seeded history.
 */
import { expect } from 'chai';
import { startSimulator, type InboxMessage, type Simulator } from '../../shared-libs/at-simulator/index.js';
import { startReceiver, type Receiver } from '../helpers/callback-receiver.js';

const KEY = 'inbox-test-key-456';
const USER = 'myapp';
const FIRST_ID = 15071;

interface FetchOptions {
  username?: string | null;
  apiKey?: string | null;
  extra?: Record<string, string>;
}

function fetchInbox(sim: Simulator, lastReceivedId?: number | string, o: FetchOptions = {}): Promise<Response> {
  const query = new URLSearchParams(o.extra);
  if (o.username !== null) query.set('username', o.username ?? USER);
  if (lastReceivedId !== undefined) query.set('lastReceivedId', String(lastReceivedId));
  const headers: Record<string, string> = { accept: 'application/json' };
  if (o.apiKey !== null) headers.apiKey = o.apiKey ?? KEY;
  return fetch(`${sim.url}/version1/messaging?${query.toString()}`, { headers });
}

async function page(sim: Simulator, lastReceivedId?: number): Promise<InboxMessage[]> {
  const res = await fetchInbox(sim, lastReceivedId);
  expect(res.status).to.equal(200);
  expect(res.headers.get('content-type')).to.match(/^application\/json/);
  const body = (await res.json()) as { SMSMessageData: { Messages: InboxMessage[] } };
  return body.SMSMessageData.Messages;
}

/** Reads the whole inbox as a client does: ask again with the last id until a page is empty. */
async function drain(sim: Simulator, from = 0): Promise<{ pages: number[]; ids: number[] }> {
  const pages: number[] = [];
  const ids: number[] = [];
  let last = from;
  for (;;) {
    const messages = await page(sim, last);
    if (messages.length === 0) return { pages, ids };
    pages.push(messages.length);
    ids.push(...messages.map((m) => m.id));
    last = messages[messages.length - 1].id;
  }
}

describe('AT simulator: inbox', function () {
  let sim: Simulator;
  let rcv: Receiver;

  before(async () => {
    sim = await startSimulator({ accounts: [{ username: USER, apiKey: KEY }], firstInboxId: FIRST_ID });
    rcv = await startReceiver();
  });
  after(async () => {
    await sim.close();
    await rcv.close();
  });
  beforeEach(() => {
    sim.reset();
    sim.configure({
      incomingUrl: `${rcv.url}/mo?key=k`,
      incomingCallbacks: 'deliver',
      incomingCallbackIds: 'inbox',
      inboxPageSize: 100,
    });
    rcv.received = [];
    rcv.respond = () => 200;
  });

  describe('fetch API', () => {
    it('returns AT fields in AT order; the callback carried the same id', async () => {
      const msg = { from: '+254711000001', text: 'P 12', to: '21512', linkId: 'L1' };
      const [result] = await sim.injectIncoming(msg);
      expect(result.id).to.equal(String(result.inboxId));
      const [message] = await page(sim);
      expect(Object.keys(message)).to.deep.equal(['linkId', 'text', 'to', 'id', 'date', 'from']);
      expect(message).to.include({ ...msg, id: result.inboxId });
      expect(message.id).to.be.a('number');
      expect(rcv.received[0].form.id).to.equal(String(message.id));
      // Same instant; the callback drops the milliseconds as AT's callbacks do.
      expect(message.date).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(rcv.received[0].form.date).to.equal(message.date.replace(/\.\d{3}Z$/, 'Z'));
    });

    it('numbers incoming messages from firstInboxId up, and shows no linkId as ""', async () => {
      const fresh = await startSimulator({ firstInboxId: FIRST_ID, incomingCallbacks: 'fail' });
      try {
        for (const text of ['a', 'b', 'c']) await fresh.injectIncoming({ from: '+254711000001', text });
        expect(fresh.inbox().map((m) => [m.id, m.linkId])).to.deep.equal([
          [FIRST_ID, ''],
          [FIRST_ID + 1, ''],
          [FIRST_ID + 2, ''],
        ]);
      } finally {
        await fresh.close();
      }
    });

    it('lastReceivedId absent or 0 reads from the beginning; otherwise only later ids, oldest first', async () => {
      const ids = sim.seedInbox({ count: 4 }).map((m) => m.id);
      expect((await page(sim)).map((m) => m.id)).to.deep.equal(ids);
      expect((await page(sim, 0)).map((m) => m.id)).to.deep.equal(ids);
      expect((await page(sim, ids[1])).map((m) => m.id)).to.deep.equal(ids.slice(2));
      expect(await page(sim, ids[3])).to.deep.equal([]);
    });

    it('pages by inboxPageSize until a page is empty', async () => {
      sim.configure({ inboxPageSize: 3 });
      sim.seedInbox({ count: 8 });
      const { pages, ids } = await drain(sim);
      expect(pages).to.deep.equal([3, 3, 2]);
      expect(ids).to.deep.equal(sim.inbox().map((m) => m.id));
    });

    it('pages 100 at a time by default', async () => {
      sim.seedInbox({ count: 150 });
      expect((await drain(sim)).pages).to.deep.equal([100, 50]);
    });

    it('ignores the keyword=undefined&shortCode=undefined the Node SDK adds', async () => {
      sim.seedInbox({ count: 2 });
      const res = await fetchInbox(sim, 0, { extra: { keyword: 'undefined', shortCode: 'undefined' } });
      expect(res.status).to.equal(200);
    });

    const authCases: Array<[string, FetchOptions]> = [
      ['wrong key', { apiKey: 'nope' }],
      ['missing key', { apiKey: null }],
      ['unknown username', { username: 'other' }],
    ];
    for (const [name, opts] of authCases) {
      it(`401 text/plain on ${name}`, async () => {
        const res = await fetchInbox(sim, 0, opts);
        expect(res.status).to.equal(401);
        expect(res.headers.get('content-type')).to.match(/^text\/plain/);
        expect(await res.text()).to.equal('The supplied authentication is invalid');
      });
    }

    const badRequests: Array<[string, number | string | undefined, FetchOptions, RegExp]> = [
      ['no username', 0, { username: null }, /missing required query parameter 'username'/],
      ['lastReceivedId not a number', 'abc', {}, /'lastReceivedId' was malformed/],
      ['negative lastReceivedId', '-1', {}, /'lastReceivedId' was malformed/],
    ];
    for (const [name, last, opts, message] of badRequests) {
      it(`400 text/plain on ${name}`, async () => {
        const res = await fetchInbox(sim, last, opts);
        expect(res.status).to.equal(400);
        expect(await res.text()).to.match(message);
      });
    }

    it('fetchFailNext answers the next GETs with that status, then recovers', async () => {
      sim.configure({ fetchFailNext: { status: 503, count: 1 } });
      expect((await fetchInbox(sim, 0)).status).to.equal(503);
      expect((await fetchInbox(sim, 0)).status).to.equal(200);
    });

    it('records each fetch with its query and status, api key masked', async () => {
      sim.seedInbox({ count: 2 });
      await fetchInbox(sim, 7);
      await fetchInbox(sim, 0, { apiKey: 'wrong' });
      const fetches = sim.fetches();
      expect(fetches.map((f) => [f.path, f.query.lastReceivedId, f.httpStatus, f.returned])).to.deep.equal([
        ['/version1/messaging', '7', 200, 2],
        ['/version1/messaging', '0', 401, undefined],
      ]);
      expect(JSON.stringify(fetches)).to.not.contain(KEY).and.to.not.contain('wrong');
    });
  });

  describe('callback ids and failures', () => {
    it("incomingCallbackIds 'uuid': the callback has a UUID, the fetch API the integer", async () => {
      sim.configure({ incomingCallbackIds: 'uuid' });
      const [result] = await sim.injectIncoming({ from: '+254711000003', text: 'hello' });
      expect(result.id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      const form = rcv.received[0].form;
      const [message] = await page(sim);
      expect(form.id).to.equal(result.id);
      expect(message.id).to.equal(result.inboxId);
      // What ties them together for a (from, to, text, date) dedupe:
      expect([form.from, form.to, form.text]).to.deep.equal([message.from, message.to, message.text]);
      expect(Date.parse(form.date)).to.equal(Math.floor(Date.parse(message.date) / 1000) * 1000);
    });

    it('a caller-chosen id goes in the callback; the inbox still numbers the message', async () => {
      const given = { from: '+254711000004', text: 'x', id: 'given-1', date: '2017-05-03 06:04:45' };
      const [result] = await sim.injectIncoming(given);
      expect(result.id).to.equal('given-1');
      const [message] = await page(sim);
      expect(message).to.include({ id: result.inboxId, date: '2017-05-03 06:04:45' });
      expect(rcv.received[0].form).to.include({ id: 'given-1', date: '2017-05-03 06:04:45' });
    });

    it('copies are one message in the inbox', async () => {
      const results = await sim.injectIncoming({ from: '+254711000005', text: 'x', copies: 3, concurrent: true });
      expect(new Set(results.map((r) => r.inboxId)).size).to.equal(1);
      expect(rcv.received).to.have.length(3);
      expect(await page(sim)).to.have.length(1);
    });

    it("incomingCallbacks 'fail': nothing is posted, the inbox is the only way in", async () => {
      sim.configure({ incomingCallbacks: 'fail', incomingUrl: null });
      const results = await sim.injectIncoming({ from: '+254711000006', text: 'only in the inbox', copies: 2 });
      expect(results.map((r) => [r.httpStatus, r.error])).to.deep.equal([
        [0, 'not delivered: incomingCallbacks is "fail"'],
        [0, 'not delivered: incomingCallbacks is "fail"'],
      ]);
      expect(rcv.received).to.have.length(0);
      expect(sim.incoming().map((r) => [r.inboxId, r.httpStatus])).to.deep.equal([
        [results[0].inboxId, 0],
        [results[0].inboxId, 0],
      ]);
      expect((await page(sim)).map((m) => m.text)).to.deep.equal(['only in the inbox']);
    });

    it('an unreachable callback still leaves the message in the inbox', async () => {
      sim.configure({ incomingUrl: 'http://127.0.0.1:1/mo' });
      const [result] = await sim.injectIncoming({ from: '+254711000007', text: 'x' });
      expect(result.httpStatus).to.equal(0);
      expect(result.error).to.be.a('string');
      expect((await page(sim)).map((m) => m.id)).to.deep.equal([result.inboxId]);
    });

    it("'deliver' without an incomingUrl refuses and stores nothing", async () => {
      sim.configure({ incomingUrl: null });
      const err = await sim.injectIncoming({ from: '+254711000008', text: 'x' }).catch((e: unknown) => e);
      expect((err as Error).message).to.match(/incomingUrl is not configured/);
      expect(sim.inbox()).to.deep.equal([]);
    });
  });

  describe('seeded history and control endpoints', () => {
    const post = (path: string, value: unknown): Promise<Response> =>
      fetch(`${sim.url}/simulator/${path}`, { method: 'POST', body: JSON.stringify(value) });

    it('POST /simulator/inbox {count} adds old messages a minute apart, without callbacks', async () => {
      const t0 = Date.now();
      const res = await post('inbox', { count: 3, from: '+254711000009' });
      expect(res.status).to.equal(200);
      const seeded = (await res.json()) as InboxMessage[];
      expect(seeded.map((m) => m.text)).to.deep.equal(['old message 1', 'old message 2', 'old message 3']);
      expect(seeded.map((m) => m.id)).to.deep.equal([seeded[0].id, seeded[0].id + 1, seeded[0].id + 2]);
      expect(seeded.every((m) => m.from === '+254711000009' && m.to === '20414')).to.equal(true);
      const dates = seeded.map((m) => Date.parse(m.date));
      expect(dates[1] - dates[0]).to.equal(60_000);
      expect(dates[2]).to.be.below(t0 + 1000);
      expect(rcv.received).to.have.length(0);
      expect(await page(sim)).to.deep.equal(seeded);
    });

    it('POST /simulator/inbox {messages} stores them as given', async () => {
      const given = { from: '+254711000010', to: '40100', text: 'hi', date: '2020-01-02T03:04:05.678Z', linkId: 'L9' };
      const seeded = (await (await post('inbox', { messages: [given, {}] })).json()) as InboxMessage[];
      expect(seeded[0]).to.deep.equal({ ...given, id: seeded[0].id });
      expect(Object.keys(seeded[0])).to.deep.equal(['linkId', 'text', 'to', 'id', 'date', 'from']);
      expect(seeded[1]).to.include({ text: 'old message 2', from: '+254700000001', linkId: '' });
      expect((await (await fetch(`${sim.url}/simulator/inbox`)).json()) as unknown[]).to.have.length(2);
    });

    const bad: Array<[string, unknown, RegExp]> = [
      ['count 0', { count: 0 }, /'count'/],
      ['no count or messages', {}, /'count'/],
      ['both', { count: 1, messages: [] }, /either 'count' or 'messages'/],
      ['messages not an array', { messages: 'x' }, /'messages'/],
      ['a field not a string', { messages: [{ text: 1 }] }, /'messages\[0\]\.text'/],
    ];
    for (const [name, body, message] of bad) {
      it(`POST /simulator/inbox 400: ${name}`, async () => {
        const res = await post('inbox', body);
        expect(res.status).to.equal(400);
        expect(((await res.json()) as { error: string }).error).to.match(message);
      });
    }

    it('reset empties the inbox; ids keep counting up', async () => {
      const [before] = sim.seedInbox({ count: 1 });
      sim.reset();
      expect(await page(sim)).to.deep.equal([]);
      const [afterReset] = sim.seedInbox({ count: 1 });
      expect(afterReset.id).to.equal(before.id + 1);
    });

    it('GET /simulator/fetches lists the fetches', async () => {
      await fetchInbox(sim, 0);
      expect((await (await fetch(`${sim.url}/simulator/fetches`)).json()) as unknown[]).to.have.length(1);
    });
  });

  it('without firstInboxId, ids start from the clock (above any earlier run)', async () => {
    const t0 = Date.now();
    const other = await startSimulator({ incomingCallbacks: 'fail' });
    try {
      const [result] = await other.injectIncoming({ from: '+254711000011', text: 'x' });
      expect(result.inboxId).to.be.at.least(t0);
      expect(Number.isSafeInteger(result.inboxId)).to.equal(true);
    } finally {
      await other.close();
    }
  });

  it('refuses a firstInboxId that is not a positive integer', async () => {
    const err = await startSimulator({ firstInboxId: 0 }).catch((e: unknown) => e);
    expect((err as Error).message).to.match(/firstInboxId/);
  });
});

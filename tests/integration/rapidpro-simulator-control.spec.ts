/**
 * The RapidPro simulator's test levers over real HTTP: fault modes, incoming messages posted the
 * way CHT's documented RapidPro flow posts them
 * (https://docs.communityhealthtoolkit.org/building/messaging/gateways/rapidpro/), the control
 * endpoints and the CLI.
 */
import { expect } from 'chai';
import {
  startRapidProSimulator,
  type Broadcast,
  type Message,
  type RapidProSimulator,
} from '../../shared-libs/rapidpro-simulator/index.js';
import { startReceiver, type Receiver } from '../helpers/callback-receiver.js';
import { startProcess } from '../helpers/processes.js';
import { RapidProClient } from '../helpers/rapidpro-client.js';

const TOKEN = 'rp-secret-token-0003';
const INCOMING_TOKEN = 'cht-incoming-key-0004';

describe('RapidPro simulator: faults, incoming, control', function () {
  let sim: RapidProSimulator;
  let rcv: Receiver;
  let rp: RapidProClient;
  const api = (...args: Parameters<RapidProClient['api']>): Promise<Response> => rp.api(...args);
  const broadcast = (urns: string[], text?: string): Promise<Broadcast> => rp.broadcast(urns, text);

  before(async () => {
    [sim, rcv] = await Promise.all([startRapidProSimulator({ tokens: [TOKEN] }), startReceiver()]);
    rp = new RapidProClient(sim.url, TOKEN);
  });
  after(() => Promise.all([sim.close(), rcv.close()]));
  beforeEach(() => {
    sim.reset();
    sim.configure({ stepDelayMs: null, incomingUrl: null, incomingToken: null, retryAfterSeconds: 1 });
    rcv.received = [];
    rcv.respond = () => 200;
  });

  describe('faults', () => {
    const ok = { urns: ['tel:+254700000001'], text: 'x' };

    it('failNext answers 400/429/500 as RapidPro would, then recovers', async () => {
      sim.configure({ failNext: { status: 400, count: 1 } });
      const r400 = await api('POST', '/api/v2/broadcasts.json', ok);
      expect([r400.status, await r400.json()]).to.deep.equal([400, { detail: 'Simulated failure (400)' }]);
      sim.configure({ failNext: { status: 500, count: 1 } });
      const r500 = await api('POST', '/api/v2/broadcasts.json', ok);
      expect([r500.status, r500.headers.get('content-type'), await r500.text()]).to.deep.equal([
        500,
        'text/html',
        '<h1>Server Error (500)</h1>',
      ]);
      sim.configure({ failNext: { status: 429, count: 2 }, retryAfterSeconds: 12 });
      for (let i = 0; i < 2; i++) {
        const r429 = await api('GET', '/api/v2/messages.json');
        expect(r429.status).to.equal(429);
        expect(r429.headers.get('retry-after')).to.equal('12');
        expect(await r429.json()).to.deep.equal({ detail: 'Request was throttled. Expected available in 12 seconds.' });
      }
      expect(sim.config().failNext).to.equal(null);
      expect((await api('POST', '/api/v2/broadcasts.json', ok)).status).to.equal(201);
    });

    it('rate429 throttles authenticated requests with Retry-After', async () => {
      sim.configure({ rate429: 1 });
      const res = await api('GET', '/api/v2/messages.json');
      expect([res.status, res.headers.get('retry-after')]).to.deep.equal([429, '1']);
      expect((await api('GET', '/api/v2/messages.json', undefined, 'wrong')).status).to.equal(403);
    });

    it('latencyMs delays the answer', async () => {
      sim.configure({ latencyMs: 120 });
      const t0 = Date.now();
      expect((await api('GET', '/api/v2/messages.json')).status).to.equal(200);
      expect(Date.now() - t0).to.be.at.least(110);
    });
  });

  describe('incoming messages', () => {
    it('posts {id, from, content} JSON with Authorization: Token <incoming token>', async () => {
      sim.configure({ incomingUrl: `${rcv.url}/api/v2/sms/rapidpro/incoming-messages`, incomingToken: INCOMING_TOKEN });
      rcv.answerBody = '{"saved":1}';
      const results = await sim.injectIncoming({ from: '+254700000001', text: 'P 12' });
      expect(results).to.deep.equal([{ id: results[0].id, httpStatus: 200, body: '{"saved":1}' }]);
      expect(results[0].id).to.match(/^[0-9a-f-]{36}$/);
      const [r] = rcv.received;
      expect(r.path).to.equal('/api/v2/sms/rapidpro/incoming-messages');
      expect(r.headers.authorization).to.equal(`Token ${INCOMING_TOKEN}`);
      expect(r.headers['content-type']).to.equal('application/json');
      expect(JSON.parse(r.body)).to.deep.equal({ id: results[0].id, from: '+254700000001', content: 'P 12' });
    });

    it('copies repeat the same id, also concurrently; no token configured → no Authorization', async () => {
      sim.configure({ incomingUrl: `${rcv.url}/in` });
      const body = { from: '+254700000001', text: 'x', id: 'run-1', copies: 3, concurrent: true };
      const res = await fetch(`${sim.url}/simulator/incoming`, { method: 'POST', body: JSON.stringify(body) });
      expect(res.status).to.equal(200);
      expect(((await res.json()) as Array<{ id: string }>).map((x) => x.id)).to.deep.equal(['run-1', 'run-1', 'run-1']);
      expect(rcv.received.every((x) => x.headers.authorization === undefined)).to.equal(true);
      expect(
        sim
          .incoming()
          .map((x) => x.copy)
          .sort(),
      ).to.deep.equal([1, 2, 3]);
    });

    it('400 without incomingUrl or without from', async () => {
      const post = (body: unknown): Promise<Response> =>
        fetch(`${sim.url}/simulator/incoming`, { method: 'POST', body: JSON.stringify(body) });
      expect(((await (await post({ from: '+254700000001', text: 'x' })).json()) as { error: string }).error).to.match(
        /incomingUrl/,
      );
      sim.configure({ incomingUrl: `${rcv.url}/in` });
      const res = await post({ text: 'x' });
      expect([res.status, ((await res.json()) as { error: string }).error]).to.deep.equal([400, "'from' is required"]);
    });
  });

  describe('control endpoints', () => {
    const control = (method: string, path: string, body?: unknown): Promise<Response> =>
      fetch(`${sim.url}/simulator/${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });

    it('GET config masks the tokens; PUT of the masked config keeps them', async () => {
      sim.configure({ incomingToken: INCOMING_TOKEN });
      const text = await (await control('GET', 'config')).text();
      expect(text).to.not.contain(TOKEN).and.not.contain(INCOMING_TOKEN);
      expect(JSON.parse(text)).to.include({ incomingToken: '***' });
      expect((await control('PUT', 'config', JSON.parse(text))).status).to.equal(200);
      expect((await api('GET', '/api/v2/messages.json')).status).to.equal(200);
    });

    const bad: Array<[string, unknown, RegExp]> = [
      ['negative stepDelayMs', { stepDelayMs: -1 }, /'stepDelayMs'/],
      ['empty tokens', { tokens: [] }, /'tokens'/],
      ['unknown field', { speed: 1 }, /unknown config field 'speed'/],
    ];
    for (const [name, body, message] of bad) {
      it(`PUT config 400: ${name}`, async () => {
        const res = await control('PUT', 'config', body);
        expect(res.status).to.equal(400);
        expect(((await res.json()) as { error: string }).error).to.match(message);
      });
    }

    it('GET broadcasts shows messages as they are; POST advance moves one broadcast', async () => {
      const a = await broadcast(['tel:+254700000001']);
      const b = await broadcast(['tel:+254700000002']);
      const moved = (await (await control('POST', 'advance', { broadcast: a.id, steps: 2 })).json()) as Message[];
      expect(moved.map((m) => [m.broadcast, m.status])).to.deep.equal([[a.id, 'sent']]);
      const views = (await (await control('GET', 'broadcasts')).json()) as Array<Broadcast & { messages: Message[] }>;
      expect(views.map((v) => [v.id, v.messages.map((m) => m.status)])).to.deep.equal([
        [b.id, ['queued']],
        [a.id, ['sent']],
      ]);
      expect((await control('POST', 'advance', { steps: 0 })).status).to.equal(400);
    });

    it('records API requests without the token', async () => {
      await broadcast(['tel:+254700000001']);
      await api('GET', '/api/v2/messages.json?broadcast=1', undefined, 'wrong-token');
      await api('GET', '/api/v2/messages.json', undefined, null);
      const records = (await (await control('GET', 'requests')).json()) as Array<Record<string, unknown>>;
      expect(records.map((r) => [r.method, r.url, r.auth, r.httpStatus])).to.deep.equal([
        ['POST', '/api/v2/broadcasts.json', 'valid', 201],
        ['GET', '/api/v2/messages.json?broadcast=1', 'invalid', 403],
        ['GET', '/api/v2/messages.json', 'none', 403],
      ]);
      expect(records[0].body).to.deep.equal({ urns: ['tel:+254700000001'], text: 'hello' });
      expect(JSON.stringify(records)).to.not.contain(TOKEN).and.not.contain('wrong-token');
    });

    it('reset clears broadcasts and records and restores fault settings', async () => {
      await broadcast(['tel:+254700000001']);
      sim.configure({ failNext: { status: 500, count: 5 } });
      expect((await control('POST', 'reset')).status).to.equal(200);
      expect(sim.broadcasts()).to.deep.equal([]);
      expect(sim.requests()).to.deep.equal([]);
      expect(sim.config().failNext).to.equal(null);
    });
  });

  it('without firstId, ids start from the clock', async () => {
    const t0 = Date.now();
    const other = await startRapidProSimulator();
    try {
      const res = await fetch(`${other.url}/api/v2/broadcasts.json`, {
        method: 'POST',
        headers: { authorization: 'Token rapidpro-api-token', 'content-type': 'application/json' },
        body: JSON.stringify({ urns: ['tel:+254700000001'], text: 'x' }),
      });
      expect(((await res.json()) as Broadcast).id).to.be.at.least(t0);
    } finally {
      await other.close();
    }
  });

  describe('CLI', () => {
    it('prints the listening line first, never the tokens, serves, exits 0 on SIGTERM', async () => {
      const cli = ['--import', 'tsx', 'shared-libs/rapidpro-simulator/cli.ts', '--port', '0', '--step-delay', 'manual'];
      const env = { RAPIDPRO_SIMULATOR_TOKENS: 'cli-token-1', RAPIDPRO_SIMULATOR_INCOMING_TOKEN: 'cli-incoming-2' };
      const proc = startProcess(process.execPath, [...cli, '--incoming-url', 'http://127.0.0.1:9/in'], env);
      try {
        const [first, url] = await proc.waitFor(/^RapidPro simulator listening on (http:\/\/127\.0\.0\.1:\d+)$/m);
        expect(proc.output().startsWith(first)).to.equal(true);
        await proc.waitFor(/magic numbers/);
        expect(proc.output()).to.contain('steps:      manual');
        expect(proc.output()).to.not.contain('cli-token-1').and.not.contain('cli-incoming-2');
        const res = await fetch(`${url}/api/v2/messages.json`, { headers: { authorization: 'Token cli-token-1' } });
        expect(res.status).to.equal(200);
      } finally {
        expect(await proc.stop()).to.equal(0);
      }
    });
  });
});

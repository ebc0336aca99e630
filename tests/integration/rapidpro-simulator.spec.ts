/**
 * The RapidPro simulator over real HTTP: API v2 broadcasts and messages as CHT uses them
 * (https://rapidpro.io/api/v2/, https://github.com/medic/cht-core/blob/master/api/src/services/rapidpro.js),
 * status progression and magic numbers, paging, faults, incoming messages, control endpoints, CLI.
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

const TOKEN = 'rp-secret-token-0001';
const INCOMING_TOKEN = 'cht-incoming-key-0002';

interface Page<T> {
  next: string | null;
  previous: null;
  results: T[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('RapidPro simulator', function () {
  let sim: RapidProSimulator;
  let rcv: Receiver;

  function api(method: string, path: string, body?: unknown, token: string | null = TOKEN): Promise<Response> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== null) headers.authorization = `Token ${token}`;
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    return fetch(path.startsWith('http') ? path : `${sim.url}${path}`, init);
  }

  async function broadcast(urns: string[], text = 'hello'): Promise<Broadcast> {
    const res = await api('POST', '/api/v2/broadcasts.json', { urns, text });
    expect(res.status).to.equal(201);
    return (await res.json()) as Broadcast;
  }

  async function messages(query = ''): Promise<Page<Message>> {
    const res = await api('GET', `/api/v2/messages.json${query}`);
    expect(res.status).to.equal(200);
    return (await res.json()) as Page<Message>;
  }

  /** The statuses one message goes through when advanced by hand until it stops moving. */
  async function journey(urn: string): Promise<string[]> {
    const b = await broadcast([urn]);
    const seen = [(await messages(`?broadcast=${b.id}`)).results[0].status as string];
    while (sim.advance({ broadcast: b.id }).length > 0) {
      seen.push((await messages(`?broadcast=${b.id}`)).results[0].status);
    }
    return seen;
  }

  before(async () => {
    [sim, rcv] = await Promise.all([startRapidProSimulator({ tokens: [TOKEN], firstId: 1000 }), startReceiver()]);
  });
  after(() => Promise.all([sim.close(), rcv.close()]));
  beforeEach(() => {
    sim.reset();
    sim.configure({ stepDelayMs: null, pageSize: 250, incomingUrl: null, incomingToken: null, retryAfterSeconds: 1 });
    rcv.received = [];
    rcv.respond = () => 200;
  });

  describe('POST /api/v2/broadcasts.json', () => {
    it('answers 201 with the broadcast, queued', async () => {
      const res = await api('POST', '/api/v2/broadcasts.json', { urns: ['tel:+254700000001'], text: 'hi' });
      expect(res.status).to.equal(201);
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      const b = (await res.json()) as Broadcast;
      expect(Object.keys(b)).to.deep.equal(['id', 'urns', 'contacts', 'groups', 'text', 'status', 'created_on']);
      expect(b).to.deep.include({ urns: ['tel:+254700000001'], contacts: [], groups: [], text: 'hi' });
      expect(b.status).to.equal('queued');
      expect(b.id).to.be.a('number');
      expect(b.created_on).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    });

    it('also answers without the .json suffix; other methods get 405', async () => {
      const res201 = await api('POST', '/api/v2/broadcasts', { urns: ['tel:+254700000001'], text: 'x' });
      expect(res201.status).to.equal(201);
      const res = await api('DELETE', '/api/v2/broadcasts.json');
      expect(res.status).to.equal(405);
      expect(await res.json()).to.deep.equal({ detail: 'Method "DELETE" not allowed.' });
    });

    const auth: Array<[string, string | null, string]> = [
      ['no token', null, 'Authentication credentials were not provided.'],
      ['a wrong token', 'nope', 'Invalid token'],
    ];
    for (const [name, token, detail] of auth) {
      it(`403 {detail} with ${name}`, async () => {
        const res = await api('POST', '/api/v2/broadcasts.json', { urns: ['tel:+254700000001'], text: 'x' }, token);
        expect(res.status).to.equal(403);
        expect(await res.json()).to.deep.equal({ detail });
        expect((await api('GET', '/api/v2/messages.json', undefined, token)).status).to.equal(403);
      });
    }

    it('403 for a header that is not `Token <key>`', async () => {
      const res = await fetch(`${sim.url}/api/v2/messages.json`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect([res.status, await res.json()]).to.deep.equal([403, { detail: 'Invalid token' }]);
    });

    const invalid: Array<[string, unknown, Record<string, string[]>]> = [
      ['no text', { urns: ['tel:+254700000001'] }, { text: ['This field is required.'] }],
      ['no urns', { text: 'hi' }, { non_field_errors: ['Must provide either urns, contacts or groups'] }],
      ['empty urns', { text: 'hi', urns: [] }, { non_field_errors: ['Must provide either urns, contacts or groups'] }],
      [
        'a urn without country code',
        { text: 'hi', urns: ['tel:0712345678'] },
        { urns: ['Invalid URN: tel:0712345678. Ensure phone numbers contain country codes.'] },
      ],
      [
        'a urn that is not tel:',
        { text: 'hi', urns: ['+254700000001'] },
        { urns: ['Invalid URN: +254700000001. Ensure phone numbers contain country codes.'] },
      ],
      [
        'urns not a list',
        { text: 'hi', urns: 'tel:+254700000001' },
        { urns: ['Expected a list of items but got type "str".'] },
      ],
      [
        'text too long',
        { text: 'x'.repeat(641), urns: ['tel:+254700000001'] },
        { text: ['Ensure this field has no more than 640 characters.'] },
      ],
      [
        '101 urns',
        { text: 'hi', urns: Array.from({ length: 101 }, (_, i) => `tel:+2547000${String(i).padStart(5, '0')}`) },
        { urns: ['Ensure this field has no more than 100 elements.'] },
      ],
      ['contacts', { text: 'hi', contacts: ['abc'] }, { contacts: ['No such object: abc'] }],
      ['a list body', [1], { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] }],
    ];
    for (const [name, body, errors] of invalid) {
      it(`400 on ${name}`, async () => {
        const res = await api('POST', '/api/v2/broadcasts.json', body);
        expect(res.status).to.equal(400);
        expect(await res.json()).to.deep.equal(errors);
      });
    }

    it('400 {detail} on a body that is not JSON', async () => {
      const res = await api('POST', '/api/v2/broadcasts.json', '{nope');
      expect(res.status).to.equal(400);
      expect(((await res.json()) as { detail: string }).detail).to.match(/^JSON parse error/);
    });
  });

  describe('GET /api/v2/messages.json', () => {
    it('one message per distinct urn, in RapidPro shape; ?broadcast= selects them', async () => {
      const other = await broadcast(['tel:+254700000009']);
      const b = await broadcast(['tel:+254700000001', 'tel:+254700000002', 'tel:+254700000001'], 'hi there');
      const page = await messages(`?broadcast=${b.id}`);
      expect(page.next).to.equal(null);
      expect(page.previous).to.equal(null);
      expect(page.results.map((m) => m.urn)).to.deep.equal(['tel:+254700000002', 'tel:+254700000001']);
      const m = page.results[1];
      expect(Object.keys(m)).to.deep.equal([
        'id', 'broadcast', 'contact', 'urn', 'channel', 'direction', 'type', 'status', 'visibility', 'text',
        'labels', 'attachments', 'created_on', 'sent_on', 'modified_on',
      ]);
      expect(m).to.deep.include({
        broadcast: b.id,
        direction: 'out',
        type: 'text',
        status: 'queued',
        visibility: 'visible',
        text: 'hi there',
        labels: [],
        attachments: [],
        sent_on: null,
      });
      expect(m.contact.uuid).to.match(/^[0-9a-f-]{36}$/);
      expect(m.created_on).to.equal(b.created_on);
      expect(m.modified_on).to.equal(b.created_on);
      expect((await messages(`?broadcast=${other.id}`)).results).to.have.length(1);
      expect((await messages()).results).to.have.length(3);
    });

    it('keeps one contact per urn across broadcasts; broadcast and message ids never clash', async () => {
      const a = await broadcast(['tel:+254700000001']);
      const b = await broadcast(['tel:+254700000001']);
      const [ma] = (await messages(`?broadcast=${a.id}`)).results;
      const [mb] = (await messages(`?broadcast=${b.id}`)).results;
      expect(ma.contact.uuid).to.equal(mb.contact.uuid);
      expect(new Set([a.id, b.id, ma.id, mb.id]).size).to.equal(4);
      expect((await messages(`?id=${ma.id}`)).results.map((m) => m.id)).to.deep.equal([ma.id]);
    });

    it('400 {detail} when broadcast or id is not an integer', async () => {
      for (const q of ['?broadcast=abc', '?id=1.5']) {
        const res = await api('GET', `/api/v2/messages.json${q}`);
        expect(res.status).to.equal(400);
        expect(((await res.json()) as { detail: string }).detail).to.match(/must be an integer/);
      }
    });

    it('pages newest first through `next` URLs', async () => {
      sim.configure({ pageSize: 3 });
      const b = await broadcast(Array.from({ length: 7 }, (_, i) => `tel:+25470000010${i}`));
      const sizes: number[] = [];
      const ids: number[] = [];
      let url: string | null = `${sim.url}/api/v2/messages.json?broadcast=${b.id}`;
      while (url) {
        const page = (await (await api('GET', url)).json()) as Page<Message>;
        sizes.push(page.results.length);
        ids.push(...page.results.map((m) => m.id));
        const nextPattern = new RegExp(`^${sim.url}/api/v2/messages\\.json\\?broadcast=${b.id}&cursor=`);
        if (page.next) expect(page.next).to.match(nextPattern);
        url = page.next;
      }
      expect(sizes).to.deep.equal([3, 3, 1]);
      expect(ids).to.deep.equal([...ids].sort((x, y) => y - x));
      expect(new Set(ids).size).to.equal(7);
    });

    it('pages 250 at a time by default', async () => {
      for (let i = 0; i < 3; i++) {
        await broadcast(Array.from({ length: 100 }, (_, j) => `tel:+2547${i}00000${String(j).padStart(3, '0')}`));
      }
      const first = await messages();
      expect(first.results).to.have.length(250);
      expect(((await (await api('GET', first.next ?? '')).json()) as Page<Message>).results).to.have.length(50);
    });

    it('404 {detail: "Invalid cursor"} for a cursor it did not make', async () => {
      const res = await api('GET', '/api/v2/messages.json?cursor=garbage');
      expect([res.status, await res.json()]).to.deep.equal([404, { detail: 'Invalid cursor' }]);
    });

    it('filters on created_on with inclusive before/after; a bad date matches nothing', async () => {
      const a = await broadcast(['tel:+254700000001']);
      await sleep(15);
      const b = await broadcast(['tel:+254700000002']);
      const ids = async (q: string): Promise<number[]> => (await messages(q)).results.map((m) => m.broadcast ?? 0);
      expect(await ids(`?after=${encodeURIComponent(b.created_on)}`)).to.deep.equal([b.id]);
      expect(await ids(`?before=${encodeURIComponent(a.created_on)}`)).to.deep.equal([a.id]);
      // No zone: UTC, as RapidPro reads it.
      const noZone = b.created_on.replace(/\d{3}Z$/, '');
      expect(await ids(`?after=${encodeURIComponent(noZone)}`)).to.deep.equal([b.id]);
      expect(await ids('?after=yesterday')).to.deep.equal([]);
    });
  });

  describe('statuses', () => {
    const journeys: Array<[string, string[]]> = [
      ['tel:+254700000001', ['queued', 'wired', 'sent', 'delivered']],
      ['tel:+254700000598', ['queued', 'wired', 'failed']],
      ['tel:+254700000597', ['queued', 'errored', 'wired', 'sent', 'delivered']],
      ['tel:+254700000596', ['queued', 'errored', 'errored', 'failed']],
      ['tel:+254700000595', ['queued', 'wired', 'sent']],
      ['tel:+254700000594', ['queued', 'wired', 'sent', 'resent', 'delivered']],
      ['tel:+254700000593', ['queued']],
    ];
    for (const [urn, statuses] of journeys) {
      it(`${urn}: ${statuses.join(' → ')}`, async () => {
        expect(await journey(urn)).to.deep.equal(statuses);
      });
    }

    it('advance over time every stepDelayMs; sent_on from the first wired, modified_on per step', async () => {
      sim.configure({ stepDelayMs: 40 });
      const b = await broadcast(['tel:+254700000001']);
      const now = async (): Promise<Message> => (await messages(`?broadcast=${b.id}`)).results[0];
      expect((await now()).status).to.equal('queued');
      await sleep(200);
      const m = await now();
      expect(m.status).to.equal('delivered');
      const created = Date.parse(m.created_on);
      expect(Date.parse(m.sent_on ?? '') - created).to.equal(40);
      expect(Date.parse(m.modified_on) - created).to.equal(120);
    });

    it('a broadcast reads sent once its messages left the outbox, failed when all failed', async () => {
      const ok = await broadcast(['tel:+254700000001', 'tel:+254700000002']);
      const bad = await broadcast(['tel:+254700000598']);
      sim.advance({ steps: 5 });
      const list = (await (await api('GET', '/api/v2/broadcasts.json')).json()) as Page<Broadcast>;
      expect(list.results.map((b) => [b.id, b.status])).to.deep.equal([
        [bad.id, 'failed'],
        [ok.id, 'sent'],
      ]);
      const one = (await (await api('GET', `/api/v2/broadcasts.json?id=${ok.id}`)).json()) as Page<Broadcast>;
      expect(one.results.map((b) => b.id)).to.deep.equal([ok.id]);
    });
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
      expect(sim.incoming().map((x) => x.copy).sort()).to.deep.equal([1, 2, 3]);
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

/**
 * The RapidPro simulator's API over real HTTP: v2 broadcasts and messages as CHT uses them
 * (https://rapidpro.io/api/v2/, https://github.com/medic/cht-core/blob/master/api/src/services/rapidpro.js),
 * validation, paging, filters, and status progression with its magic numbers.
 */
import { expect } from 'chai';
import {
  startRapidProSimulator,
  type Broadcast,
  type Message,
  type RapidProSimulator,
} from '../../shared-libs/rapidpro-simulator/index.js';
import { RapidProClient, type Page } from '../helpers/rapidpro-client.js';

const TOKEN = 'rp-secret-token-0001';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('RapidPro simulator: API', function () {
  let sim: RapidProSimulator;
  let rp: RapidProClient;
  const api = (...args: Parameters<RapidProClient['api']>): Promise<Response> => rp.api(...args);
  const broadcast = (urns: string[], text?: string): Promise<Broadcast> => rp.broadcast(urns, text);
  const messages = (query?: string): Promise<Page<Message>> => rp.messages(query);

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
    sim = await startRapidProSimulator({ tokens: [TOKEN], firstId: 1000 });
    rp = new RapidProClient(sim.url, TOKEN);
  });
  after(() => sim.close());
  beforeEach(() => {
    sim.reset();
    sim.configure({ stepDelayMs: null, pageSize: 250 });
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
        'id',
        'broadcast',
        'contact',
        'urn',
        'channel',
        'direction',
        'type',
        'status',
        'visibility',
        'text',
        'labels',
        'attachments',
        'created_on',
        'sent_on',
        'modified_on',
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
});

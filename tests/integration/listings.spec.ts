/**
 * GET /api/v1/messages and GET /api/v1/messages/counts on both stores: newest first, cursor
 * paging that lists every message once while writes go on, filters (state, several states,
 * number, stuck, incoming), counts, the refusals, and read-your-writes under sending load.
 */
import { expect } from 'chai';
import { startSimulator } from '../../shared-libs/at-simulator/index.js';
import { configureAt, FAST_DISPATCH, INCOMING_KEY } from '../helpers/at-setup.js';
import { HOUR, inDoc, listAll, listPage, outDoc, putDocs, type Listed } from '../helpers/listing-fixtures.js';
import { onEachStore } from '../helpers/stores.js';
import { api, eventually, startTestServer, type TestServer } from '../helpers/test-server.js';

interface Counts {
  outgoing: { total: number; by_state: Record<string, number> };
  stuck: number;
  stuck_after_hours: number;
  incoming: number;
}

/** A number no other test uses: `+2547` and 8 random digits. */
const freshNumber = (): string => `+2547${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

const ids = (items: Listed[]): string[] => items.map((m) => m.id);

function expectNewestFirst(items: Listed[]): void {
  for (let i = 1; i < items.length; i++) {
    expect((items[i] as Listed).reported_date, `item ${i} is older than or as old as item ${i - 1}`).to.be.at.most(
      (items[i - 1] as Listed).reported_date,
    );
  }
}

async function counts(server: TestServer): Promise<Counts> {
  const res = await api(server, 'GET', '/api/v1/messages/counts');
  expect(res.status, res.text).to.equal(200);
  return res.body as Counts;
}

async function post(server: TestServer, items: Array<{ to: string; message: string }>): Promise<string[]> {
  const res = await api(server, 'POST', '/api/v1/messages', items);
  expect(res.status, res.text).to.equal(200);
  return (res.body as { messages: Array<{ id: string }> }).messages.map((m) => m.id);
}

describe('message listings (GET /api/v1/messages, /api/v1/messages/counts)', function () {
  this.timeout(180_000);

  onEachStore((s) => {
    it('pages newest first; with writes going on, every message appears exactly once', async function () {
      const { server } = s;
      const seeded: string[] = [];
      for (let r = 0; r < 3; r++) {
        seeded.push(
          ...(await post(
            server,
            Array.from({ length: 40 }, (_, i) => ({
              to: `+25471190${String(r * 100 + i).padStart(4, '0')}`,
              message: `page ${r}.${i}`,
            })),
          )),
        );
      }
      const older = Array.from({ length: 40 }, (_, i) =>
        outDoc({ to: freshNumber(), state: i % 2 ? 'delivered' : 'failed', due: Date.now() - (i + 1) * HOUR }),
      );
      await putDocs(
        server,
        older.map((o) => o.doc),
      );
      seeded.push(...older.map((o) => o.uuid));
      const incoming = Array.from({ length: 30 }, (_, i) => inDoc(freshNumber(), Date.now() - i * 60_000));
      await putDocs(server, incoming);

      // Writes while paging: new messages, and state changes of messages already listed or not yet.
      let writing = true;
      const writer = (async () => {
        for (let i = 0; writing; i++) {
          await post(server, [{ to: '+254711999999', message: `during ${i}` }]);
          await putDocs(server, [inDoc(freshNumber())]);
          const o = older[i % older.length];
          if (o) {
            const doc = await server.dbs.medic.get(o.doc._id);
            const task = (doc as unknown as { tasks: Array<{ state: string }> }).tasks[0] as { state: string };
            task.state = task.state === 'failed' ? 'pending' : 'failed';
            await server.dbs.medic.put(doc);
          }
        }
      })();
      const outPages: Listed[] = [];
      const inPages: Listed[] = [];
      try {
        for (
          let page = await listPage(server, 'limit=7');
          ;
          page = await listPage(server, 'limit=7', page.next_cursor)
        ) {
          expect(page.messages.length).to.be.at.most(7);
          outPages.push(...page.messages);
          if (!page.next_cursor) break;
        }
        for (
          let page = await listPage(server, 'direction=incoming&limit=5');
          ;
          page = await listPage(server, 'direction=incoming&limit=5', page.next_cursor)
        ) {
          inPages.push(...page.messages);
          if (!page.next_cursor) break;
        }
      } finally {
        writing = false;
        await writer;
      }
      expect(new Set(ids(outPages)).size, 'no message twice').to.equal(outPages.length);
      expect(ids(outPages)).to.include.members(seeded);
      expectNewestFirst(outPages);
      expect(new Set(ids(inPages)).size).to.equal(inPages.length);
      expect(inPages.map((m) => m.doc_id)).to.include.members(incoming.map((d) => d._id));
      expectNewestFirst(inPages);
    });

    it('filters by one state and by several: every item matches, and none of ours is missing', async function () {
      const { server } = s;
      const to = freshNumber();
      const made = ['pending', 'pending', 'failed', 'denied', 'delivered', 'scheduled'].map((state, i) => ({
        state,
        ...outDoc({ to, state, due: Date.now() - i * 1000 }),
      }));
      await putDocs(
        server,
        made.map((m) => m.doc),
      );
      const of = (...states: string[]): string[] => made.filter((m) => states.includes(m.state)).map((m) => m.uuid);

      const failed = await listAll(server, 'state=failed&limit=100');
      expect(failed.every((m) => m.state === 'failed')).to.equal(true);
      expect(ids(failed))
        .to.include.members(of('failed'))
        .and.not.include.members(of('pending', 'denied', 'delivered'));

      const several = await listAll(server, 'state=failed,denied,scheduled&limit=3');
      expect(several.every((m) => ['failed', 'denied', 'scheduled'].includes(m.state as string))).to.equal(true);
      expect(ids(several))
        .to.include.members(of('failed', 'denied', 'scheduled'))
        .and.not.include.members(of('pending', 'delivered'));
      expect(new Set(ids(several)).size).to.equal(several.length);
      expectNewestFirst(several);

      const mine = await listAll(server, `to=${encodeURIComponent(to)}&state=pending,delivered&limit=100`);
      expect(ids(mine)).to.have.members(of('pending', 'delivered'));
    });

    it('filters by number: full, national form or last digits; recipients of outgoing, senders of incoming', async function () {
      const { server } = s;
      const tail = String(Math.floor(Math.random() * 1e6)).padStart(6, '0');
      const a = `+254711${tail}`;
      const b = `+254722${tail}`;
      const toA = [outDoc({ to: a }), outDoc({ to: a, state: 'sent' })];
      const toB = [outDoc({ to: b })];
      const fromA = inDoc(a);
      await putDocs(server, [...toA, ...toB].map((o) => o.doc).concat(fromA));

      expect(ids(await listAll(server, `to=${encodeURIComponent(a)}`))).to.have.members(toA.map((o) => o.uuid));
      expect(
        ids(await listAll(server, `to=${encodeURIComponent(`0${a.slice(4, 7)} ${a.slice(7)}`)}`)),
        'national form',
      ).to.have.members(toA.map((o) => o.uuid));
      const byTail = await listAll(server, `to=${a.slice(-6)}&limit=2`);
      expect(ids(byTail)).to.include.members([...toA, ...toB].map((o) => o.uuid));
      expect(byTail.every((m) => (m.to as string).endsWith(a.slice(-6)))).to.equal(true);
      expectNewestFirst(byTail);
      const incoming = await listAll(server, `direction=incoming&to=${a.slice(-6)}`);
      expect(incoming.map((m) => m.doc_id)).to.deep.equal([fromA._id]);
    });

    it('stuck: sent or forwarded-by-gateway with no report for sms.stuck_after_hours; a report resets the clock', async function () {
      const { server } = s;
      const to = freshNumber();
      const now = Date.now();
      const sent30h = outDoc({ to, state: 'sent', due: now - 40 * HOUR, at: now - 30 * HOUR });
      const fbg25h = outDoc({ to, state: 'forwarded-by-gateway', due: now - 30 * HOUR, at: now - 25 * HOUR });
      const sent2h = outDoc({ to, state: 'sent', due: now - 3 * HOUR, at: now - 2 * HOUR });
      const reportedLately = outDoc({
        to,
        state: 'sent',
        due: now - 40 * HOUR,
        at: now - 30 * HOUR,
        reports: [now - 1.5 * HOUR],
      });
      const delivered = outDoc({ to, state: 'delivered', due: now - 40 * HOUR, at: now - 30 * HOUR });
      await putDocs(
        server,
        [sent30h, fbg25h, sent2h, reportedLately, delivered].map((o) => o.doc),
      );

      // Most recently heard of first.
      expect(ids(await listAll(server, `stuck=1&to=${encodeURIComponent(to)}`))).to.deep.equal([
        fbg25h.uuid,
        sent30h.uuid,
      ]);
      const all = await listAll(server, 'stuck=1&limit=1');
      expect(ids(all))
        .to.include.members([fbg25h.uuid, sent30h.uuid])
        .and.not.include.members([sent2h.uuid, reportedLately.uuid, delivered.uuid]);
      expect(all.every((m) => ['sent', 'forwarded-by-gateway'].includes(m.state as string))).to.equal(true);
      expect(ids(await listAll(server, `stuck=1&state=sent&to=${encodeURIComponent(to)}`))).to.deep.equal([
        sent30h.uuid,
      ]);
      expect(ids(await listAll(server, `stuck=1&state=pending&to=${encodeURIComponent(to)}`))).to.deep.equal([]);

      expect((await api(server, 'PUT', '/api/v1/settings', { sms: { stuck_after_hours: 1 } })).status).to.equal(200);
      try {
        await eventually(async () => (await listAll(server, `stuck=1&to=${encodeURIComponent(to)}`)).length === 4);
        expect((await counts(server)).stuck_after_hours).to.equal(1);
      } finally {
        await api(server, 'PUT', '/api/v1/settings', { sms: { stuck_after_hours: 24 } });
      }
    });

    it('counts per state, stuck and incoming follow the messages (read after the write)', async function () {
      const { server } = s;
      const to = freshNumber();
      const before = await counts(server);
      const pending = [outDoc({ to }), outDoc({ to }), outDoc({ to })];
      const failed = [outDoc({ to, state: 'failed' }), outDoc({ to, state: 'failed' })];
      await putDocs(server, [...pending, ...failed].map((o) => o.doc).concat(inDoc(to)));
      let now = await counts(server);
      expect(now.outgoing.by_state.pending - before.outgoing.by_state.pending).to.equal(3);
      expect(now.outgoing.by_state.failed - before.outgoing.by_state.failed).to.equal(2);
      expect(now.outgoing.total - before.outgoing.total).to.equal(5);
      expect(now.incoming - before.incoming).to.equal(1);
      expect(Object.values(now.outgoing.by_state).reduce((a, b) => a + b, 0)).to.equal(now.outgoing.total);

      const moved = await server.dbs.medic.get(pending[0]?.doc._id as string);
      ((moved as unknown as { tasks: Array<{ state: string }> }).tasks[0] as { state: string }).state = 'failed';
      await server.dbs.medic.put(moved);
      const gone = await server.dbs.medic.get(failed[0]?.doc._id as string);
      await server.dbs.medic.remove(gone);
      now = await counts(server);
      expect(now.outgoing.by_state.pending - before.outgoing.by_state.pending).to.equal(2);
      expect(now.outgoing.by_state.failed - before.outgoing.by_state.failed).to.equal(2);
      expect(now.outgoing.total - before.outgoing.total).to.equal(4);

      await putDocs(server, [outDoc({ to, state: 'sent', at: Date.now() - 48 * HOUR }).doc]);
      await eventually(async () => (await counts(server)).stuck === before.stuck + 1, 15_000, 250);
    });

    it('refuses what it cannot answer, naming the parameter', async function () {
      const { server } = s;
      const page = await listPage(server, 'limit=1');
      expect(page.next_cursor).to.be.a('string');
      const cases: Array<[string, RegExp]> = [
        ['state=bogus', /^state: "bogus" is not a message state/],
        ['state=', /^state/],
        ['direction=incoming&state=pending', /^state: applies to outgoing messages only/],
        ['direction=incoming&stuck=1', /^stuck: applies to outgoing messages only/],
        ['to=123', /^to: give a full number or at least its last 4 digits/],
        ['limit=0', /^limit/],
        ['cursor=not-a-cursor', /^cursor: not a cursor this API returned/],
        [
          `stuck=1&cursor=${encodeURIComponent(page.next_cursor as string)}`,
          /^cursor: it belongs to a listing with other filters/,
        ],
      ];
      for (const [query, pattern] of cases) {
        const res = await api(server, 'GET', `/api/v1/messages?${query}`);
        expect(res.status, query).to.equal(400);
        expect((res.body as { error: string }).error, query).to.match(pattern);
      }
      expect((await fetch(`${server.url}/api/v1/messages/counts`)).status).to.equal(401);
    });

    it('read-your-writes under sending load: 100 rounds of POST then GET are never short', async function () {
      this.timeout(600_000);
      const sim = await startSimulator({ latencyMs: 5, reportDelayMs: 5 });
      const server = await startTestServer({
        storage: s.kind === 'embedded' ? { kind: 'embedded' } : { kind: 'couchdb', couch: s.couch },
        env: { AT_API_URL: sim.url, LOG_LEVEL: 'info' },
      });
      await configureAt(server, sim, { dispatch: { ...FAST_DISPATCH, concurrency: 8 } });
      let loading = true;
      let background = 0;
      const sent: string[] = [];
      // Keeps the outbox busy without outrunning it: a new batch whenever little is waiting.
      const load = (async () => {
        while (loading) {
          const waiting = server.outbox.stats();
          if (waiting.ready + waiting.claimedWaiting < 20) {
            await post(
              server,
              Array.from({ length: 5 }, (_, i) => ({
                to: `+2547120${String((background * 5 + i) % 10000).padStart(5, '0')}`,
                message: `load ${background}.${i}`,
              })),
            );
            background++;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      try {
        for (let round = 0; round < 100; round++) {
          const to = `+25471230${String(round).padStart(4, '0')}`;
          const made = await post(server, [
            { to, message: `ryw ${round} a` },
            { to, message: `ryw ${round} b` },
          ]);
          expect(
            ids((await listPage(server, `to=${encodeURIComponent(to)}&limit=10`)).messages),
            `round ${round}, by number`,
          ).to.have.members(made);
          expect(ids((await listPage(server, 'limit=50')).messages), `round ${round}, newest`).to.include.members(made);
          sent.push(made[0] as string);
          if (round % 10 === 0) {
            const from = freshNumber();
            const hook = await fetch(`${server.url}/api/v1/sms/africastalking/incoming-messages?key=${INCOMING_KEY}`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams({ id: `ryw-${round}-${from}`, from, text: 'hello', to: '40000' }).toString(),
            });
            expect(hook.status).to.equal(200);
            const inbox = await listPage(server, `direction=incoming&to=${encodeURIComponent(from)}`);
            expect(
              inbox.messages.map((m) => m.id),
              `round ${round}, incoming`,
            ).to.deep.equal([`ryw-${round}-${from}`]);
          }
          if (round % 10 === 9) {
            // A delivery report seen on a message is seen by the state listing that follows.
            const id = sent[round - 9] as string;
            const view = await eventually(
              async () => {
                const m = (await api(server, 'GET', `/api/v1/messages/${id}`)).body as { state: string; to: string };
                return m.state === 'delivered' && m;
              },
              60_000,
              20,
            );
            expect(
              ids((await listPage(server, `state=delivered&to=${encodeURIComponent(view.to)}`)).messages),
              `round ${round}, delivered`,
            ).to.include(id);
          }
        }
        expect(background, 'load ran during the rounds').to.be.greaterThan(10);
      } finally {
        loading = false;
        await load;
        await server.stop();
        await sim.close();
      }
    });
  });
});

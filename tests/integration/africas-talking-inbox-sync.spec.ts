/**
 * Missed-message recovery from AT's inbox (https://developers.africastalking.com/docs/sms/fetch_messages)
 * against the AT simulator, on both stores: the on-demand route, the cursor doc and its lease,
 * failures (answered, counted, retried at the next interval, never blocking webhooks or
 * sending), and two instances on one CouchDB.
 */
import { expect } from 'chai';
import { startSimulator, type Simulator } from '../../shared-libs/at-simulator/index.js';
import { cursorDocId, type CursorDoc } from '../../api/src/store/leased-cursors.js';
import { configureAt, startAtRig, type AtRig } from '../helpers/at-setup.js';
import { startPouchDbServer, type CouchServer } from '../helpers/pouchdb-server.js';
import { api, eventually, startTestServer, type TestServer } from '../helpers/test-server.js';

const SYNC = '/api/v1/sms/africastalking/inbox-sync';
const CURSOR = cursorDocId('africas-talking', 'inbox:sandbox');

interface Incoming {
  sms_message: { message: string; gateway_ref: string };
}

async function incomingRecords(server: TestServer): Promise<Incoming[]> {
  const res = await server.dbs.medic.allDocs({ include_docs: true, startkey: 'sms-in:', endkey: 'sms-in:\ufff0' });
  return res.rows.map((r) => r.doc as unknown as Incoming);
}

async function syncCount(server: TestServer, result: string): Promise<number> {
  const m = (await server.metrics.text()).match(new RegExp(`sms_inbox_sync_total\\{result="${result}"\\} (\\d+)`));
  return m ? Number(m[1]) : 0;
}

async function caughtUp(server: TestServer): Promise<void> {
  await eventually(
    async () => {
      const res = await api(server, 'POST', SYNC);
      return res.status === 200 && (res.body as { fetched: number }).fetched === 0;
    },
    20_000,
    50,
  );
}

async function injectMissed(sim: Simulator, texts: string[]): Promise<void> {
  sim.configure({ incomingCallbacks: 'fail' });
  for (const text of texts) await sim.injectIncoming({ from: '+254711333444', text });
  sim.configure({ incomingCallbacks: 'deliver' });
}

describe('AT inbox sync', function () {
  this.timeout(60_000);
  let couch: CouchServer;
  before(async function () {
    couch = await startPouchDbServer();
  });
  after(async function () {
    await couch.close();
  });

  for (const kind of ['embedded', 'couchdb'] as const) {
    describe(kind === 'embedded' ? 'embedded store' : 'CouchDB over HTTP (pouchdb-server)', function () {
      let rig: AtRig;
      beforeEach(async function () {
        rig = await startAtRig({ server: { storage: kind === 'embedded' ? { kind } : { kind, couch } } });
        await caughtUp(rig.server);
      });
      afterEach(async function () {
        await rig.stop();
      });

      it('on demand: answers {fetched, saved}, stores each message once, keeps the cursor in a doc', async function () {
        await injectMissed(rig.sim, ['VISIT 1', 'VISIT 2', 'VISIT 3']);
        const first = await api(rig.server, 'POST', SYNC);
        expect(first.status, first.text).to.equal(200);
        expect(first.body).to.deep.equal({ fetched: 3, saved: 3 });
        const again = await api(rig.server, 'POST', SYNC);
        expect(again.body).to.deep.equal({ fetched: 0, saved: 0 });
        const records = await incomingRecords(rig.server);
        expect(records.map((r) => r.sms_message.message).sort()).to.deep.equal(['VISIT 1', 'VISIT 2', 'VISIT 3']);
        const inbox = rig.sim.inbox();
        expect(records.map((r) => r.sms_message.gateway_ref).sort()).to.deep.equal(
          inbox.map((m) => String(m.id)).sort(),
        );
        const cursor = (await rig.server.dbs.medic.get(CURSOR)) as unknown as CursorDoc;
        expect(cursor.data).to.deep.equal({ lastReceivedId: String(inbox.at(-1)?.id) });
        expect(cursor.lease, 'the lease is released after a run').to.equal(undefined);
        const last = rig.sim.fetches().at(-1);
        expect(last?.query).to.deep.include({ username: 'sandbox', lastReceivedId: String(inbox.at(-1)?.id) });
        expect(last?.headers.apikey).to.equal('***');
        expect(await syncCount(rig.server, 'ok')).to.be.at.least(2);
      });

      const failures: Array<[string, number, RegExp]> = [
        ['AT down (500)', 500, /HTTP 500/],
        ['refused key (401)', 401, /HTTP 401/],
      ];
      for (const [name, status, message] of failures) {
        it(`a failed sync (${name}) answers 502, is counted, and is retried at the next interval; webhooks and sending go on`, async function () {
          await injectMissed(rig.sim, ['MISSED 1']);
          rig.sim.configure({ fetchFailNext: { status, count: 1000 } });
          const failedBefore = await syncCount(rig.server, 'failed');
          const res = await api(rig.server, 'POST', SYNC);
          expect(res.status).to.equal(502);
          expect((res.body as { error: string }).error).to.match(message);
          expect(await syncCount(rig.server, 'failed')).to.equal(failedBefore + 1);

          // While AT's inbox keeps failing, callbacks and sending are unaffected.
          const [callback] = await rig.sim.injectIncoming({ from: '+254711333555', text: 'BY CALLBACK' });
          expect(callback?.httpStatus).to.equal(200);
          const [id] = await rig.send([{ to: '+254711000123', message: 'still sending' }]);
          await eventually(async () => (await rig.message(id as string)).state === 'delivered');

          // The next interval (shrunk to 300 ms) tries again and recovers once AT answers.
          const s = await api(rig.server, 'PUT', '/api/v1/settings', {
            sms: { africas_talking: { inbox_sync_minutes: 0.005 } },
          });
          expect(s.status, s.text).to.equal(200);
          await eventually(async () => (await syncCount(rig.server, 'failed')) >= failedBefore + 2, 10_000);
          rig.sim.configure({ fetchFailNext: null });
          await eventually(
            async () => (await incomingRecords(rig.server)).some((r) => r.sms_message.message === 'MISSED 1'),
            10_000,
          );
          expect((await incomingRecords(rig.server)).map((r) => r.sms_message.message).sort()).to.deep.equal([
            'BY CALLBACK',
            'MISSED 1',
          ]);
          await api(rig.server, 'PUT', '/api/v1/settings', { sms: { africas_talking: { inbox_sync_minutes: 0 } } });
        });
      }
    });
  }

  describe('settings and access', function () {
    let rig: AtRig;
    before(async function () {
      rig = await startAtRig();
    });
    after(async function () {
      await rig.stop();
    });

    const badSettings: Array<[unknown, RegExp]> = [
      [-1, /sms\.africas_talking\.inbox_sync_minutes: must be 0 \(off\) or more/],
      ['10', /sms\.africas_talking\.inbox_sync_minutes: must be a number of minutes/],
      [2000, /sms\.africas_talking\.inbox_sync_minutes: must be at most 1440/],
    ];
    for (const [value, message] of badSettings) {
      it(`refuses inbox_sync_minutes ${JSON.stringify(value)} naming the field`, async function () {
        const res = await api(rig.server, 'PUT', '/api/v1/settings', {
          sms: { africas_talking: { inbox_sync_minutes: value } },
        });
        expect(res.status).to.equal(400);
        expect(res.text).to.match(message);
      });
    }

    it('needs an administrator', async function () {
      const res = await fetch(`${rig.server.url}${SYNC}`, { method: 'POST' });
      expect(res.status).to.equal(401);
    });

    it('answers 500 saying what to set without a username', async function () {
      const res = await api(rig.server, 'PUT', '/api/v1/settings?replace=1', {
        sms: { outgoing_service: 'medic-gateway' },
      });
      expect(res.status, res.text).to.equal(200);
      const sync = await api(rig.server, 'POST', SYNC);
      expect(sync.status).to.equal(500);
      expect((sync.body as { error: string }).error).to.match(/Set sms\.africas_talking\.username/);
    });
  });

  describe('two instances on one CouchDB', function () {
    let sim: Simulator;
    let a: TestServer;
    let b: TestServer;
    beforeEach(async function () {
      sim = await startSimulator({ latencyMs: 5, reportDelayMs: 5, incomingCallbackIds: 'uuid' });
      const db = `medic-inbox-${process.pid}-${Date.now()}`;
      a = await startTestServer({ storage: { kind: 'couchdb', couch, db }, env: { AT_API_URL: sim.url } });
      b = await startTestServer({ storage: { kind: 'couchdb', couch, db }, env: { AT_API_URL: sim.url } });
      await configureAt(a, sim);
      await eventually(async () => b.registry.selectedId(b.settings.get()) === 'africas-talking');
      await caughtUp(a);
    });
    afterEach(async function () {
      await a.stop();
      await b.stop();
      await sim.close();
    });

    it('one sync at a time: while one instance holds the cursor lease, the other answers 409 and counts a skip', async function () {
      const skipped = await syncCount(b, 'skipped');
      const held = await a.cursors.run('africas-talking', 'inbox:sandbox', 60_000, async () => {
        const res = await api(b, 'POST', SYNC);
        expect(res.status).to.equal(409);
        expect((res.body as { error: string }).error).to.match(/another instance is syncing the inbox/);
        return 'held';
      });
      expect(held).to.deep.equal({ ran: true, result: 'held' });
      expect(await syncCount(b, 'skipped')).to.equal(skipped + 1);
      expect((await api(b, 'POST', SYNC)).status, 'free again after the holder is done').to.equal(200);
    });

    it('webhooks with UUID ids and both instances syncing at once store every message once', async function () {
      const texts = Array.from({ length: 40 }, (_, i) => `RACE ${i}`);
      const syncing = (server: TestServer) => async (): Promise<void> => {
        for (let i = 0; i < 15; i++) await api(server, 'POST', SYNC);
      };
      await Promise.all([
        ...texts.map((text, i) => sim.injectIncoming({ from: `+2547114440${String(i % 4)}`, text })),
        syncing(a)(),
        syncing(b)(),
      ]);
      await eventually(async () => {
        const ra = await api(a, 'POST', SYNC);
        return ra.status === 200 && (ra.body as { fetched: number }).fetched === 0;
      });
      const records = await incomingRecords(a);
      expect(records.map((r) => r.sms_message.message).sort()).to.deep.equal([...texts].sort());
    });
  });
});

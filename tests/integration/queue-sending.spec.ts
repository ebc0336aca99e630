/**
 * Queue actions and the pause switch against the AT simulator, on both stores: a retried failed
 * message reaches AT (and a late report for its old attempt does not fail it again), a
 * cancelled scheduled message never does, an edit changes what AT receives, a pause stops every
 * request while incoming messages and delivery reports keep being stored, a resume sends at
 * once, and a pause outlives a restart.
 */
import { expect } from 'chai';
import { AT_KEY, configureAt, INCOMING_KEY, startAtRig, type AtRig, type MessageView } from '../helpers/at-setup.js';
import { startPouchDbServer, type CouchServer } from '../helpers/pouchdb-server.js';
import { putQueued, setPaused, type ChannelView } from '../helpers/queue-fixtures.js';
import { api, eventually, startTestServer, type StorageMode, type TestServer } from '../helpers/test-server.js';
import { startSimulator } from '../../shared-libs/at-simulator/index.js';

// The whole day is the messaging window, so scheduled messages are promoted whenever this runs.
const ALL_DAY = {
  schedule_morning_hours: 0,
  schedule_morning_minutes: 0,
  schedule_evening_hours: 23,
  schedule_evening_minutes: 59,
};

/** A delivery report as AT posts it. */
async function report(server: Pick<TestServer, 'url'>, id: string, status: string, reason?: string): Promise<void> {
  const form = new URLSearchParams({ id, status, phoneNumber: '+254711000000', networkCode: '63902' });
  if (reason) form.set('failureReason', reason);
  const res = await fetch(`${server.url}/api/v1/sms/africastalking/delivery-reports?key=${INCOMING_KEY}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  expect(res.status).to.equal(200);
}

async function stateOf(server: Pick<TestServer, 'url' | 'adminAuth'>, id: string): Promise<string> {
  return ((await api(server, 'GET', `/api/v1/messages/${id}`)).body as { state: string }).state;
}

/** Long enough for several sweeps (1 s each here) and feed events: what was not sent by then is held back. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 2500));

describe('queue actions and the pause switch, end to end with the AT simulator', function () {
  this.timeout(90_000);
  let couch: CouchServer;
  before(async function () {
    couch = await startPouchDbServer();
  });
  after(async function () {
    await couch?.close();
  });

  for (const kind of ['embedded', 'couchdb'] as const) {
    describe(kind === 'embedded' ? 'embedded store' : 'CouchDB over HTTP (pouchdb-server)', function () {
      const storage = (): StorageMode => (kind === 'embedded' ? { kind } : { kind, couch });
      let rig: AtRig;
      beforeEach(async function () {
        // Reports only when a test posts them, so states stay where the test puts them.
        rig = await startAtRig({ server: { storage: storage() }, sim: { reports: { enabled: false } } });
        expect((await api(rig.server, 'PUT', '/api/v1/settings', ALL_DAY)).status).to.equal(200);
      });
      afterEach(async function () {
        await rig?.stop();
      });

      const sentTo = (to: string) => rig.sim.sent().filter((r) => r.to.includes(to));

      it('a retried failed message reaches AT; a late report of the old attempt is kept, not applied', async function () {
        const [id] = await rig.send([{ to: '+254711200001', message: 'first try' }]);
        const first = await eventually(async () => {
          const m = await rig.message(id as string);
          return m.state === 'sent' && m.gateway_ref ? m : undefined;
        });
        await report(rig.server, first.gateway_ref as string, 'Failed', 'DeliveryFailure');
        await eventually(async () => (await rig.message(id as string)).state === 'failed');

        const res = await api(rig.server, 'POST', `/api/v1/messages/${id}/retry`);
        expect(res.status, res.text).to.equal(200);
        const second = await eventually(async () => {
          const m = await rig.message(id as string);
          return m.state === 'sent' && m.gateway_ref && m.gateway_ref !== first.gateway_ref ? m : undefined;
        });
        expect(sentTo('+254711200001')).to.have.length(2);
        await report(rig.server, first.gateway_ref as string, 'Rejected', 'late report of the first attempt');
        await report(rig.server, second.gateway_ref as string, 'Success');
        const done = await eventually(async () => {
          const m = await rig.message(id as string);
          return m.state === 'delivered' ? m : undefined;
        });
        expect(done.delivery_reports?.find((r) => r.status === 'Rejected')).to.include({ applied: false });
        expect(done.state_history.map((h) => h.state)).to.not.include('denied');
      });

      it('retry of a message backing off sends it now, not after its backoff', async function () {
        const slow = { backoff_base_seconds: 600, backoff_max_seconds: 600 };
        await api(rig.server, 'PUT', '/api/v1/settings', { sms: { dispatch: slow } });
        rig.sim.configure({ failNext: { status: 503, count: 1 } });
        const [id] = await rig.send([{ to: '+254711200010', message: 'second time lucky' }]);
        const waiting = await eventually(async () => {
          const m = (await rig.message(id as string)) as MessageView & { next_attempt_at?: string };
          return m.state === 'pending' && m.next_attempt_at ? m : undefined;
        });
        expect(Date.parse(waiting.next_attempt_at ?? '')).to.be.greaterThan(Date.now() + 200_000);
        const res = await api(rig.server, 'POST', `/api/v1/messages/${id}/retry`);
        expect(res.status, res.text).to.equal(200);
        await eventually(async () => (await rig.message(id as string)).state === 'sent');
        expect(sentTo('+254711200010')).to.have.length(2);
      });

      it('a cancelled scheduled message is never sent; the same message left alone is', async function () {
        const due = new Date(Date.now() + 1500).toISOString();
        const db = rig.server.dbs.medic;
        const kept = await putQueued(db, { state: 'scheduled', due, to: '+254711200002', message: 'kept' });
        const dropped = await putQueued(db, { state: 'scheduled', due, to: '+254711200003', message: 'dropped' });
        const res = await api(rig.server, 'POST', `/api/v1/messages/${dropped}/cancel`);
        expect(res.status, res.text).to.equal(200);
        await eventually(async () => (await rig.message(kept)).state === 'sent', 20_000);
        await settle();
        expect(sentTo('+254711200003')).to.deep.equal([]);
        expect((await rig.message(dropped)).state).to.equal('cleared');
      });

      it('an edit changes what AT receives', async function () {
        await setPaused(rig.server, true, 'hold while the text is fixed');
        const [id] = await rig.send([{ to: '+254711200004', message: 'Clinic closed on Mondya' }]);
        const res = await api(rig.server, 'PATCH', `/api/v1/messages/${id}`, { message: 'Clinic closed on Monday' });
        expect(res.status, res.text).to.equal(200);
        await setPaused(rig.server, false);
        await eventually(async () => (await rig.message(id as string)).state === 'sent');
        expect(sentTo('+254711200004').map((r) => r.message)).to.deep.equal(['Clinic closed on Monday']);
      });

      it('paused: nothing reaches AT, incoming and reports are stored; resumed: sent at once', async function () {
        const [before] = await rig.send([{ to: '+254711200005', message: 'before the pause' }]);
        const beforeRef = (await eventually(async () => (await rig.message(before as string)).gateway_ref)) as string;
        const view = await setPaused(rig.server, true, 'provider is double-charging');
        expect(view).to.include({ paused: true, reason: 'provider is double-charging' });
        const held = await rig.send([
          { to: '+254711200006', message: 'held 1' },
          { to: '+254711200007', message: 'held 2' },
        ]);
        const requests = rig.sim.sent().length;
        await settle();
        expect(rig.sim.sent(), 'no request while paused').to.have.length(requests);
        for (const id of held) expect(await rig.message(id)).to.include({ state: 'pending' });

        const [incoming] = await rig.sim.injectIncoming({ from: '+254711200099', text: 'still listening?' });
        expect(incoming?.httpStatus).to.equal(200);
        await report(rig.server, beforeRef, 'Success');
        expect((await rig.message(before as string)).state).to.equal('delivered');
        const inbox = (await api(rig.server, 'GET', '/api/v1/messages?direction=incoming')).body as {
          messages: Array<{ message: string }>;
        };
        expect(inbox.messages.map((m) => m.message)).to.include('still listening?');

        await setPaused(rig.server, false);
        for (const id of held) await eventually(async () => (await rig.message(id)).state === 'sent');
        for (const id of held) expect((await rig.message(id)).attempts).to.equal(1);
      });

      it('pausing with a request in flight: it finishes, the rest wait unclaimed, no attempt spent', async function () {
        const oneAtATime = { concurrency: 1, group_recipients: 1 };
        await api(rig.server, 'PUT', '/api/v1/settings', { sms: { dispatch: oneAtATime } });
        rig.sim.configure({ latencyMs: 600 });
        const ids = await rig.send([1, 2, 3, 4].map((i) => ({ to: `+25471130000${i}`, message: `slow ${i}` })));
        await eventually(async () => rig.sim.sent().length > 0 || rig.server.outbox.stats().inFlight > 0);
        await setPaused(rig.server, true);
        await rig.server.outbox.idle();
        await settle();
        type Stored = { tasks: Array<{ lease?: unknown; attempts?: number; state: string }> };
        const docs = await Promise.all(ids.map((id) => rig.server.dbs.medic.get(id) as Promise<Stored>));
        const waiting = docs.map((d) => d.tasks[0]).filter((t) => t?.state === 'pending');
        expect(waiting.length, 'some were held back').to.be.at.least(2);
        for (const t of waiting) {
          expect(t?.attempts ?? 0).to.equal(0);
          expect(t).to.not.have.property('lease');
        }
        const requests = rig.sim.sent().length;
        await setPaused(rig.server, false);
        for (const id of ids) await eventually(async () => (await rig.message(id)).state === 'sent', 20_000);
        expect(rig.sim.sent().length).to.equal(requests + waiting.length);
      });
    });
  }

  for (const kind of ['embedded', 'couchdb'] as const) {
    it(`${kind}: a pause survives a restart (same data), then resumes and sends`, async function () {
      const db = `restart${process.pid}`;
      const storage: StorageMode = kind === 'embedded' ? { kind } : { kind, couch, db };
      const sim = await startSimulator({ latencyMs: 5, reports: { enabled: false } });
      const env = { AT_API_URL: sim.url };
      let server = await startTestServer({ storage, env });
      try {
        await configureAt(server, sim);
        await setPaused(server, true, 'maintenance');
        const dataDir = server.dataDir;
        await server.stop();
        server = await startTestServer({ storage, env, dataDir });
        const channel = (await api(server, 'GET', '/api/v1/sms/channel')).body as ChannelView;
        expect(channel).to.include({ paused: true, reason: 'maintenance' });
        const res = await api(server, 'POST', '/api/v1/messages', { to: '+254711200008', message: 'after restart' });
        const id = (res.body as { messages: Array<{ id: string }> }).messages[0]?.id as string;
        await settle();
        expect(sim.sent()).to.deep.equal([]);
        await setPaused(server, false);
        await eventually(async () => (await stateOf(server, id)) === 'sent');
        expect(sim.sent()).to.have.length(1);
      } finally {
        await server.stop();
        await sim.close();
      }
    });
  }

  it('CouchDB: a pause on one instance holds on another sharing the database', async function () {
    const storage: StorageMode = { kind: 'couchdb', couch, db: `shared${process.pid}` };
    const sim = await startSimulator({ latencyMs: 5, reports: { enabled: false } });
    const env = { AT_API_URL: sim.url };
    const a = await startTestServer({ storage, env });
    const b = await startTestServer({ storage, env });
    try {
      await configureAt(a, sim);
      expect(AT_KEY).to.be.a('string');
      await setPaused(a, true, 'from instance A');
      await eventually(async () => b.channelSwitch.get().paused, 5_000);
      expect(((await api(b, 'GET', '/api/v1/sms/channel')).body as ChannelView).by).to.be.a('string');
      const res = await api(b, 'POST', '/api/v1/messages', { to: '+254711200009', message: 'through B' });
      const id = (res.body as { messages: Array<{ id: string }> }).messages[0]?.id as string;
      await settle();
      expect(sim.sent(), 'neither instance sends').to.deep.equal([]);
      await setPaused(b, false);
      await eventually(async () => !a.channelSwitch.get().paused, 5_000);
      await eventually(async () => (await stateOf(a, id)) === 'sent');
      expect(sim.sent()).to.have.length(1);
    } finally {
      await a.stop();
      await b.stop();
      await sim.close();
    }
  });
});

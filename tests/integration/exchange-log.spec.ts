/**
 * The provider exchange log on both stores, driven through every route that talks to a
 * provider: sends, delivery reports, incoming callbacks, inbox fetches, the on-demand sync and
 * medic-gateway's poll. No secret may reach the store or a log line; bodies are served to
 * administrators only; old exchanges are pruned with their per-message index rows.
 */
import { expect } from 'chai';
import { startSimulator } from '../../shared-libs/at-simulator/index.js';
import type { ExchangeView } from '../../api/src/observability/exchanges.js';
import { AT_KEY, INCOMING_KEY, startAtRig, type AtRig } from '../helpers/at-setup.js';
import { startPouchDbServer, type CouchServer } from '../helpers/pouchdb-server.js';
import { api, eventually, type TestServer, type TestServerOptions } from '../helpers/test-server.js';

const TEXT = 'exchange log text 5F2';
const SYNC = '/api/v1/sms/africastalking/inbox-sync';

async function allExchanges(server: TestServer): Promise<ExchangeView[]> {
  await server.exchanges.flush();
  const res = await api(server, 'GET', '/api/v1/sms/exchanges?limit=1000');
  expect(res.status, res.text).to.equal(200);
  return (res.body as { exchanges: ExchangeView[] }).exchanges;
}

async function allDocsText(server: TestServer): Promise<string> {
  const medic = await server.dbs.medic.allDocs({ include_docs: true });
  const vault = await server.dbs.vault.allDocs({ include_docs: true });
  return JSON.stringify([medic.rows, vault.rows]);
}

/** Delivered, and every delivery report answered (the simulator posts Sent, Submitted, Success). */
async function delivered(rig: AtRig, id: string): Promise<void> {
  await eventually(async () => (await rig.message(id)).state === 'delivered');
  await rig.sim.idle();
}

const kindOf = (e: ExchangeView): string =>
  `${e.direction} ${e.method} ${e.url.split('?')[0]?.replace(/^https?:\/\/[^/]+/, '')}`;

describe('provider exchange log', function () {
  this.timeout(60_000);
  let couch: CouchServer;
  before(async function () {
    couch = await startPouchDbServer();
  });
  after(async function () {
    await couch.close();
  });

  for (const kind of ['embedded', 'couchdb'] as const) {
    const storage = (): NonNullable<TestServerOptions['storage']> => (kind === 'embedded' ? { kind } : { kind, couch });

    describe(kind === 'embedded' ? 'embedded store' : 'CouchDB over HTTP (pouchdb-server)', function () {
      let rig: AtRig;
      let ids: string[];
      before(async function () {
        rig = await startAtRig({ server: { storage: storage() } });
        await eventually(async () => (await api(rig.server, 'POST', SYNC)).status === 200);
        ids = await rig.send([
          { to: '+254711000201', message: TEXT },
          { to: '+254711000202', message: TEXT },
        ]);
        for (const id of ids) await delivered(rig, id);
        await rig.sim.injectIncoming({ from: '+254711000203', text: `${TEXT} incoming` });
        rig.sim.configure({ incomingCallbacks: 'fail' });
        await rig.sim.injectIncoming({ from: '+254711000204', text: `${TEXT} missed` });
        // The inbox holds both; the one that came by callback is stored once.
        expect((await api(rig.server, 'POST', SYNC)).body).to.deep.equal({ fetched: 2, saved: 1 });
        rig.sim.configure({ fetchFailNext: { status: 401, count: 1 } });
        expect((await api(rig.server, 'POST', SYNC)).status).to.equal(502);
        const wrongKey = await fetch(
          `${rig.server.url}/api/v1/sms/africastalking/incoming-messages?key=wrong-${INCOMING_KEY}`,
          {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ id: 'x1', from: '+254711000205', text: 'refused' }).toString(),
          },
        );
        expect(wrongKey.status).to.equal(403);
        expect((await api(rig.server, 'GET', '/api/sms')).status).to.equal(200);
      });
      after(async function () {
        await rig.stop();
      });

      it('records every route that talks to a provider, with bodies and status; refused callbacks are not recorded', async function () {
        const exchanges = await allExchanges(rig.server);
        const kinds = new Set(exchanges.map(kindOf));
        for (const k of [
          'outgoing POST /version1/messaging',
          'outgoing GET /version1/messaging',
          'incoming POST /api/v1/sms/africastalking/delivery-reports',
          'incoming POST /api/v1/sms/africastalking/incoming-messages',
          'incoming POST /api/v1/sms/africastalking/inbox-sync',
          'incoming GET /api/sms',
        ]) {
          expect(kinds, k).to.include(k);
        }
        const send = exchanges.find((e) => kindOf(e) === 'outgoing POST /version1/messaging');
        expect(send?.status).to.equal(201);
        expect(send?.request_body).to.include(new URLSearchParams({ message: TEXT }).toString());
        expect(send?.response_body).to.include('SMSMessageData');
        expect(exchanges.some((e) => kindOf(e) === 'outgoing GET /version1/messaging' && e.status === 401)).to.equal(
          true,
        );
        expect(
          exchanges.some((e) => e.status === 403),
          'a refused callback is not an exchange',
        ).to.equal(false);
        const missed = exchanges.find(
          (e) => kindOf(e) === 'outgoing GET /version1/messaging' && e.response_body?.includes('missed'),
        );
        expect(missed?.service).to.equal('africas-talking');
      });

      it('keeps no API key or incoming key anywhere in the store or the logs, and no body in the logs', async function () {
        await rig.server.exchanges.flush();
        const store = await allDocsText(rig.server);
        const logs = rig.server.logs();
        for (const secret of [AT_KEY, INCOMING_KEY, encodeURIComponent(AT_KEY), encodeURIComponent(INCOMING_KEY)]) {
          expect(store, 'store').to.not.include(secret);
          expect(logs, 'logs').to.not.include(secret);
        }
        expect(store, "the callbacks' key= is removed").to.not.match(/key=/);
        expect(logs, 'message texts never logged').to.not.include(TEXT);
      });

      it("GET /api/v1/messages/:id answers the message's exchanges, oldest first", async function () {
        const res = await api(rig.server, 'GET', `/api/v1/messages/${ids[0]}`);
        const exchanges = (res.body as { exchanges: ExchangeView[] }).exchanges;
        expect(exchanges.map(kindOf)).to.deep.equal([
          'outgoing POST /version1/messaging',
          'incoming POST /api/v1/sms/africastalking/delivery-reports',
          'incoming POST /api/v1/sms/africastalking/delivery-reports',
          'incoming POST /api/v1/sms/africastalking/delivery-reports',
        ]);
        for (const e of exchanges) expect(e.message_ids).to.include(ids[0]);
        const times = exchanges.map((e) => e.at);
        expect(times).to.deep.equal([...times].sort());
        expect(exchanges.map((e) => e.request_body).join(' ')).to.match(/Sent.*Submitted.*Success/s);
      });

      it('GET /api/v1/sms/exchanges lists newest first, with since and limit; administrators only', async function () {
        const all = await allExchanges(rig.server);
        const times = all.map((e) => e.at);
        expect(times).to.deep.equal([...times].sort().reverse());
        const two = (await api(rig.server, 'GET', '/api/v1/sms/exchanges?limit=2')).body as {
          exchanges: ExchangeView[];
        };
        expect(two.exchanges.map((e) => e.id)).to.deep.equal(all.slice(0, 2).map((e) => e.id));
        const since = all[Math.floor(all.length / 2)]?.at as string;
        const newer = (
          await api(rig.server, 'GET', `/api/v1/sms/exchanges?since=${encodeURIComponent(since)}&limit=1000`)
        ).body as {
          exchanges: ExchangeView[];
        };
        expect(newer.exchanges.map((e) => e.id)).to.deep.equal(all.filter((e) => e.at >= since).map((e) => e.id));
        const bad = await api(rig.server, 'GET', '/api/v1/sms/exchanges?since=yesterday');
        expect(bad.status).to.equal(400);
        expect(bad.text).to.match(/since/);
        const anonymous = await fetch(`${rig.server.url}/api/v1/sms/exchanges`);
        expect(anonymous.status).to.equal(401);
      });
    });

    it(`prunes exchanges older than sms.exchange_log_days with their index rows (${kind})`, async function () {
      let offset = 0;
      const now = (): Date => new Date(Date.now() + offset);
      const rig = await startAtRig({ server: { storage: storage(), compose: { now } } });
      try {
        const [id] = await rig.send([{ to: '+254711000301', message: 'to be pruned' }]);
        await delivered(rig, id as string);
        const before = await allExchanges(rig.server);
        expect(before.length).to.be.at.least(5);
        // The message index's per-message rows for exchanges (listings/rows.ts: `x:`).
        const index = async (): Promise<number> => {
          await rig.server.messageIndex.synced();
          return rig.server.messageIndex.rows.count({ gte: 'x:', lt: 'x:\uffff' });
        };
        // One row per exchange document naming the message (exchanges recorded together share one).
        expect(await index()).to.be.at.least(1);

        offset = 6 * 86_400_000;
        expect(await rig.server.exchanges.prune(), 'within 7 days: kept').to.equal(0);
        offset = 8 * 86_400_000;
        await rig.sim.injectIncoming({ from: '+254711000302', text: 'recent' });
        await rig.server.exchanges.flush();
        expect(await rig.server.exchanges.prune()).to.equal(before.length);
        const left = await allExchanges(rig.server);
        expect(left.map(kindOf)).to.deep.equal(['incoming POST /api/v1/sms/africastalking/incoming-messages']);
        expect(await index(), "only the recent exchange's index row is left").to.equal(1);
        expect((await api(rig.server, 'GET', `/api/v1/messages/${id}`)).body).to.deep.include({ exchanges: [] });

        const s = await api(rig.server, 'PUT', '/api/v1/settings', { sms: { exchange_log_days: 0.5 } });
        expect(s.status, s.text).to.equal(200);
        offset += 86_400_000;
        expect(await rig.server.exchanges.prune()).to.equal(1);
        expect(await allExchanges(rig.server)).to.deep.equal([]);
      } finally {
        await rig.stop();
      }
    });
  }

  it('sms.exchange_log_days: 0 records nothing', async function () {
    const rig = await startAtRig({ sms: { exchange_log_days: 0 } });
    try {
      const [id] = await rig.send([{ to: '+254711000411', message: 'not logged' }]);
      await delivered(rig, id as string);
      expect(await allExchanges(rig.server)).to.deep.equal([]);
    } finally {
      await rig.stop();
    }
  });

  it('a provider unreachable for a send is recorded with status 0 and the error', async function () {
    const sim = await startSimulator();
    const url = sim.url;
    await sim.close();
    const rig = await startAtRig({ server: { env: { AT_API_URL: url } } });
    try {
      await rig.send([{ to: '+254711000511', message: 'nobody answers' }]);
      const failed = await eventually(async () => {
        const all = await allExchanges(rig.server);
        return all.find((e) => kindOf(e) === 'outgoing POST /version1/messaging');
      });
      expect(failed.status).to.equal(0);
      expect(failed.error).to.match(/ECONNREFUSED|connect/i);
      expect(failed.response_body).to.equal(undefined);
    } finally {
      await rig.stop();
    }
  });
});

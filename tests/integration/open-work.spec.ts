/**
 * The outbox's own index (`sms-open:<doc id>`): built once over an existing store, kept from the
 * changes feed (resuming from its checkpoint after a restart), emptied as work completes.
 */
import { expect } from 'chai';
import { startSimulator } from '../../shared-libs/at-simulator/index.js';
import { OPEN_WORK_PREFIX } from '../../api/src/outbox/open-work.js';
import { openDatabases, prefixRange } from '../../shared-libs/couch/index.js';
import { webappMessageDoc } from '../helpers/fixtures.js';
import { configureAt, startAtRig, type AtRig } from '../helpers/at-setup.js';
import { eventually, startTestServer } from '../helpers/test-server.js';

const pendingDoc = (to: string, message: string) => webappMessageDoc({ to, message, withHistory: true }).doc;

const openEntries = async (rig: AtRig): Promise<string[]> =>
  (await rig.server.dbs.medic.allDocs(prefixRange(OPEN_WORK_PREFIX))).rows.map((r) => r.id);

describe('outbox open-work index', function () {
  this.timeout(60_000);
  let rig: AtRig | undefined;
  afterEach(async function () {
    await rig?.stop();
    rig = undefined;
  });

  it('holds an entry while a message is open and none once it is final', async function () {
    rig = await startAtRig({ sim: { reports: { enabled: false } } });
    const r = rig;
    const [id] = await r.send([{ to: '+254711700001', message: 'indexed' }]);
    await eventually(async () => (await r.message(id as string)).state === 'sent', 10_000);
    await eventually(async () => (await openEntries(r)).length === 0, 10_000);
  });

  it('finds messages written to the store while the server was down (resumes the feed from its checkpoint)', async function () {
    rig = await startAtRig({ sim: { reports: { enabled: false } } });
    const { server, sim } = rig;
    await server.outbox.sweep();
    await server.stop();
    const dbs = await openDatabases({ dataDir: server.dataDir });
    const doc = pendingDoc('+254711700002', 'written while down');
    await dbs.medic.put(doc);
    await dbs.close();
    const again = await startTestServer({ dataDir: server.dataDir, env: { AT_API_URL: sim.url } });
    rig = {
      ...rig,
      server: again,
      stop: async () => {
        await again.stop();
        await sim.close();
      },
    };
    await eventually(async () => sim.sent().some((s) => s.message === 'written while down'), 10_000);
  });

  it('is built once, a page at a time, on the first start over an existing store', async function () {
    const sim = await startSimulator({ latencyMs: 1, reports: { enabled: false } });
    // A store written by someone else (e.g. replicated from a CHT instance): 1,200 docs, 12 open.
    const seed = await startTestServer({ start: false });
    const docs = Array.from({ length: 1200 }, (_, i) => {
      const doc = pendingDoc('+254711800000', `old ${i}`);
      if (i % 100 !== 0) ((doc.tasks as Array<{ state: string }>)[0] as { state: string }).state = 'delivered';
      return doc;
    });
    await seed.dbs.medic.bulkDocs(docs);
    await seed.stop();
    const server = await startTestServer({ dataDir: seed.dataDir, start: false, env: { AT_API_URL: sim.url } });
    try {
      await configureAt(server, sim);
      server.start();
      await eventually(async () => sim.sent().length >= 12, 20_000);
      const texts = sim
        .sent()
        .map((s) => s.message)
        .sort();
      expect(texts).to.deep.equal(Array.from({ length: 12 }, (_, k) => `old ${k * 100}`).sort());
      expect(server.logs()).to.match(/"scanned":\d+,"indexed":12,.*outbox index built/);
    } finally {
      await server.stop();
      await sim.close();
    }
  });
});

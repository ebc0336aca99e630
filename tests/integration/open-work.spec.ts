/**
 * Where the outbox finds work: the message index's open-work rows, built once over an existing
 * store, kept with every write (and from the changes feed for writes made while the server was
 * down), emptied as work completes; no document of its own in the database.
 */
import { expect } from 'chai';
import { startSimulator } from '../../shared-libs/at-simulator/index.js';
import { openDatabases } from '../../shared-libs/couch/index.js';
import { webappMessageDoc } from '../helpers/fixtures.js';
import { configureAt, startAtRig, type AtRig } from '../helpers/at-setup.js';
import { eventually, openWorkIds, startTestServer } from '../helpers/test-server.js';

const pendingDoc = (to: string, message: string) => webappMessageDoc({ to, message, withHistory: true }).doc;

const openDocIds = (rig: AtRig): Promise<string[]> => openWorkIds(rig.server);

/** This server's bookkeeping docs in the medic database, by kind (`sms-open`, `sms-gateway-ref`). */
const bookkeeping = async (rig: AtRig): Promise<string[]> =>
  (await rig.server.dbs.medic.allDocs({ startkey: 'sms-', endkey: 'sms-\ufff0' })).rows.map(
    (r) => r.id.split(':')[0] as string,
  );

describe('outbox open-work index', function () {
  this.timeout(60_000);
  let rig: AtRig | undefined;
  afterEach(async function () {
    await rig?.stop();
    rig = undefined;
  });

  it('holds an entry while a message is open and none once it is final, with no document of its own', async function () {
    rig = await startAtRig({ sim: { reports: { enabled: false } } });
    const r = rig;
    await r.server.channelSwitch.set(true, 'test', 'test');
    const [id] = await r.send([{ to: '+254711700001', message: 'indexed' }]);
    const docId = (await r.server.outgoing.docIdFor(id as string)) as string;
    expect(await openDocIds(r), 'read-your-writes: listed as soon as it is stored').to.deep.equal([docId]);
    expect(await r.server.openWork.count()).to.equal(1);
    await r.server.channelSwitch.set(false, undefined, 'test');
    await eventually(async () => (await r.message(id as string)).state === 'sent', 10_000);
    expect(await openDocIds(r), 'gone with the write that made it final').to.deep.equal([]);
    expect(await r.server.openWork.count()).to.equal(0);
    // Neither an open-work entry nor a reference doc: the message index derives both from the message.
    const kinds = await bookkeeping(r);
    expect(kinds.filter((k) => k === 'sms-open' || k === 'sms-gateway-ref')).to.deep.equal([]);
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
      await eventually(async () => (await server.openWork.count()) === 0, 10_000);
      expect(server.logs()).to.match(/"docs":12\d\d,.*message index built/);
    } finally {
      await server.stop();
      await sim.close();
    }
  });
});

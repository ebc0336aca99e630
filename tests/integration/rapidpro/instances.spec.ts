/**
 * Two instances on one CouchDB (pouchdb-server), both serving RapidPro: the status poll's
 * cursor is one leased store doc, so one instance polls at a time, and a Retry-After one
 * instance was given holds for the other too.
 */
import { expect } from 'chai';
import type { OutgoingService } from '../../../api/src/sms/types.js';
import { startPouchDbServer, type CouchServer } from '../../helpers/pouchdb-server.js';
import { startRapidProRig, type PollResult, type RapidProRig } from '../../helpers/rapidpro-setup.js';
import { eventually, startTestServer, type TestServer } from '../../helpers/test-server.js';

describe('RapidPro status polling with two instances on one CouchDB', function () {
  let couch: CouchServer;
  let rig: RapidProRig;
  let other: TestServer;
  const pollOn = async (server: TestServer): Promise<PollResult> =>
    (await server.jobs.runNow(server.registry.get('rapidpro') as OutgoingService, 'status-poll')) as PollResult;

  before(async () => {
    couch = await startPouchDbServer();
    const storage = { kind: 'couchdb' as const, couch, db: `rp-instances-${process.pid}` };
    rig = await startRapidProRig({ server: { storage } });
    other = await startTestServer({ storage });
    const [id] = await rig.send([{ to: '+254711000401', message: 'shared' }]);
    await eventually(async () => (await rig.message(id as string)).gateway_ref !== null);
  });
  after(async () => {
    await other?.stop();
    await rig?.stop();
    await couch?.close();
  });

  it('polls started together on both instances: one runs, the other is told who holds the cursor', async () => {
    rig.sim.configure({ latencyMs: 300 });
    try {
      const results = await Promise.all([pollOn(rig.server), pollOn(other)]);
      const ran = results.filter((r) => r.skipped === undefined);
      const skipped = results.filter((r) => r.skipped !== undefined);
      expect(ran).to.have.length(1);
      expect(skipped[0]?.skipped).to.include('another instance is polling');
      expect(rig.sim.requests().filter((r) => r.method === 'GET')).to.have.length(ran[0]?.requests ?? -1);
    } finally {
      rig.sim.configure({ latencyMs: 0 });
    }
  });

  it('a Retry-After given to one instance holds for the other', async () => {
    rig.sim.configure({ retryAfterSeconds: 30, failNext: { status: 429, count: 1 } });
    const first = await pollOn(rig.server);
    expect(first.throttledUntil).to.be.a('string');
    const before = rig.sim.requests().length;
    const second = await pollOn(other);
    expect(second).to.include({ requests: 0, throttledUntil: first.throttledUntil });
    expect(rig.sim.requests().length).to.equal(before);
  });
});

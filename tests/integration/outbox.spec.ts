/**
 * The outbound pipeline against the real simulator: retries by error class, the channel's
 * circuit breaker, expiry, scheduled messages, grouping, rate limiting, and delivery reports
 * that come twice, out of order or before the send result.
 */
import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { PARKED_PREFIX } from '../../api/src/reports/status-updates.js';
import { countPrefix } from '../../shared-libs/couch/index.js';
import { api, eventually } from '../helpers/test-server.js';
import { AT_KEY, startAtRig, type AtRig } from '../helpers/at-setup.js';

describe('outbox pipeline (server + simulator)', function () {
  this.timeout(60_000);
  let rig: AtRig;
  afterEach(async function () {
    await rig?.stop();
  });

  const stateOf = async (id: string) => (await rig.message(id)).state;

  it('a hung request times out and is retried with backoff, then sent', async function () {
    rig = await startAtRig({ sim: { hang: true } });
    const [id] = await rig.send([{ to: '+254711100001', message: 'hang then ok' }]);
    await eventually(
      async () =>
        ((await rig.message(id as string)).attempts ?? 0) >= 1 &&
        (await rig.message(id as string)).state_details?.includes('No answer'),
      10_000,
    );
    rig.sim.configure({ hang: false });
    await eventually(async () => (await stateOf(id as string)) === 'delivered', 15_000);
    const m = await rig.message(id as string);
    expect(m.attempts).to.be.at.least(2);
    expect(m.state_history.some((h) => /No answer from AT within 1000 ms/.test(h.state_details ?? ''))).to.equal(true);
  });

  for (const status of [503, 429]) {
    it(`HTTP ${status} is retried with backoff and the attempts are stored`, async function () {
      rig = await startAtRig({ sim: { failNext: { status, count: 2 } } });
      const [id] = await rig.send([{ to: '+254711100002', message: `retry ${status}` }]);
      await eventually(async () => (await stateOf(id as string)) === 'delivered', 15_000);
      const m = await rig.message(id as string);
      expect(m.attempts).to.equal(3);
      expect(
        m.state_history.filter((h) => h.state === 'pending' && /Attempt \d failed/.test(h.state_details ?? '')),
      ).to.have.length(2);
    });
  }

  it('gives up after max_attempts and fails with the last reason', async function () {
    rig = await startAtRig({
      sim: { failNext: { status: 502, count: 100 } },
      sms: {
        dispatch: {
          backoff_base_seconds: 0.02,
          backoff_max_seconds: 0.05,
          max_attempts: 3,
          request_timeout_seconds: 1,
          sweep_interval_seconds: 1,
        },
      },
    });
    const [id] = await rig.send([{ to: '+254711100003', message: 'never' }]);
    await eventually(async () => (await stateOf(id as string)) === 'failed', 15_000);
    const m = await rig.message(id as string);
    expect(m.state_details).to.match(/HTTP 502.*gave up after 3 attempts/);
    expect(rig.sim.sent()).to.have.length(3);
  });

  it('final per-recipient errors fail at once, without retry', async function () {
    rig = await startAtRig();
    const ids = await rig.send([
      { to: '+254711100403', message: 'invalid' },
      { to: '+254711100406', message: 'blacklisted' },
    ]);
    await eventually(
      async () => (await stateOf(ids[0] as string)) === 'failed' && (await stateOf(ids[1] as string)) === 'denied',
      10_000,
    );
    expect(rig.sim.sent()).to.have.length(2);
  });

  it('insufficient balance pauses the channel instead of failing messages, then resumes', async function () {
    rig = await startAtRig({ sim: { balance: 0 } });
    const ids = await rig.send([
      { to: '+254711100011', message: 'a' },
      { to: '+254711100012', message: 'b' },
      { to: '+254711100013', message: 'c' },
    ]);
    await eventually(async () => rig.server.outbox.channelState().state !== 'closed', 10_000);
    const state = rig.server.outbox.channelState();
    expect(state.code).to.equal('405');
    const requestsWhilePaused = rig.sim.sent().length;
    expect(requestsWhilePaused).to.be.at.most(3);
    for (const id of ids) expect(await stateOf(id)).to.equal('pending');
    rig.sim.configure({ balance: null });
    for (const id of ids) await eventually(async () => (await stateOf(id)) === 'delivered', 20_000);
    expect(rig.server.outbox.channelState().state).to.equal('closed');
    const m = await rig.message(ids[0] as string);
    expect(m.attempts).to.be.at.most(2);
  });

  it('a rejected API key (HTTP 401) pauses the channel until the key is fixed, no restart', async function () {
    rig = await startAtRig();
    await api(rig.server, 'PUT', '/api/v1/credentials/africastalking.com:outgoing', 'wrong-key');
    const [id] = await rig.send([{ to: '+254711100021', message: 'bad key' }]);
    await eventually(async () => rig.server.outbox.channelState().code === 'invalid_api_key', 10_000);
    expect(await stateOf(id as string)).to.equal('pending');
    await api(rig.server, 'PUT', '/api/v1/credentials/africastalking.com:outgoing', AT_KEY);
    await eventually(async () => (await stateOf(id as string)) === 'delivered', 20_000);
    expect(rig.server.logs()).not.to.contain(AT_KEY);
    expect(rig.server.logs()).not.to.contain('wrong-key');
  });

  it('expired messages fail instead of going out late (sms.message_ttl_hours)', async function () {
    rig = await startAtRig({ sim: { balance: 0 }, sms: { message_ttl_hours: 0.0005 } });
    const [id] = await rig.send([{ to: '+254711100031', message: 'stale reminder' }]);
    await eventually(async () => (await stateOf(id as string)) === 'failed', 20_000);
    expect((await rig.message(id as string)).state_details).to.match(/^Expired/);
  });

  it('duplicate and out-of-order reports end delivered, late ones kept for audit', async function () {
    rig = await startAtRig({ sim: { reports: { duplicate: true, outOfOrder: true } } });
    const [id] = await rig.send([{ to: '+254711100041', message: 'messy reports' }]);
    await eventually(async () => (await stateOf(id as string)) === 'delivered', 10_000);
    await rig.sim.idle();
    const m = await rig.message(id as string);
    expect(m.state).to.equal('delivered');
    expect(m.delivery_reports?.filter((r) => r.status === 'Success')).to.have.length(1);
    expect(m.delivery_reports?.some((r) => r.status === 'Sent' && r.applied === false)).to.equal(true);
  });

  it('a report that arrives before the send result is parked and applied once the result is stored', async function () {
    rig = await startAtRig({ sim: { reports: { beforeResponse: true } } });
    const [id] = await rig.send([{ to: '+254711100051', message: 'early report' }]);
    await eventually(async () => (await stateOf(id as string)) === 'delivered', 10_000);
    expect(await countPrefix(rig.server.dbs.medic, PARKED_PREFIX)).to.equal(0);
  });

  it('one text to many recipients goes in one request, each recipient with its own reference', async function () {
    rig = await startAtRig({ sim: { latencyMs: 100 }, sms: { dispatch: { concurrency: 1, group_recipients: 50 } } });
    const items = Array.from({ length: 20 }, (_, i) => ({
      to: `+2547112000${String(i).padStart(2, '0')}`,
      message: 'Campaign: vaccination day on Saturday',
    }));
    const ids = await rig.send(items);
    for (const id of ids) await eventually(async () => (await stateOf(id)) === 'delivered', 20_000);
    expect(rig.sim.sent().length).to.be.below(20);
    const refs = new Set(await Promise.all(ids.map(async (id) => (await rig.message(id)).gateway_ref)));
    expect(refs.size).to.equal(20);
  });

  it('respects rate_limit_per_second', async function () {
    rig = await startAtRig({
      sms: { dispatch: { rate_limit_per_second: 10, concurrency: 8 } },
      sim: { reports: { enabled: false } },
    });
    const ids = await rig.send(
      Array.from({ length: 25 }, (_, i) => ({ to: `+2547113000${String(i).padStart(2, '0')}`, message: `rate ${i}` })),
    );
    for (const id of ids) await eventually(async () => (await stateOf(id)) === 'sent', 20_000);
    const times = rig.sim
      .sent()
      .map((s) => s.at)
      .sort((a, b) => a - b);
    // Count requests in any one-second window: the bucket allows its burst (10) plus the rate.
    let max = 0;
    for (let i = 0; i < times.length; i++)
      max = Math.max(max, times.filter((t) => t >= (times[i] as number) && t < (times[i] as number) + 1000).length);
    expect(max).to.be.at.most(21);
  });

  it('scheduled messages whose due time has passed go out; others are left alone (CHT due_tasks rule)', async function () {
    rig = await startAtRig();
    const now = Date.now();
    const task = (state: string, dueOffsetMs: number, to: string) => ({
      due: new Date(now + dueOffsetMs).toISOString(),
      state,
      state_history: [{ state, timestamp: new Date(now - 1000).toISOString() }],
      messages: [{ uuid: uuidv7(), to, message: `scheduled ${state} ${dueOffsetMs}` }],
    });
    const doc = {
      _id: uuidv7(),
      type: 'data_record',
      form: 'P',
      reported_date: now - 3600_000,
      scheduled_tasks: [
        task('scheduled', -60_000, '+254711400001'),
        task('scheduled', 3600_000, '+254711400002'),
        task('sent', -60_000, '+254711400003'),
        task('scheduled', -8 * 24 * 3600_000, '+254711400004'),
      ],
    };
    await rig.server.dbs.medic.put(doc);
    await rig.server.outbox.sweep();
    await eventually(async () => {
      const d = (await rig.server.dbs.medic.get(doc._id)) as unknown as { scheduled_tasks: Array<{ state: string }> };
      return d.scheduled_tasks[0]?.state === 'delivered';
    }, 15_000);
    const d = (await rig.server.dbs.medic.get(doc._id)) as unknown as { scheduled_tasks: Array<{ state: string }> };
    expect(d.scheduled_tasks.map((t) => t.state)).to.deep.equal(['delivered', 'scheduled', 'sent', 'scheduled']);
    expect(rig.sim.sent().map((s) => s.to[0])).to.deep.equal(['+254711400001']);
  });
});

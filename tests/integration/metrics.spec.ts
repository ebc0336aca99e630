/**
 * GET /metrics after a known Africa's Talking run through the simulator: 4 messages, of which
 * 2 are delivered, 1 fails after submission (number ending 598), 1 is refused 406 (denied).
 * Then webhook auth failures, a parked report, and a paused channel (bad API key).
 */
import { expect } from 'chai';
import { startAtRig, type AtRig } from '../helpers/at-setup.js';
import { api, eventually } from '../helpers/test-server.js';

/** The value of one sample line, e.g. sample(text, 'sms_messages{state="delivered"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(rig: AtRig): Promise<string> {
  const res = await fetch(`${rig.server.url}/metrics`);
  expect(res.status).to.equal(200);
  expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe('GET /metrics (Prometheus)', function () {
  let rig: AtRig;
  let ids: string[];
  before(async function () {
    rig = await startAtRig();
    ids = await rig.send([
      { to: '+254712345611', message: 'metrics one' },
      { to: '+254712345622', message: 'metrics two' },
      { to: '+254712345598', message: 'metrics fails later' },
      { to: '+254712345406', message: 'metrics blacklisted' },
    ]);
    const expected = ['delivered', 'delivered', 'failed', 'denied'];
    await eventually(async () => {
      const states = await Promise.all(ids.map(async (id) => (await rig.message(id)).state));
      return states.every((s, i) => s === expected[i]);
    });
  });
  after(async function () {
    await rig?.stop();
  });

  it('messages by state, from the database', async function () {
    const text = await scrape(rig);
    expect(sample(text, 'sms_messages{state="delivered"}')).to.equal(2);
    expect(sample(text, 'sms_messages{state="failed"}')).to.equal(1);
    expect(sample(text, 'sms_messages{state="denied"}')).to.equal(1);
    expect(sample(text, 'sms_messages{state="pending"}')).to.equal(undefined);
  });

  it('send outcomes by AT status code, and one latency observation per message', async function () {
    const text = await scrape(rig);
    expect(
      sample(text, 'sms_send_outcomes_total{service="africas-talking",status_code="101",result="accepted"}'),
    ).to.equal(3);
    expect(
      sample(text, 'sms_send_outcomes_total{service="africas-talking",status_code="406",result="final"}'),
    ).to.equal(1);
    expect(sample(text, 'sms_send_duration_seconds_count{service="africas-talking"}')).to.equal(4);
  });

  it('send-to-delivered histogram: one observation per delivered message', async function () {
    const text = await scrape(rig);
    expect(sample(text, 'sms_send_to_delivered_seconds_count')).to.equal(2);
    expect(sample(text, 'sms_send_to_delivered_seconds_bucket{le="+Inf"}')).to.equal(2);
  });

  it("cost by currency equals the simulator's charges (KES 0.8000 per accepted part)", async function () {
    const text = await scrape(rig);
    const charged = rig.sim
      .sent()
      .flatMap((r) => r.recipients)
      .filter((r) => r.cost.startsWith('KES '));
    const units = charged.reduce((sum, r) => sum + Math.round(Number(r.cost.slice(4)) * 10_000), 0);
    expect(units).to.equal(24_000);
    expect(sample(text, 'sms_cost_total{currency="KES"}')).to.equal(units / 10_000);
  });

  it('monitoring agrees: sent and delivered apart, nothing waiting', async function () {
    const body = (await api(rig.server, 'GET', '/api/v2/monitoring')).body as {
      messaging: { outgoing: { total: Record<string, number> } };
      sms: { oldest_pending_age_seconds: number | null };
    };
    expect(body.messaging.outgoing.total).to.include({ delivered: 2, sent: 0, failed: 1, muted: 1, due: 3 });
    expect(body.sms.oldest_pending_age_seconds).to.equal(null);
    const text = await scrape(rig);
    expect(sample(text, 'sms_oldest_pending_age_seconds')).to.equal(0);
    expect(sample(text, 'sms_outbox_messages{stage="in_flight"}')).to.equal(0);
  });

  it('webhook auth failures are counted per route; a parked report is shown', async function () {
    const url = `${rig.server.url}/api/v1/sms/africastalking/delivery-reports`;
    const form = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    for (const key of ['', '?key=wrong', '?key=also-wrong'])
      expect((await fetch(url + key, { ...form, body: 'id=x&status=Success' })).status).to.equal(403);
    const ok = await fetch(`${rig.sim.config().dlrUrl ?? ''}`, {
      ...form,
      body: 'id=ATXid_unknown_ref&status=Success',
    });
    expect(ok.status).to.equal(200);
    const text = await scrape(rig);
    expect(
      sample(text, 'sms_webhook_auth_failures_total{route="/api/v1/sms/africastalking/delivery-reports"}'),
    ).to.equal(3);
    expect(sample(text, 'sms_parked_delivery_reports')).to.equal(1);
    expect(text).to.not.include('also-wrong');
  });

  it('circuit state: 0 closed, 1 once a bad API key pauses the channel', async function () {
    expect(sample(await scrape(rig), 'sms_channel_circuit_state')).to.equal(0);
    await api(rig.server, 'PUT', '/api/v1/credentials/africastalking.com:outgoing', 'not-the-key');
    await rig.send([{ to: '+254712345633', message: 'metrics paused' }]);
    await eventually(async () => sample(await scrape(rig), 'sms_channel_circuit_state') === 1);
    const text = await scrape(rig);
    expect(
      sample(text, 'sms_send_outcomes_total{service="africas-talking",status_code="invalid_api_key",result="account"}'),
    ).to.be.at.least(1);
    expect(sample(text, 'sms_messages{state="pending"}')).to.equal(1);
  });

  it('each server has its own registry (no global prom-client state)', async function () {
    const { register } = await import('prom-client');
    expect(await register.getMetricsAsJSON()).to.deep.equal([]);
  });
});

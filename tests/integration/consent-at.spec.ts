/**
 * Consent and cost end to end with the AT simulator as a real server: opt-outs from AT's
 * callback, from a 406 refusal and from a delivery report stop later sends before any request;
 * smart encoding sends curly quotes as one GSM-7 part; estimates match what the simulator
 * charged; a channel paused for lack of credit stays paused while the balance is low and
 * resumes after a top-up; a high-priority message overtakes a queued bulk send.
 */
import { expect } from 'chai';
import { startAtRig, FAST_DISPATCH, type AtRig, type MessageView } from '../helpers/at-setup.js';
import { api, eventually } from '../helpers/test-server.js';

interface View extends MessageView {
  message: string;
  sent_message?: string;
  message_parts?: number;
  priority?: string;
}

const requestsTo = (rig: AtRig, number: string): number => rig.sim.sent().filter((r) => r.to.includes(number)).length;

async function settled(rig: AtRig, id: string, states: string[]): Promise<View> {
  return eventually(async () => {
    const view = (await rig.message(id)) as View;
    return states.includes(view.state) ? view : undefined;
  });
}

async function optOutEntries(rig: AtRig): Promise<Array<{ number: string; sender_id: string | null; source: string }>> {
  return (
    (await api(rig.server, 'GET', '/api/v1/sms/opt-outs')).body as {
      opt_outs: Array<{ number: string; sender_id: string | null; source: string }>;
    }
  ).opt_outs;
}

describe('consent and cost with the AT simulator', function () {
  this.timeout(60_000);
  let rig: AtRig;
  before(async function () {
    rig = await startAtRig();
  });
  after(async function () {
    await rig?.stop();
  });

  it("AT's opt-out callback, then a send from that sender id → denied, and no request to AT", async function () {
    const answer = await rig.sim.optOut({ phoneNumber: '+254711000201', senderId: 'MEDIC' });
    expect(answer.httpStatus).to.equal(200);
    expect(JSON.parse(answer.body)).to.deep.equal({ saved: 1 });
    const [id] = await rig.send([{ to: '+254711000201', message: 'Clinic day is Monday' }]);
    const view = await settled(rig, id as string, ['denied']);
    expect(view.state_details).to.equal('Not sent: recipient opted out (sender id MEDIC)');
    expect(requestsTo(rig, '+254711000201')).to.equal(0);
  });

  it('an opt-out from another sender id does not stop messages from ours', async function () {
    await rig.sim.optOut({ phoneNumber: '+254711000202', senderId: 'OTHER' });
    const [id] = await rig.send([{ to: '+254711000202', message: 'Clinic day is Monday' }]);
    await settled(rig, id as string, ['sent', 'delivered']);
    expect(requestsTo(rig, '+254711000202')).to.equal(1);
  });

  it('406 UserInBlacklist adds the number; a second send is denied without a request', async function () {
    // AT knows of the opt-out, this server was never told.
    rig.sim.configure({ optOutUrl: null });
    try {
      await rig.sim.optOut({ phoneNumber: '+254711000203', senderId: 'MEDIC' });
    } finally {
      rig.sim.configure({
        optOutUrl: `${rig.server.url}/api/v1/sms/africastalking/opt-outs?key=test-incoming-key-c41d07`,
      });
    }
    const [first] = await rig.send([{ to: '+254711000203', message: 'Your results are ready' }]);
    const refused = await settled(rig, first as string, ['denied']);
    expect(refused.state_details).to.equal('UserInBlacklist');
    expect(requestsTo(rig, '+254711000203')).to.equal(1);
    const entry = await eventually(async () => (await optOutEntries(rig)).find((e) => e.number === '+254711000203'));
    expect(entry).to.deep.include({
      sender_id: 'MEDIC',
      source: 'africas-talking: send refused (406 UserInBlacklist)',
    });
    const [second] = await rig.send([{ to: '+254711000203', message: 'Reminder: your results are ready' }]);
    expect((await settled(rig, second as string, ['denied'])).state_details).to.match(/recipient opted out/);
    expect(requestsTo(rig, '+254711000203')).to.equal(1);
  });

  it('a delivery report failing with UserInBlackList adds the number too', async function () {
    // The simulator rejects numbers ending in 596 in a report with failureReason UserInBlackList.
    const [first] = await rig.send([{ to: '+254711000596', message: 'Visit reminder' }]);
    await settled(rig, first as string, ['failed']);
    await eventually(async () =>
      (await optOutEntries(rig)).some((e) => e.number === '+254711000596' && /delivery report/.test(e.source)),
    );
    const [second] = await rig.send([{ to: '+254711000596', message: 'Second visit reminder' }]);
    expect((await settled(rig, second as string, ['denied'])).state_details).to.match(/recipient opted out/);
    expect(requestsTo(rig, '+254711000596')).to.equal(1);
  });

  const CURLY = '“Don’t forget” — your clinic visit is tomorrow at 9… Bring the child’s card and your ID, please.';
  const encodingRows: Array<{ name: string; smart?: boolean; sent: string; parts: number }> = [
    {
      name: 'smart encoding (default): curly quotes go as one GSM-7 part',
      sent: '"Don\'t forget" - your clinic visit is tomorrow at 9... Bring the child\'s card and your ID, please.',
      parts: 1,
    },
    { name: 'sms.smart_encoding false: the text as written, UCS-2 in two parts', smart: false, sent: CURLY, parts: 2 },
  ];
  for (const row of encodingRows) {
    it(row.name, async function () {
      if (row.smart !== undefined)
        await api(rig.server, 'PUT', '/api/v1/settings', { sms: { smart_encoding: row.smart } });
      try {
        const to = row.smart === false ? '+254711000205' : '+254711000204';
        const [id] = await rig.send([{ to, message: CURLY }]);
        const view = await settled(rig, id as string, ['sent', 'delivered']);
        const request = rig.sim.sent().find((r) => r.to.includes(to));
        expect(request?.message).to.equal(row.sent);
        expect(request?.recipients[0]?.messageParts).to.equal(row.parts);
        expect(view.message).to.equal(CURLY);
        expect(view.sent_message).to.equal(row.smart === false ? undefined : row.sent);
        expect(view.message_parts).to.equal(row.parts);
      } finally {
        await api(rig.server, 'PUT', '/api/v1/settings', { sms: { smart_encoding: true } });
      }
    });
  }

  it('estimates: null with no charges to the country, else the price per part charged', async function () {
    const estimate = async (
      items: unknown,
    ): Promise<{ messages: Array<Record<string, unknown>>; totals: Record<string, unknown> }> => {
      const res = await api(rig.server, 'POST', '/api/v1/messages/estimate', items);
      expect(res.status, res.text).to.equal(200);
      return res.body as { messages: Array<Record<string, unknown>>; totals: Record<string, unknown> };
    };
    const long = 'Please bring your child to the clinic for the next vaccination. '.repeat(4);
    const uganda = await estimate({ to: '+256712000001', message: 'Hello' });
    expect(uganda.messages[0]).to.deep.equal({
      to: '+256712000001',
      encoding: 'GSM-7',
      characters: 5,
      parts: 1,
      smart_encoded: false,
      estimated_cost: null,
    });

    const ids = await rig.send([
      { to: '+254711000211', message: 'Short' },
      { to: '+254711000212', message: long },
      { to: '+254711000213', message: 'Another short one' },
    ]);
    for (const id of ids) await settled(rig, id, ['sent', 'delivered']);
    // What the simulator charged, over everything sent to Kenya so far.
    const charged = rig.sim
      .sent()
      .flatMap((r) => r.recipients)
      .filter((r) => r.number.startsWith('+254') && r.cost !== '0');
    const units = charged.reduce((n, r) => n + Math.round(Number(r.cost.split(' ')[1]) * 10_000), 0);
    const parts = charged.reduce((n, r) => n + (r.messageParts ?? 0), 0);
    const perPart = units / parts / 10_000;

    // Let the delivery reports land and the charges be written, so only the estimate could change anything.
    await rig.sim.idle();
    await rig.server.outbox.idle();
    await estimate({ to: '+254711000299', message: 'warm-up' });
    const before = { sent: rig.sim.sent().length, docs: (await rig.server.dbs.medic.info()).doc_count };
    const out = await estimate([
      { to: '+254711000299', message: long },
      { to: '+254711000298', message: '“Quoted” reminder' },
      { to: '+256712000001', message: 'Hello' },
    ]);
    expect(out.messages.map((m) => [m.to, m.encoding, m.parts, m.smart_encoded])).to.deep.equal([
      ['+254711000299', 'GSM-7', 2, false],
      ['+254711000298', 'GSM-7', 1, true],
      ['+256712000001', 'GSM-7', 1, false],
    ]);
    expect(out.messages[0]?.estimated_cost).to.deep.equal({
      currency: 'KES',
      amount: Math.round(2 * perPart * 10_000) / 10_000,
    });
    expect(out.messages[1]?.estimated_cost).to.deep.equal({
      currency: 'KES',
      amount: Math.round(perPart * 10_000) / 10_000,
    });
    expect(out.messages[2]?.estimated_cost).to.equal(null);
    expect(out.totals).to.deep.equal({
      messages: 3,
      parts: 4,
      estimated_cost: [{ currency: 'KES', amount: Math.round(3 * perPart * 10_000) / 10_000 }],
      without_estimate: 1,
    });
    expect(rig.sim.sent().length).to.equal(before.sent);
    expect((await rig.server.dbs.medic.info()).doc_count).to.equal(before.docs);
  });

  it('estimate refuses what POST /api/v1/messages refuses, naming the item', async function () {
    const res = await api(rig.server, 'POST', '/api/v1/messages/estimate', [
      { to: '+254711000001', message: 'ok' },
      { to: 'nope', message: 'x' },
    ]);
    expect(res.status).to.equal(400);
    expect((res.body as { error: string }).error).to.match(/^messages\[1\]\.to/);
  });
});

describe('balance watch with the AT simulator', function () {
  this.timeout(60_000);
  let rig: AtRig;
  before(async function () {
    rig = await startAtRig({
      // 0.80 KES per part: one message, then the credit runs out.
      sim: { balance: 1 },
      sms: { africas_talking: { username: 'sandbox', low_balance_threshold: 5, balance_check_minutes: 0 } },
    });
  });
  after(async function () {
    await rig?.stop();
  });

  it('a 405-paused channel stays paused while the balance is low; a top-up reopens it', async function () {
    const [paid] = await rig.send([{ to: '+254711000301', message: 'First' }]);
    await settled(rig, paid as string, ['sent', 'delivered']);
    const [waiting] = await rig.send([{ to: '+254711000302', message: 'Second' }]);
    await eventually(async () =>
      rig.server.outbox
        .channelState()
        .held?.includes('balance KES 0.2000 is not above sms.africas_talking.low_balance_threshold (5)'),
    );
    // Held through several checks, with no other send attempt.
    const checks = rig.sim.fetches().length;
    await eventually(async () => rig.sim.fetches().length >= checks + 2);
    expect(requestsTo(rig, '+254711000302')).to.equal(1);
    expect((await rig.message(waiting as string)).state).to.equal('pending');

    const monitoring = (await api(rig.server, 'GET', '/api/v2/monitoring')).body as {
      sms: { channel: { state: string; held?: string }; balance: Record<string, unknown> };
    };
    expect(monitoring.sms.channel.state).to.equal('open');
    expect(monitoring.sms.balance).to.include({ amount: 0.2, currency: 'KES', low: true });
    expect(Date.parse(monitoring.sms.balance.checked_at as string)).to.not.be.NaN;
    expect((await api(rig.server, 'GET', '/metrics')).text).to.include('sms_account_balance{currency="KES"} 0.2');

    rig.sim.configure({ balance: 100 });
    await settled(rig, waiting as string, ['sent', 'delivered']);
    expect(rig.server.outbox.channelState().state).to.equal('closed');
    const after = (await api(rig.server, 'GET', '/api/v2/monitoring')).body as { sms: { balance: { low: boolean } } };
    expect(after.sms.balance.low).to.equal(false);
    // One line when it went low, one when it recovered: not one per check.
    expect(rig.server.logs().match(/at or below the low-balance threshold/g)).to.have.length(1);
    expect(rig.server.logs().match(/above the low-balance threshold again/g)).to.have.length(1);
  });
});

describe('priority lanes with the AT simulator', function () {
  this.timeout(120_000);
  let rig: AtRig;
  before(async function () {
    rig = await startAtRig({
      sim: { latencyMs: 20, reports: { enabled: false } },
      // One request at a time, one recipient each: the bulk send takes minutes to drain.
      sms: { dispatch: { ...FAST_DISPATCH, concurrency: 1, group_recipients: 1 } },
    });
  });
  after(async function () {
    await rig?.stop();
  });

  it('with 5,000 bulk messages queued, a single new message overtakes them; bulk keeps draining', async function () {
    const bulk = (start: number) =>
      Array.from({ length: 1000 }, (_, i) => ({
        to: `+2547${String(30_000_000 + start + i)}`,
        message: 'Campaign: vaccination week starts Monday',
      }));
    const bulkIds: string[] = [];
    for (let k = 0; k < 5; k++) bulkIds.push(...(await rig.send(bulk(k * 1000))));
    const queuedAt = rig.sim.sent().length;
    const [alert] = await rig.send([{ to: '+254711000399', message: 'Alert: cold chain failure at the clinic' }]);
    await eventually(async () => requestsTo(rig, '+254711000399') === 1, 30_000);
    const order = rig.sim.sent().map((r) => r.to[0]);
    const alertAt = order.indexOf('+254711000399');
    // The alert went with the next free slot (one request may already have been in flight).
    expect(alertAt - queuedAt).to.be.at.most(2);
    expect(queuedAt).to.be.below(4000);
    // Bulk keeps going after it.
    await eventually(async () => rig.sim.sent().length > alertAt + 5, 30_000);
    const views = (await Promise.all([rig.message(alert as string), rig.message(bulkIds[0] as string)])) as View[];
    expect(views.map((v) => v.priority)).to.deep.equal(['high', 'bulk']);
  });

  it('an item may name its lane: "high" inside a large request overtakes the bulk', async function () {
    const items = Array.from({ length: 20 }, (_, i) => ({
      to: `+2547${String(40_000_000 + i)}`,
      message: 'Campaign part two',
    }));
    items.push({ to: '+254711000398', message: 'Urgent', priority: 'high' } as (typeof items)[number]);
    const queuedAt = rig.sim.sent().length;
    await rig.send(items);
    await eventually(async () => requestsTo(rig, '+254711000398') === 1, 30_000);
    expect(
      rig.sim
        .sent()
        .map((r) => r.to[0])
        .indexOf('+254711000398') - queuedAt,
    ).to.be.at.most(2);
  });
});

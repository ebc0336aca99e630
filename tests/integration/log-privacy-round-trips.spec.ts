/**
 * Privacy in logs over full round trips at debug level: an Africa's Talking send (through the
 * simulator, with delivery reports), an AT incoming message, and a medic-gateway poll with an
 * incoming message, a hand-out and status updates. By default no phone number (in any of its
 * spellings) and no message text reaches the captured logs; with `sms.log_full_content: true`
 * they do (which shows the check would catch a leak).
 */
import { expect } from 'chai';
import { INCOMING_KEY, startAtRig, type AtRig } from '../helpers/at-setup.js';
import { api, eventually } from '../helpers/test-server.js';

const AT_TO = '+254712345611';
const AT_TEXT = 'Your ANC visit is due on Friday';
const AT_FROM = '+254798765431';
const AT_IN_TEXT = 'PREG Jane Doe 12 weeks';
const GW_FROM = '+254733111222';
const GW_TEXT = 'DELIVERY baby girl 3kg';
const GW_TO = '+254700555666';
const GW_OUT_TEXT = 'Reminder: immunisation clinic tomorrow';

/** Every spelling a number may take in a log: E.164, without plus, national. */
const spellings = (n: string): string[] => [n, n.slice(1), `0${n.slice(4)}`];

async function roundTrip(rig: AtRig, tag: string): Promise<void> {
  const [id] = await rig.send([{ to: AT_TO, message: `${AT_TEXT} ${tag}` }]);
  await eventually(async () => (await rig.message(id as string)).state === 'delivered');
  const results = await rig.sim.injectIncoming({ from: AT_FROM, text: `${AT_IN_TEXT} ${tag}` });
  expect(results[0]?.httpStatus).to.equal(200);
  // medic-gateway: incoming + an outgoing message handed out and reported (gateway selected).
  await api(rig.server, 'PUT', '/api/v1/settings', {
    sms: { outgoing_service: 'medic-gateway', log_full_content: tag === 'full' },
  });
  const queued = await api(rig.server, 'POST', '/api/v1/messages', { to: GW_TO, message: `${GW_OUT_TEXT} ${tag}` });
  const gwId = (queued.body as { messages: Array<{ id: string }> }).messages[0]?.id;
  const poll = await api(rig.server, 'POST', '/api/sms', {
    messages: [{ id: `gw-${tag}`, from: GW_FROM, content: `${GW_TEXT} ${tag}` }],
  });
  expect((poll.body as { messages: Array<{ id: string }> }).messages.map((m) => m.id)).to.include(gwId);
  await api(rig.server, 'POST', '/api/sms', {
    updates: [
      { id: gwId, status: 'SENT' },
      { id: gwId, status: 'DELIVERED' },
    ],
  });
}

describe('privacy in logs (full round trips)', function () {
  let rig: AtRig;
  before(async function () {
    rig = await startAtRig();
  });
  after(async function () {
    await rig?.stop();
  });

  it('by default: no phone number, no message text and no key in any log line', async function () {
    await roundTrip(rig, 'private');
    const logs = rig.server.logs();
    expect(logs).to.include('gateway incoming message'); // the debug lines were written…
    for (const n of [AT_TO, AT_FROM, GW_FROM, GW_TO]) for (const s of spellings(n)) expect(logs, s).to.not.include(s);
    for (const t of [AT_TEXT, AT_IN_TEXT, GW_TEXT, GW_OUT_TEXT]) expect(logs, t).to.not.include(t);
    expect(logs).to.not.include(INCOMING_KEY);
    expect(logs).to.include('+254*******22'); // …with the number masked
  });

  it('sms.log_full_content: true logs numbers and texts in full, without a restart', async function () {
    const before = rig.server.logs().length;
    await api(rig.server, 'PUT', '/api/v1/settings', {
      sms: { outgoing_service: 'africas-talking', log_full_content: true },
    });
    await roundTrip(rig, 'full');
    const logs = rig.server.logs().slice(before);
    expect(logs).to.include(GW_FROM);
    expect(logs).to.include(`${GW_TEXT} full`);
    expect(logs).to.not.include(INCOMING_KEY);
  });
});

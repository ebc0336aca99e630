/**
 * GET /api/v2/monitoring against a database with a known mix of messages: CHT's
 * messaging.outgoing groups (total, seven_days, last_hundred) with #9002 fixed (sent and
 * delivered apart), and the sms section (channel, oldest pending age, parked reports, cost).
 */
import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { api, startTestServer, type TestServer } from '../helpers/test-server.js';

const NOW = Date.parse('2025-03-10T12:00:00.000Z');
const HOUR = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();

interface Spec {
  state: string;
  due: number;
  cost?: string;
  parts?: number;
  /** Timestamp of the send-result history entry (the cost's day). */
  sentAt?: string;
  scheduled?: boolean;
}

function doc(spec: Spec): Record<string, unknown> {
  const history = [{ state: 'pending', timestamp: iso(spec.due) }];
  if (spec.sentAt) history.push({ state: 'sent', timestamp: spec.sentAt });
  if (spec.state !== 'pending') history.push({ state: spec.state, timestamp: spec.sentAt ?? iso(spec.due + 1000) });
  const task = {
    messages: [{ uuid: uuidv7(), to: '+254712000222', message: 'x' }],
    state: spec.state,
    state_history: history,
    ...(spec.scheduled ? { due: iso(spec.due) } : {}),
    ...(spec.cost ? { cost: spec.cost, message_parts: spec.parts ?? 1 } : {}),
  };
  return {
    _id: uuidv7(),
    type: 'data_record',
    kujua_message: true,
    reported_date: spec.due,
    ...(spec.scheduled ? { scheduled_tasks: [task] } : { tasks: [task] }),
  };
}

const recent = NOW - HOUR;
const SPECS: Spec[] = [
  { state: 'pending', due: NOW - 2 * HOUR },
  { state: 'pending', due: recent },
  { state: 'forwarded-to-gateway', due: recent },
  ...[1, 2, 3].map(() => ({
    state: 'sent',
    due: recent,
    cost: 'KES 0.8000',
    parts: 1,
    sentAt: '2025-03-01T10:00:00.000Z',
  })),
  ...[1, 2].map(() => ({
    state: 'delivered',
    due: recent,
    cost: 'KES 1.6000',
    parts: 2,
    sentAt: '2025-03-02T09:00:00.000Z',
  })),
  // Older than seven days: counted in total only.
  { state: 'delivered', due: NOW - 30 * 24 * HOUR, cost: 'USD 0.0100', parts: 1, sentAt: '2025-03-02T23:59:59.000Z' },
  { state: 'failed', due: recent },
  { state: 'scheduled', due: NOW + 48 * HOUR, scheduled: true },
  { state: 'scheduled', due: NOW + 72 * HOUR, scheduled: true },
  { state: 'muted', due: recent, scheduled: true },
  { state: 'denied', due: recent },
];

describe('GET /api/v2/monitoring', function () {
  let server: TestServer;
  before(async function () {
    server = await startTestServer({ compose: { now: () => new Date(NOW) } });
    // No outgoing service: the gateway poll below must not hand out (and re-state) pending messages.
    expect((await api(server, 'PUT', '/api/v1/settings?replace=1', { sms: {} })).status).to.equal(200);
    await server.dbs.medic.bulkDocs(SPECS.map(doc));
    // An incoming SMS has no tasks and must not count anywhere.
    await api(server, 'POST', '/api/sms', { messages: [{ id: 'mon-in-1', from: '+254712000333', content: 'hello' }] });
    // A delivery report for a reference nobody sent yet is parked.
    await api(server, 'PUT', '/api/v1/credentials/africastalking.com:incoming', 'mon-key');
    const dlr = await fetch(`${server.url}/api/v1/sms/africastalking/delivery-reports?key=mon-key`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'id=ATXid_not_yet_known&status=Success',
    });
    expect(dlr.status).to.equal(200);
  });
  after(async function () {
    await server?.stop();
  });

  interface Monitoring {
    version: { app: string };
    date: { current: number };
    messaging: { outgoing: { total: unknown; seven_days: unknown; last_hundred: unknown } };
    sms: { channel: unknown; oldest_pending_age_seconds: number; parked_reports: number; cost: unknown };
  }

  async function monitoring(): Promise<Monitoring> {
    const res = await fetch(`${server.url}/api/v2/monitoring`);
    expect(res.status).to.equal(200);
    return (await res.json()) as Monitoring;
  }

  it('needs no authentication and carries version and date as CHT does', async function () {
    const body = await monitoring();
    expect(body.version.app).to.match(/^\d+\.\d+\.\d+/);
    expect(body.date.current).to.equal(NOW);
  });

  it('total: CHT groups, with sent and delivered counted apart (#9002)', async function () {
    const body = await monitoring();
    // due = every message not scheduled/muted (CHT counts sent/delivered/failed under due too).
    expect(body.messaging.outgoing.total).to.deep.equal({
      due: 10,
      scheduled: 2,
      muted: 2,
      failed: 1,
      delivered: 3,
      sent: 3,
    });
  });

  it('seven_days: due within [start of day − 7 days, now]', async function () {
    const body = await monitoring();
    expect(body.messaging.outgoing.seven_days).to.deep.equal({
      due: 9,
      scheduled: 0,
      muted: 2,
      failed: 1,
      delivered: 2,
      sent: 3,
    });
  });

  it('last_hundred: states of the most recently updated tasks per group', async function () {
    const body = await monitoring();
    expect(body.messaging.outgoing.last_hundred).to.deep.equal({
      pending: { pending: 2, 'forwarded-to-gateway': 1, 'received-by-gateway': 0, 'forwarded-by-gateway': 0 },
      final: { sent: 3, delivered: 3, failed: 1 },
      muted: { denied: 1, cleared: 0, muted: 1, duplicate: 0 },
    });
  });

  it('sms: channel state, oldest pending age, parked reports', async function () {
    const body = await monitoring();
    expect(body.sms.channel).to.deep.equal({ state: 'closed', pauses: 0 });
    expect(body.sms.oldest_pending_age_seconds).to.equal(7200);
    expect(body.sms.parked_reports).to.equal(1);
  });

  it('sms.cost: totals by currency and by day, exact to 4 decimals', async function () {
    const body = await monitoring();
    expect(body.sms.cost).to.deep.equal({
      by_currency: { KES: 5.6, USD: 0.01 },
      by_day: [
        { day: '2025-03-01', currency: 'KES', total: 2.4, messages: 3, parts: 3 },
        { day: '2025-03-02', currency: 'KES', total: 3.2, messages: 2, parts: 4 },
        { day: '2025-03-02', currency: 'USD', total: 0.01, messages: 1, parts: 1 },
      ],
    });
  });

  it('answers only counts: no phone number or text in the body', async function () {
    const text = JSON.stringify(await monitoring());
    expect(text).to.not.include('254712');
    expect(text).to.not.include('hello');
  });
});

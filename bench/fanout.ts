/**
 * One text to many: 10,000 recipients of the same text, queued in POSTs of 1,000 (the API's
 * per-request cap), then drained (a) by the outbox through AT, many recipients per request, and
 * (b) by medic-gateway's hand-out: one phone polling `POST /api/sms`, 25 messages per poll as in
 * CHT, each poll reporting the previous batch `SENT`.
 */
import { performance } from 'node:perf_hooks';
import { startSimulator } from '../shared-libs/at-simulator/index.js';
import type { ServerProcess } from './child.js';
import { api, waitUntil } from './load.js';
import { configure, launch, processFigures, storeLabel, type ScenarioBase, type Storage } from './scenarios.js';
import { allOutgoing, kenyanNumber, openStore } from './store.js';

export interface FanoutResult extends ScenarioBase {
  via: 'africas-talking' | 'medic-gateway';
  recipients: number;
  groupRecipients?: number;
  postMs: number;
  /** First POST → the last recipient's `sent` entry in the store. */
  drainMs: number;
  perSec: number;
  /** AT requests, or medic-gateway polls. */
  requests: number;
  finalSent: number;
}

const TEXT = 'Polio vaccination campaign: bring every child under five to the clinic on Saturday.';

async function queue(server: ServerProcess, n: number): Promise<number> {
  const t0 = performance.now();
  for (let start = 0; start < n; start += 1000) {
    const items = [];
    for (let i = start; i < Math.min(n, start + 1000); i++)
      items.push({ to: kenyanNumber(200_000 + i), message: TEXT });
    await api(server, 'POST', '/api/v1/messages', items);
  }
  return performance.now() - t0;
}

/** Reads the end state: how many ended `sent`, and when the last one did. */
async function endState(dataDir: string, couchUrl: string | undefined): Promise<{ sent: number; lastSentAt: number }> {
  const store = await openStore({ dataDir, couchUrl });
  const docs = await allOutgoing(store.medic);
  await store.close();
  let sent = 0;
  let lastSentAt = 0;
  for (const d of docs) {
    const task = d.tasks?.[0];
    if (task?.state !== 'sent') continue;
    sent++;
    for (const h of task.state_history ?? [])
      if (h.state === 'sent') lastSentAt = Math.max(lastSentAt, Date.parse(h.timestamp));
  }
  return { sent, lastSentAt };
}

export async function fanoutAtScenario(
  storage: Storage,
  opts: { recipients: number; groupRecipients: number; concurrency: number; cpuProf: boolean },
): Promise<FanoutResult> {
  const wall0 = performance.now();
  const sim = await startSimulator({ latencyMs: 50, reports: { enabled: false }, maxRecords: 1_000_000 });
  const { server, couchUrl, dataDir } = await launch(storage, 'fanout-at', sim, opts.cpuProf);
  try {
    await configure(server, {
      outgoing: true,
      concurrency: opts.concurrency,
      dispatch: { group_recipients: opts.groupRecipients },
    });
    const startupSweepMs = await server.sweep();
    const s0 = await server.stats();
    const recipientsSent = (): number =>
      sim
        .sent()
        .reduce(
          (n, r) => n + (r.httpStatus === 201 ? r.recipients.filter((x) => x.messageId !== 'None').length : 0),
          0,
        );
    const t0Epoch = Date.now();
    const postMs = await queue(server, opts.recipients);
    const drained = await waitUntil(
      async () => {
        if (recipientsSent() < opts.recipients) return false;
        const o = (await server.stats()).outbox;
        return o.inFlight === 0 && o.claimedWaiting === 0 && o.ready === 0;
      },
      300_000,
      50,
    );
    if (!drained)
      throw new Error(`fan-out (AT): only ${recipientsSent()} of ${opts.recipients} recipients sent within 300 s`);
    const s1 = await server.stats();
    await server.stop();
    const requests = sim.sent().length;
    const end = await endState(dataDir, couchUrl);
    const drainMs = end.lastSentAt - t0Epoch;
    return {
      store: storeLabel(storage),
      via: 'africas-talking',
      recipients: opts.recipients,
      groupRecipients: opts.groupRecipients,
      postMs,
      drainMs,
      perSec: (opts.recipients / drainMs) * 1000,
      requests,
      finalSent: end.sent,
      ...processFigures(server, s0, s1, wall0, startupSweepMs),
    };
  } finally {
    await server.stop();
    await sim.close();
  }
}

interface Handed {
  id: string;
}

export async function fanoutGatewayScenario(
  storage: Storage,
  opts: { recipients: number; cpuProf: boolean },
): Promise<FanoutResult> {
  const wall0 = performance.now();
  const sim = await startSimulator({ reports: { enabled: false } });
  const { server, couchUrl, dataDir } = await launch(storage, 'fanout-gateway', sim, opts.cpuProf);
  try {
    // medic-gateway is the default outgoing service.
    await configure(server, { outgoing: false, concurrency: 32 });
    const startupSweepMs = await server.sweep();
    const s0 = await server.stats();
    const t0Epoch = Date.now();
    const postMs = await queue(server, opts.recipients);
    let polls = 0;
    let handed = 0;
    let previous: Handed[] = [];
    const deadline = Date.now() + 600_000;
    // One phone, polling back to back: each poll reports the previous batch sent.
    for (;;) {
      const body = { updates: previous.map((m) => ({ id: m.id, status: 'SENT' })) };
      const res = await api<{ messages: Handed[] }>(server, 'POST', '/api/sms', body);
      polls++;
      handed += res.messages.length;
      if (res.messages.length === 0 && previous.length === 0) break;
      previous = res.messages;
      if (Date.now() > deadline)
        throw new Error(`fan-out (gateway): ${handed} of ${opts.recipients} handed out within 600 s`);
    }
    const s1 = await server.stats();
    await server.stop();
    const end = await endState(dataDir, couchUrl);
    const drainMs = end.lastSentAt - t0Epoch;
    return {
      store: storeLabel(storage),
      via: 'medic-gateway',
      recipients: opts.recipients,
      postMs,
      drainMs,
      perSec: (opts.recipients / drainMs) * 1000,
      requests: polls,
      finalSent: end.sent,
      ...processFigures(server, s0, s1, wall0, startupSweepMs),
    };
  } finally {
    await server.stop();
    await sim.close();
  }
}

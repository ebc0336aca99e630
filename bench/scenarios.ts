/**
 * The three benchmark scenarios. Each starts a fresh server process on a fresh temporary
 * DATA_DIR (and, for CouchDB mode, a fresh database), drives it only through the public HTTP API
 * and the AT simulator, then stops it and reads the end state from the store.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startSimulator, type Simulator } from '../shared-libs/at-simulator/index.js';
import { procCpuMs, startServer, type ServerProcess, type ServerStats } from './child.js';
import { storeCost, type StoreCost } from './costs.js';
import { api, closedLoop, sleep, summarize, waitUntil, type Summary } from './load.js';
import type { CouchServer as BenchCouch } from '../tests/helpers/pouchdb-server.js';
import { loadDefaultSettings } from '../api/src/settings/settings.js';
import { INCOMING_PREFIX } from '../api/src/messages/incoming.js';
import { countPrefix } from '../shared-libs/couch/index.js';
import { allOutgoing, incomingBody, kenyanNumber, openStore, preloadSent, readDocs } from './store.js';

export const AT_KEY = 'sandbox-api-key';
export const INCOMING_KEY = 'bench-incoming-key-0123456789';

export interface Storage {
  kind: 'embedded' | 'couchdb';
  couch?: BenchCouch;
}

export interface ScenarioBase {
  store: string;
  /** Highest 100 ms RSS sample over the server process's whole life (start-up included). */
  peakRssBytes: number;
  /** Highest sample while the load ran (DLR: after the start-up sweep). */
  loadPeakRssBytes?: number;
  vmHwmBytes?: number;
  /** Linux: the highest anonymous RSS (RSS less file-backed pages) of the 100 ms samples. */
  peakAnonBytes?: number;
  serverCpuMs: number;
  /** CPU, document writes and store round trips over the measured load. */
  cost: StoreCost;
  startupSweepMs?: number;
  wallMs: number;
  logFile: string;
}

/** The figures every scenario reports about the server process. */
export function processFigures(
  server: ServerProcess,
  s0: ServerStats,
  s1: ServerStats,
  wall0: number,
  startupSweepMs?: number,
): Omit<ScenarioBase, 'store' | 'loadPeakRssBytes'> {
  const cost = storeCost(s0, s1);
  return {
    peakRssBytes: server.peakRss(),
    vmHwmBytes: server.vmHwm(),
    ...(s1.peakAnon !== undefined ? { peakAnonBytes: s1.peakAnon } : {}),
    serverCpuMs: cost.cpuMs,
    cost,
    ...(startupSweepMs !== undefined ? { startupSweepMs } : {}),
    wallMs: performance.now() - wall0,
    logFile: server.logFile,
  };
}

/** Every temporary folder this run made, for the clean-up at the end. */
export const tempDirs: string[] = [];

export function tempDir(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cht-sms-bench-${label}-`));
  tempDirs.push(dir);
  return dir;
}

export const storeLabel = (s: Storage): string =>
  s.kind === 'embedded' ? 'embedded (LevelDB)' : 'pouchdb-server (HTTP)';

let dbCounter = 0;

export async function launch(
  storage: Storage,
  label: string,
  sim: Simulator,
  cpuProf: boolean,
): Promise<{ server: ServerProcess; dataDir: string; couchUrl?: string }> {
  const dataDir = tempDir(label);
  const couchUrl =
    storage.kind === 'couchdb' && storage.couch
      ? `${storage.couch.adminUrl}/bench${++dbCounter}x${process.pid}`
      : undefined;
  const server = await startServer({
    dataDir,
    couchUrl,
    atApiUrl: sim.url,
    adminAuth: storage.kind === 'couchdb' ? storage.couch?.adminAuth : undefined,
    execArgv: cpuProf
      ? ['--cpu-prof', `--cpu-prof-dir=${path.join(process.env.BENCH_CPU_PROF_DIR ?? dataDir, label)}`]
      : [],
  });
  return { server, dataDir, couchUrl };
}

export async function configure(
  server: ServerProcess,
  opts: { outgoing: boolean; concurrency: number; dispatch?: Record<string, unknown> },
): Promise<void> {
  await api(server, 'PUT', '/api/v1/credentials/africastalking.com:outgoing', AT_KEY);
  await api(server, 'PUT', '/api/v1/credentials/africastalking.com:incoming', INCOMING_KEY);
  // BENCH_EXCHANGE_LOG_DAYS=0 turns the exchange log off (`sms.exchange_log_days`), to see its share.
  const logDays = process.env.BENCH_EXCHANGE_LOG_DAYS;
  const exchangeLog = logDays !== undefined && logDays !== '' ? { exchange_log_days: Number(logDays) } : {};
  if (opts.outgoing) {
    await api(server, 'PUT', '/api/v1/settings', {
      sms: {
        outgoing_service: 'africas-talking',
        africas_talking: { username: 'sandbox' },
        dispatch: { concurrency: opts.concurrency, ...opts.dispatch },
        ...exchangeLog,
      },
    });
  } else if (Object.keys(exchangeLog).length > 0) {
    await api(server, 'PUT', '/api/v1/settings', { sms: exchangeLog });
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Outgoing
// ---------------------------------------------------------------------------------------------

export interface OutgoingResult extends ScenarioBase {
  concurrency: number;
  backlog: {
    n: number;
    postMs: number;
    drainMs: number;
    /** When the bench saw the simulator count reach n and the outbox idle (polling, 10 ms). */
    observedDrainMs: number;
    msgsPerSec: number;
    latency: Summary;
  };
  paced: {
    n: number;
    ratePerSec: number;
    latency: Summary;
    lastSentAfterLastPostMs: number;
  };
  atRequests: number;
  /** Outbox entries still waiting on a timer once everything was sent. */
  leftoverKnown: number;
  /** CouchDB mode: CPU used by pouchdb-server during the backlog and paced runs. */
  couchCpuMs?: number;
  duplicates: number;
  finalSent: number;
  finalTotal: number;
  notSent: Record<string, number>;
}

const outgoingText = (run: string, i: number): string =>
  `${run} ${i}: your next clinic visit is on Tuesday, bring the child's card.`;

export async function outgoingScenario(
  storage: Storage,
  opts: { n: number; pacedN: number; pacedRate: number; concurrency: number; cpuProf: boolean },
): Promise<OutgoingResult> {
  const wall0 = performance.now();
  const sim = await startSimulator({ latencyMs: 50, reports: { enabled: false }, maxRecords: 1_000_000 });
  const { server, couchUrl, dataDir } = await launch(
    storage,
    storage.kind === 'embedded' ? 'outgoing' : 'outgoing-couch',
    sim,
    opts.cpuProf,
  );
  try {
    await configure(server, { outgoing: true, concurrency: opts.concurrency });
    const startupSweepMs = await server.sweep();
    const s0 = await server.stats();
    const couchCpu0 = storage.couch ? procCpuMs(storage.couch.pid) : undefined;
    const okSent = (): number => sim.sent().reduce((n, r) => n + (r.httpStatus === 201 ? 1 : 0), 0);
    // Nothing being sent or waiting to be sent. (`known` is not used: entries re-queued from
    // late changes-feed events wait there for their lease to expire; see the README.)
    const idle = async (): Promise<boolean> => {
      const s = (await server.stats()).outbox;
      return s.inFlight === 0 && s.claimedWaiting === 0 && s.ready === 0;
    };

    // Backlog: n messages queued as fast as the API takes them (requests of 1,000).
    const t0 = performance.now();
    const t0Epoch = Date.now();
    for (let start = 0; start < opts.n; start += 1000) {
      const items = [];
      for (let i = start; i < Math.min(opts.n, start + 1000); i++)
        items.push({ to: kenyanNumber(i), message: outgoingText('Backlog', i) });
      await api(server, 'POST', '/api/v1/messages', items);
    }
    const postMs = performance.now() - t0;
    // (The figure comes from the store's timestamps, so polling every 50 ms costs no precision.)
    const drained = await waitUntil(async () => okSent() >= opts.n && (await idle()), 240_000, 50);
    const observedDrainMs = performance.now() - t0;
    const leftoverKnown = (await server.stats()).outbox.known;
    if (!drained) throw new Error(`outgoing: only ${okSent()} of ${opts.n} sent within 240 s`);

    // Paced: one message per request at pacedRate/s, what "how soon after queueing" means.
    const tp = performance.now();
    const posts: Promise<unknown>[] = [];
    for (let i = 0; i < opts.pacedN; i++) {
      const due = tp + (i * 1000) / opts.pacedRate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      posts.push(
        api(server, 'POST', '/api/v1/messages', { to: kenyanNumber(500_000 + i), message: outgoingText('Paced', i) }),
      );
    }
    await Promise.all(posts);
    const lastPost = Date.now();
    const pacedDone = await waitUntil(async () => okSent() >= opts.n + opts.pacedN && (await idle()), 60_000, 50);
    if (!pacedDone) throw new Error(`outgoing (paced): only ${okSent() - opts.n} of ${opts.pacedN} sent within 60 s`);
    const s1 = await server.stats();
    const couchCpu1 = storage.couch ? procCpuMs(storage.couch.pid) : undefined;
    await server.stop();

    // End state, read from the store itself.
    const sent = sim.sent().filter((r) => r.httpStatus === 201);
    const store = await openStore({ dataDir, couchUrl });
    const docs = await allOutgoing(store.medic);
    await store.close();
    const created = new Map<string, number>();
    const notSent: Record<string, number> = {};
    let finalSent = 0;
    let lastBacklogSentAt = 0;
    for (const d of docs) {
      const task = d.tasks?.[0];
      const msg = task?.messages?.[0];
      if (msg) created.set(msg.message, d.reported_date);
      if (msg?.message.startsWith('Backlog ')) {
        for (const h of task?.state_history ?? []) {
          if (h.state === 'sent') lastBacklogSentAt = Math.max(lastBacklogSentAt, Date.parse(h.timestamp));
        }
      }
      if (task?.state === 'sent') finalSent++;
      else notSent[String(task?.state)] = (notSent[String(task?.state)] ?? 0) + 1;
    }
    const perMessage = new Map<string, number>();
    // (observedDrainMs is polled; drainMs below comes from the store.)
    const backlogLat: number[] = [];
    const pacedLat: number[] = [];
    let lastPacedAt = 0;
    for (const r of sent) {
      for (const to of r.to) {
        const key = `${to}|${r.message}`;
        perMessage.set(key, (perMessage.get(key) ?? 0) + 1);
      }
      const c = created.get(r.message);
      if (c === undefined) continue;
      if (r.message.startsWith('Backlog ')) backlogLat.push(r.at - c);
      else {
        pacedLat.push(r.at - c);
        lastPacedAt = Math.max(lastPacedAt, r.at);
      }
    }
    const duplicates = [...perMessage.values()].reduce((n, c) => n + (c - 1), 0);
    // "All sent" = the last backlog message's `sent` entry in the store (its state_history time).
    const drainMs = lastBacklogSentAt > 0 ? lastBacklogSentAt - t0Epoch : observedDrainMs;
    return {
      store: storeLabel(storage),
      concurrency: opts.concurrency,
      backlog: {
        n: opts.n,
        postMs,
        drainMs,
        observedDrainMs,
        msgsPerSec: (opts.n / drainMs) * 1000,
        latency: summarize(backlogLat),
      },
      paced: {
        n: opts.pacedN,
        ratePerSec: opts.pacedRate,
        latency: summarize(pacedLat),
        lastSentAfterLastPostMs: lastPacedAt - lastPost,
      },
      atRequests: sent.length,
      leftoverKnown,
      couchCpuMs: couchCpu0 !== undefined && couchCpu1 !== undefined ? couchCpu1 - couchCpu0 : undefined,
      duplicates,
      finalSent,
      finalTotal: docs.length,
      notSent,
      ...processFigures(server, s0, s1, wall0, startupSweepMs),
    };
  } finally {
    await server.stop();
    await sim.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Delivery reports
// ---------------------------------------------------------------------------------------------

export interface DlrResult extends ScenarioBase {
  storeSize: number;
  reports: number;
  concurrency: number;
  preloadMs: number;
  ms: number;
  perSec: number;
  latency: Summary;
  non200: number;
  savedOne: number;
  delivered: number;
  /** CouchDB mode: CPU used by pouchdb-server during the reports. */
  couchCpuMs?: number;
}

/** A reproducible shuffle, so the reports hit the store in no particular key order. */
function shuffle<T>(items: T[], seed: number): T[] {
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

export async function dlrScenario(opts: {
  storage: Storage;
  storeSize: number;
  reports: number;
  concurrency: number;
  cpuProf: boolean;
}): Promise<DlrResult> {
  const wall0 = performance.now();
  const couch = opts.storage.kind === 'couchdb' ? opts.storage.couch : undefined;
  const label = `dlr-${opts.storeSize}${couch ? '-couch' : ''}`;
  const dataDir = tempDir(label);
  const couchUrl = couch ? `${couch.adminUrl}/benchdlr${++dbCounter}x${process.pid}` : undefined;
  // Preload while no server holds the LevelDB lock.
  const p0 = performance.now();
  const preStore = await openStore({ dataDir, couchUrl });
  const messages = await preloadSent(preStore.medic, opts.storeSize);
  // This run measures the delivery-report path alone. The outbox sweep's view build over a
  // preloaded store (minutes, and memory in proportion to the store) is measured separately
  // (sweepScenario): the default outgoing service (medic-gateway, pull) has no outbox query,
  // and an empty messaging window keeps the due-schedule check from querying the view.
  await preStore.medic.put({
    _id: 'settings',
    settings: {
      ...loadDefaultSettings(),
      schedule_morning_hours: 23,
      schedule_morning_minutes: 59,
      schedule_evening_hours: 1,
      schedule_evening_minutes: 0,
    },
  });
  await preStore.close();
  const preloadMs = performance.now() - p0;

  const sim = await startSimulator({ reports: { enabled: false } });
  const server = await startServer({
    dataDir,
    couchUrl,
    adminAuth: couch?.adminAuth,
    atApiUrl: sim.url,
    execArgv: opts.cpuProf
      ? ['--cpu-prof', `--cpu-prof-dir=${path.join(process.env.BENCH_CPU_PROF_DIR ?? dataDir, label)}`]
      : [],
  });
  try {
    await configure(server, { outgoing: false, concurrency: 32 });
    const startupSweepMs = await server.sweep();
    server.resetPeak();
    const step = Math.max(1, Math.floor(messages.length / opts.reports));
    const targets = shuffle(messages.filter((_, i) => i % step === 0).slice(0, opts.reports), opts.storeSize);
    const bodies = targets.map((m) =>
      new URLSearchParams({
        id: m.ref,
        status: 'Success',
        phoneNumber: m.to,
        networkCode: '63902',
        retryCount: '0',
      }).toString(),
    );
    const s0 = await server.stats();
    const couchCpu0 = couch ? procCpuMs(couch.pid) : undefined;
    const res = await closedLoop(
      `${server.url}/api/v1/sms/africastalking/delivery-reports?key=${INCOMING_KEY}`,
      bodies,
      opts.concurrency,
    );
    const s1 = await server.stats();
    const couchCpu1 = couch ? procCpuMs(couch.pid) : undefined;
    const windowPeak = server.windowPeak();
    await server.stop();

    const store = await openStore({ dataDir, couchUrl });
    const docs = await readDocs(
      store.medic,
      targets.map((t) => t.docId),
    );
    await store.close();
    const delivered = docs.filter((d) => d.tasks?.[0]?.state === 'delivered').length;
    const savedOne = res.bodies.filter((b) => (b as { saved?: number } | null)?.saved === 1).length;
    const non200 = [...res.statuses.entries()].filter(([s]) => s !== 200).reduce((n, [, c]) => n + c, 0) + res.errors;
    return {
      store: storeLabel(opts.storage),
      storeSize: opts.storeSize,
      couchCpuMs: couchCpu0 !== undefined && couchCpu1 !== undefined ? couchCpu1 - couchCpu0 : undefined,
      reports: bodies.length,
      concurrency: opts.concurrency,
      preloadMs,
      ms: res.ms,
      perSec: (bodies.length / res.ms) * 1000,
      latency: summarize(res.latencies),
      non200,
      savedOne,
      delivered,
      ...processFigures(server, s0, s1, wall0, startupSweepMs),
      loadPeakRssBytes: windowPeak,
    };
  } finally {
    await server.stop();
    await sim.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Incoming
// ---------------------------------------------------------------------------------------------

export interface IncomingResult extends ScenarioBase {
  unique: number;
  duplicates: number;
  requests: number;
  concurrency: number;
  ms: number;
  reqPerSec: number;
  storedPerSec: number;
  latency: Summary;
  non200: number;
  saved1: number;
  saved0: number;
  stored: number;
}

export async function incomingScenario(opts: {
  unique: number;
  duplicateEvery: number;
  concurrency: number;
  cpuProf: boolean;
}): Promise<IncomingResult> {
  const wall0 = performance.now();
  const sim = await startSimulator({ reports: { enabled: false } });
  const { server, dataDir } = await launch({ kind: 'embedded' }, 'incoming', sim, opts.cpuProf);
  try {
    await configure(server, { outgoing: false, concurrency: 32 });
    const startupSweepMs = await server.sweep();
    const bodies: string[] = [];
    let duplicates = 0;
    for (let i = 0; i < opts.unique; i++) {
      const body = incomingBody(i);
      bodies.push(body);
      // The retry is queued right behind its original, so the two are usually in flight together.
      if (i % opts.duplicateEvery === opts.duplicateEvery - 1) {
        bodies.push(body);
        duplicates++;
      }
    }
    const s0 = await server.stats();
    const res = await closedLoop(
      `${server.url}/api/v1/sms/africastalking/incoming-messages?key=${INCOMING_KEY}`,
      bodies,
      opts.concurrency,
    );
    const s1 = await server.stats();
    await server.stop();
    const store = await openStore({ dataDir });
    const stored = await countPrefix(store.medic, INCOMING_PREFIX);
    await store.close();
    const saved = (v: number): number => res.bodies.filter((b) => (b as { saved?: number } | null)?.saved === v).length;
    const non200 = [...res.statuses.entries()].filter(([s]) => s !== 200).reduce((n, [, c]) => n + c, 0) + res.errors;
    return {
      store: 'embedded (LevelDB)',
      unique: opts.unique,
      duplicates,
      requests: bodies.length,
      concurrency: opts.concurrency,
      ms: res.ms,
      reqPerSec: (bodies.length / res.ms) * 1000,
      storedPerSec: (stored / res.ms) * 1000,
      latency: summarize(res.latencies),
      non200,
      saved1: saved(1),
      saved0: saved(0),
      stored,
      ...processFigures(server, s0, s1, wall0, startupSweepMs),
    };
  } finally {
    await server.stop();
    await sim.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 2b. The first start over a store the outbox has not indexed yet
// ---------------------------------------------------------------------------------------------

export interface SweepResult extends ScenarioBase {
  storeSize: number;
  docs: number;
  preloadMs: number;
  sweepMs: number;
}

/**
 * A store of sent messages written while no server held it, then the server's first sweep with
 * Africa's Talking configured: it builds the outbox's open-work index with a paged scan of every
 * doc (bounded memory; CHT's messages_by_state view, built by PouchDB, took 1.2 GB here).
 */
export async function sweepScenario(opts: { storeSize: number; cpuProf: boolean }): Promise<SweepResult> {
  const wall0 = performance.now();
  const label = `sweep-${opts.storeSize}`;
  const dataDir = tempDir(label);
  const p0 = performance.now();
  const preStore = await openStore({ dataDir });
  await preloadSent(preStore.medic, opts.storeSize);
  await preStore.close();
  const preloadMs = performance.now() - p0;
  const sim = await startSimulator({ reports: { enabled: false } });
  const server = await startServer({
    dataDir,
    atApiUrl: sim.url,
    execArgv: opts.cpuProf
      ? ['--cpu-prof', `--cpu-prof-dir=${path.join(process.env.BENCH_CPU_PROF_DIR ?? dataDir, label)}`]
      : [],
  });
  try {
    const s0 = await server.stats();
    const t0 = performance.now();
    await configure(server, { outgoing: true, concurrency: 32 });
    // The first call joins the sweep already running (start-up or settings change); the second
    // is sure to include the outbox query.
    await server.sweep();
    await server.sweep();
    const sweepMs = performance.now() - t0;
    const s1 = await server.stats();
    await server.stop();
    return {
      store: 'embedded (LevelDB)',
      storeSize: opts.storeSize,
      docs: opts.storeSize,
      preloadMs,
      sweepMs,
      ...processFigures(server, s0, s1, wall0),
    };
  } finally {
    await server.stop();
    await sim.close();
  }
}

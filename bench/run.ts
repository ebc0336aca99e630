/**
 * `npm run bench`: four benchmarks (outgoing, delivery reports, incoming, memory; bench/README.md),
 * one table at the end. Asserts nothing about
 * time; a scenario that cannot complete (e.g. messages never sent) is reported as an error row.
 *
 * Environment (all optional):
 *   BENCH_SCALE=0.1      scale every count (quick check; default 1)
 *   BENCH_ONLY=outgoing,couch,fanout,dlr,dlr-couch,sweep,incoming,floor   run only these parts;
 *                        `soak` (10 minutes of mixed traffic, BENCH_SOAK_MINUTES) and `console` (the console's
 *                        Due tab over 100,000 messages) run only when named
 *   BENCH_GROUP=500      sms.dispatch.group_recipients for the one-text-to-many run (AT takes 500)
 *   BENCH_ONLY=listings  the listings at 100,000 messages (bench/listings.ts; about 5 minutes), only when named
 *   BENCH_CONCURRENCY=32 the outbox's dispatch.concurrency setting for the outgoing runs
 *   BENCH_PACED_RATE=100 messages per second of the outgoing runs' paced part (its target is for 100)
 *   BENCH_CPU_PROF=1     run each server with --cpu-prof (profiles under BENCH_CPU_PROF_DIR or its DATA_DIR)
 *   BENCH_KEEP=1         keep the temporary DATA_DIRs (server.log is in each)
 *   BENCH_LOG_LEVEL=info the server's LOG_LEVEL (default info, as in production)
 *   BENCH_EXCHANGE_LOG_DAYS=0  sms.exchange_log_days for every server (0: no exchange log)
 *   BENCH_JSON=path      also write the raw results as JSON
 */
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { mb } from './load.js';
import { startPouchDbServer } from '../tests/helpers/pouchdb-server.js';
import { listingsScenario, type ListingsResult } from './listings.js';
import { listingsRows } from './listings-report.js';
import {
  dlrScenario,
  incomingScenario,
  outgoingScenario,
  sweepScenario,
  tempDirs,
  type DlrResult,
  type IncomingResult,
  type OutgoingResult,
  type SweepResult,
} from './scenarios.js';
import { fmt, renderTable, yesNo, type Row } from './table.js';
import type { CostRow } from './costs.js';
import { fanoutAtScenario, fanoutGatewayScenario, type FanoutResult } from './fanout.js';
import { soakScenario, type SoakResult } from './soak.js';
import { consoleScenario, type ConsoleResult } from './console.js';
import { floorScenario, type FloorResult } from './floor.js';

const scale = Number(process.env.BENCH_SCALE ?? '1') || 1;
const only = new Set(
  (process.env.BENCH_ONLY ?? 'outgoing,couch,fanout,dlr,dlr-couch,sweep,incoming,floor')
    .split(',')
    .map((s) => s.trim()),
);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? '32');
const pacedRate = Number(process.env.BENCH_PACED_RATE ?? '100');
const cpuProf = process.env.BENCH_CPU_PROF === '1';
const n = (x: number): number => Math.max(10, Math.round(x * scale));

const groupRecipients = Number(process.env.BENCH_GROUP ?? '500');
const soakMinutes = Number(process.env.BENCH_SOAK_MINUTES ?? '10');

const RSS_TARGET_MB = 200;

interface Results {
  outgoing: OutgoingResult[];
  dlr: DlrResult[];
  fanout: FanoutResult[];
  soak?: SoakResult;
  sweep?: SweepResult;
  incoming?: IncomingResult;
  listings: ListingsResult[];
  console?: ConsoleResult;
  floor?: FloorResult;
  errors: Array<{ scenario: string; error: string }>;
}

async function step<T>(name: string, results: Results, fn: () => Promise<T>): Promise<T | undefined> {
  const t0 = performance.now();
  process.stderr.write(`bench: ${name}…\n`);
  try {
    const r = await fn();
    process.stderr.write(`bench: ${name} done in ${fmt((performance.now() - t0) / 1000, 1)} s\n`);
    return r;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`bench: ${name} FAILED: ${msg}\n`);
    results.errors.push({ scenario: name, error: msg });
    return undefined;
  }
}

function cleanupTemp(): void {
  if (process.env.BENCH_KEEP === '1') return;
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const results: Results = { outgoing: [], dlr: [], fanout: [], listings: [], errors: [] };
  const outgoingOpts = { n: n(5000), pacedN: n(500), pacedRate, concurrency, cpuProf };

  if (only.has('outgoing')) {
    const r = await step('1. outgoing, embedded store', results, () =>
      outgoingScenario({ kind: 'embedded' }, outgoingOpts),
    );
    if (r) results.outgoing.push(r);
  }
  if (only.has('fanout')) {
    const recipients = n(10_000);
    const r = await step(`1c. one text to ${recipients} recipients via AT`, results, () =>
      fanoutAtScenario({ kind: 'embedded' }, { recipients, groupRecipients, concurrency, cpuProf }),
    );
    if (r) results.fanout.push(r);
    const g = await step(`1d. one text to ${recipients} recipients via medic-gateway polls`, results, () =>
      fanoutGatewayScenario({ kind: 'embedded' }, { recipients, cpuProf }),
    );
    if (g) results.fanout.push(g);
  }
  if (only.has('dlr')) {
    for (const size of [n(10_000), n(100_000)]) {
      const r = await step(`2. delivery reports, store of ${size}`, results, () =>
        dlrScenario({ storage: { kind: 'embedded' }, storeSize: size, reports: n(10_000), concurrency: 32, cpuProf }),
      );
      if (r) results.dlr.push(r);
    }
  }
  if (only.has('couch') || only.has('dlr-couch')) {
    const couch = await startPouchDbServer({ inMemory: false });
    try {
      if (only.has('couch')) {
        const r = await step('1. outgoing, pouchdb-server', results, () =>
          outgoingScenario({ kind: 'couchdb', couch }, outgoingOpts),
        );
        if (r) results.outgoing.push(r);
      }
      if (only.has('dlr-couch')) {
        for (const size of [n(10_000), n(100_000)]) {
          const r = await step(`2. delivery reports, pouchdb-server store of ${size}`, results, () =>
            dlrScenario({
              storage: { kind: 'couchdb', couch },
              storeSize: size,
              reports: n(10_000),
              concurrency: 32,
              cpuProf,
            }),
          );
          if (r) results.dlr.push(r);
        }
      }
    } finally {
      await couch.close();
    }
  }
  if (only.has('soak')) {
    const r = await step(`5. soak, ${soakMinutes} minutes of mixed traffic`, results, () =>
      soakScenario({ kind: 'embedded' }, { minutes: soakMinutes, cpuProf }),
    );
    if (r) results.soak = r;
  }
  if (only.has('sweep')) {
    const size = n(10_000);
    const r = await step(`2b. first outbox sweep over a store of ${size}`, results, () =>
      sweepScenario({ storeSize: size, cpuProf }),
    );
    if (r) results.sweep = r;
  }
  if (only.has('incoming')) {
    const r = await step('3. incoming', results, () =>
      incomingScenario({ unique: n(10_000), duplicateEvery: 10, concurrency: 32, cpuProf }),
    );
    if (r) results.incoming = r;
  }
  if (only.has('listings')) {
    const opts = { storeSize: n(100_000), burst: n(10_000) };
    const r = await step(`5. listings, store of ${opts.storeSize}, embedded`, results, () =>
      listingsScenario({ kind: 'embedded' }, opts),
    );
    if (r) results.listings.push(r);
    const couch = await startPouchDbServer({ inMemory: false });
    try {
      const c = await step(`5. listings, store of ${opts.storeSize}, pouchdb-server`, results, () =>
        listingsScenario({ kind: 'couchdb', couch }, opts),
      );
      if (c) results.listings.push(c);
    } finally {
      await couch.close();
    }
  }
  if (only.has('floor')) {
    const couch = await startPouchDbServer({ inMemory: false });
    try {
      const r = await step('6. floors: bare Fastify, undici, PouchDB writes', results, () =>
        floorScenario({ requests: n(10_000), docs: n(10_000), couch }),
      );
      if (r) results.floor = r;
    } finally {
      await couch.close();
    }
  }
  if (only.has('console')) {
    const size = n(100_000);
    const r = await step(`7. console: first render of the Due tab, store of ${size}`, results, () =>
      consoleScenario({ storeSize: size }),
    );
    if (r) results.console = r;
  }
  const totalMs = performance.now() - t0;

  if (process.env.BENCH_JSON)
    fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify({ scale, concurrency, totalMs, ...results }, null, 2));
  cleanupTemp();
  print(results, totalMs);
}

function print(results: Results, totalMs: number): void {
  const rows: Row[] = [];
  const add = (
    scenario: string,
    store: string,
    figure: string,
    value: string,
    target: string,
    met: string,
    anchor: string,
  ): void => {
    rows.push([scenario, store, figure, value, target, met, anchor]);
  };

  for (const o of results.outgoing) {
    const s = o.store;
    const scen = '1 outgoing';
    const target = o.store.startsWith('embedded') ? 600 : 250;
    add(
      scen,
      s,
      `backlog of ${fmt(o.backlog.n)}: messages/s, first POST → all sent`,
      fmt(o.backlog.msgsPerSec, 1),
      `≥ ${target}`,
      yesNo(o.backlog.msgsPerSec >= target),
      '0.42 (60 s timer); 15.1 back-to-back',
    );
    add(
      scen,
      s,
      'backlog: pending→request p50 / p99 ms',
      `${fmt(o.backlog.latency.p50)} / ${fmt(o.backlog.latency.p99)}`,
      'info (queue position)',
      '-',
      'up to 60,000 + queue (25/min)',
    );
    add(
      scen,
      s,
      `paced ${fmt(o.paced.n)} at ${o.paced.ratePerSec}/s: pending→request p50 / p99 ms`,
      `${fmt(o.paced.latency.p50)} / ${fmt(o.paced.latency.p99)}`,
      'p50 < 100',
      yesNo(o.paced.latency.p50 < 100),
      '0–60,000 (timer) + 1,581 tick',
    );
    add(
      scen,
      s,
      'duplicate SMS sent (same number + text twice)',
      fmt(o.duplicates),
      '0',
      yesNo(o.duplicates === 0),
      '0 back-to-back; 243 in 20 s when ticks overlap',
    );
    add(
      scen,
      s,
      'end state: tasks `sent` in the store',
      `${fmt(o.finalSent)} / ${fmt(o.finalTotal)}`,
      'all',
      yesNo(o.finalSent === o.backlog.n + o.paced.n && o.finalTotal === o.finalSent),
      '2,000 / 2,000',
    );
    add(
      scen,
      s,
      'server peak RSS MB',
      fmt(mb(o.peakRssBytes)),
      `< ${RSS_TARGET_MB}`,
      yesNo(mb(o.peakRssBytes) < RSS_TARGET_MB),
      '-',
    );
  }
  for (const f of results.fanout) {
    const scen = `1c one text to many, ${f.via}`;
    const how =
      f.via === 'medic-gateway' ? 'polls of 25' : `AT requests (group_recipients ${f.groupRecipients ?? '-'})`;
    add(
      scen,
      f.store,
      `${fmt(f.recipients)} recipients: recipients/s, first POST → all sent`,
      fmt(f.perSec, 1),
      f.via === 'medic-gateway' ? 'info' : '≥ 2,000',
      f.via === 'medic-gateway' ? '-' : yesNo(f.perSec >= 2000),
      '25 per 60 s tick',
    );
    add(
      scen,
      f.store,
      `${how}; ended \`sent\` in the store`,
      `${fmt(f.requests)}; ${fmt(f.finalSent)} / ${fmt(f.recipients)}`,
      'all sent',
      yesNo(f.finalSent === f.recipients),
      '-',
    );
    add(
      scen,
      f.store,
      'server peak RSS MB',
      fmt(mb(f.peakRssBytes)),
      `< ${RSS_TARGET_MB}`,
      yesNo(mb(f.peakRssBytes) < RSS_TARGET_MB),
      '-',
    );
  }
  for (const d of results.dlr) {
    const scen = `2 DLR, store ${fmt(d.storeSize)}`;
    add(
      scen,
      d.store,
      `${fmt(d.reports)} reports at C=${d.concurrency}: reports/s`,
      fmt(d.perSec, 1),
      '≥ 2,000',
      yesNo(d.perSec >= 2000),
      d.storeSize >= 50_000 ? '34.2 (50k docs, C=16)' : '31.0 (10k docs, C=16)',
    );
    add(
      scen,
      d.store,
      'latency p50 / p99 ms',
      `${fmt(d.latency.p50, 1)} / ${fmt(d.latency.p99, 1)}`,
      'info',
      '-',
      d.storeSize >= 50_000 ? '454 / 782' : '499 / 974',
    );
    add(
      scen,
      d.store,
      'ended `delivered` (read from the store)',
      `${fmt(d.delivered)} / ${fmt(d.reports)}`,
      'all',
      yesNo(d.delivered === d.reports && d.non200 === 0),
      '4,000 / 4,000',
    );
    add(
      scen,
      d.store,
      'server peak RSS MB (whole life / during load)',
      `${fmt(mb(d.peakRssBytes))} / ${fmt(mb(d.loadPeakRssBytes ?? 0))}`,
      `< ${RSS_TARGET_MB}`,
      yesNo(mb(d.peakRssBytes) < RSS_TARGET_MB),
      '-',
    );
  }
  for (const store of new Set(results.dlr.map((d) => d.store))) {
    const runs = results.dlr.filter((d) => d.store === store);
    if (runs.length !== 2) continue;
    const [small, big] = runs as [DlrResult, DlrResult];
    const ratio = big.perSec / small.perSec;
    add(
      '2 DLR ratio',
      store,
      `reports/s ${fmt(big.storeSize)} ÷ ${fmt(small.storeSize)}`,
      fmt(ratio, 2),
      '≥ 0.9',
      yesNo(ratio >= 0.9),
      '1.10 (50k ÷ 10k, C=16)',
    );
  }
  const sw = results.sweep;
  if (sw) {
    const scen = `2b sweep, store ${fmt(sw.storeSize)}`;
    add(
      scen,
      sw.store,
      `first start: message index built over ${fmt(sw.docs)} docs (paged scan) s`,
      fmt(sw.sweepMs / 1000, 1),
      'info',
      '-',
      '10.1 s (view messages_by_state, 10k docs)',
    );
    add(
      scen,
      sw.store,
      'server peak RSS MB during that sweep',
      fmt(mb(sw.peakRssBytes)),
      `< ${RSS_TARGET_MB}`,
      yesNo(mb(sw.peakRssBytes) < RSS_TARGET_MB),
      '-',
    );
  }
  const inc = results.incoming;
  if (inc) {
    const scen = '3 incoming';
    add(
      scen,
      inc.store,
      `${fmt(inc.unique)} + ${fmt(inc.duplicates)} retries at C=${inc.concurrency}: requests/s`,
      fmt(inc.reqPerSec, 1),
      '≥ 3,000',
      yesNo(inc.reqPerSec >= 3000),
      '32.7 req/s (C=16)',
    );
    add(
      scen,
      inc.store,
      'unique messages stored /s',
      fmt(inc.storedPerSec, 1),
      '≥ 1,000',
      yesNo(inc.storedPerSec >= 1000),
      '32.5 stored/s',
    );
    add(
      scen,
      inc.store,
      'latency p50 / p99 ms',
      `${fmt(inc.latency.p50, 1)} / ${fmt(inc.latency.p99, 1)}`,
      'info',
      '-',
      '447 / 1,242',
    );
    add(
      scen,
      inc.store,
      'duplicate records (sms-in: docs − unique ids)',
      fmt(inc.stored - inc.unique),
      '0',
      yesNo(inc.stored === inc.unique && inc.saved0 === inc.duplicates && inc.non200 === 0),
      '480 of 500 retried ids stored twice',
    );
    add(
      scen,
      inc.store,
      'server peak RSS MB',
      fmt(mb(inc.peakRssBytes)),
      `< ${RSS_TARGET_MB}`,
      yesNo(mb(inc.peakRssBytes) < RSS_TARGET_MB),
      '-',
    );
  }
  const so = results.soak;
  if (so) {
    const scen = `5 soak, ${so.minutes} min`;
    add(
      scen,
      so.store,
      `${so.outgoingPerSec} out/s + reports + ${so.incomingPerSec} in/s: RSS growth after minute 2, MB/min`,
      fmt(so.growthMbPerMin, 2),
      '< 1',
      yesNo(so.growthMbPerMin < 1),
      '-',
    );
    add(scen, so.store, 'RSS MB at each minute', so.rssMb.map((x) => fmt(x)).join(' '), 'info', '-', '-');
    if (so.anonMb.length > 0) {
      add(
        scen,
        so.store,
        'anonymous RSS (less file-backed pages): growth after minute 2, MB/min',
        fmt(so.anonGrowthMbPerMin, 2),
        'info',
        '-',
        '-',
      );
      add(scen, so.store, 'anonymous RSS MB at each minute', so.anonMb.map((x) => fmt(x)).join(' '), 'info', '-', '-');
    }
    add(scen, so.store, 'JS heap used MB at each minute', so.heapMb.map((x) => fmt(x)).join(' '), 'info', '-', '-');
    add(
      scen,
      so.store,
      'messages held by the outbox at each minute',
      so.backlog.map((x) => fmt(x)).join(' '),
      'info',
      '-',
      '-',
    );
    add(
      scen,
      so.store,
      'sent / reports posted (not answered 200) / incoming / request errors',
      `${fmt(so.sent)} / ${fmt(so.reports)} (${fmt(so.reportsRefused)}) / ${fmt(so.incoming)} / ${fmt(so.errors)}`,
      '0 errors',
      yesNo(so.errors === 0 && so.reportsRefused === 0),
      '-',
    );
  }
  const runs = [...results.outgoing, ...results.fanout, ...results.dlr, ...(inc ? [inc] : []), ...(so ? [so] : [])];
  const peaks = runs.map((r) => mb(r.peakRssBytes));
  const anonPeaks = runs.flatMap((r) => (r.peakAnonBytes !== undefined ? [mb(r.peakAnonBytes)] : []));
  if (peaks.length) {
    const peak = Math.max(...peaks);
    add(
      '4 memory',
      'runs 1–3',
      'server peak RSS MB (max of 100 ms samples)',
      fmt(peak),
      `< ${RSS_TARGET_MB}`,
      yesNo(peak < RSS_TARGET_MB),
      '-',
    );
    if (anonPeaks.length) {
      add(
        '4 memory',
        'runs 1–3',
        'of which anonymous (RSS less file-backed pages: code, LevelDB tables), peak MB',
        fmt(Math.max(...anonPeaks)),
        'info',
        '-',
        '-',
      );
    }
    if (sw) {
      const all = Math.max(peak, mb(sw.peakRssBytes));
      add(
        '4 memory',
        'runs 1–3 + 2b',
        'server peak RSS MB incl. the first start over a 10k store',
        fmt(all),
        `< ${RSS_TARGET_MB}`,
        yesNo(all < RSS_TARGET_MB),
        '-',
      );
    }
  }
  for (const r of listingsRows(results.listings)) rows.push(r);
  const con = results.console;
  if (con) {
    const scen = `7 console, store ${fmt(con.storeSize)}`;
    const due = `Due tab (${fmt(con.dueMessages)} due): page, files, session, listing + counts`;
    add(
      scen,
      con.store,
      `${due}, first after start ms`,
      fmt(con.cold.dueTabMs, 1),
      '< 300',
      yesNo(con.cold.dueTabMs < 300),
      '-',
    );
    add(
      scen,
      con.store,
      `${due}, warm p50 / p90 ms`,
      `${fmt(con.warm.dueTab.p50, 1)} / ${fmt(con.warm.dueTab.p90, 1)}`,
      '< 300',
      yesNo(con.warm.dueTab.p90 < 300),
      '-',
    );
    add(
      scen,
      con.store,
      'then the header (channel, activity, settings), first / warm p50 ms',
      `${fmt(con.cold.allMs, 1)} / ${fmt(con.warm.all.p50, 1)}`,
      'info',
      '-',
      '-',
    );
    if (con.browserMs) {
      const sorted = [...con.browserMs].sort((a, b) => a - b);
      add(
        scen,
        con.store,
        'chromium: navigation → first Due row on screen, median ms',
        fmt(sorted[Math.floor(sorted.length / 2)] ?? 0, 1),
        'info',
        '-',
        '-',
      );
    }
    add(
      scen,
      con.store,
      'server peak RSS MB',
      fmt(mb(con.peakRssBytes)),
      `< ${RSS_TARGET_MB}`,
      yesNo(mb(con.peakRssBytes) < RSS_TARGET_MB),
      '-',
    );
  }
  for (const e of results.errors) add(e.scenario, '-', 'ERROR', e.error.slice(0, 80), '-', 'NO', '-');

  const details: string[] = [];
  for (const o of results.outgoing) {
    details.push(
      `  outgoing, ${o.store}: dispatch.concurrency ${o.concurrency}, AT latency 50 ms; queueing ${fmt(o.backlog.n)} took ${fmt(o.backlog.postMs)} ms; ` +
        `last backlog message sent ${fmt(o.backlog.drainMs)} ms after the first POST (bench saw it idle at ${fmt(o.backlog.observedDrainMs)} ms); ` +
        `${fmt(o.atRequests)} AT requests; ${fmt(o.leftoverKnown)} already-sent messages re-queued by late feed events; paced p90 ${fmt(o.paced.latency.p90)} ms, max ${fmt(o.paced.latency.max)} ms; ` +
        `server CPU ${fmt(o.serverCpuMs / (o.backlog.n + o.paced.n), 2)} ms/msg` +
        (o.couchCpuMs !== undefined
          ? `, pouchdb-server CPU ${fmt(o.couchCpuMs / (o.backlog.n + o.paced.n), 2)} ms/msg`
          : '') +
        `; VmHWM ${fmt(mb(o.vmHwmBytes ?? 0))} MB${anonPart(o)}` +
        (Object.keys(o.notSent).length ? `; not sent: ${JSON.stringify(o.notSent)}` : ''),
    );
  }
  for (const f of results.fanout) {
    details.push(
      `  one text to ${fmt(f.recipients)} via ${f.via}: queueing took ${fmt(f.postMs)} ms, last recipient sent ${fmt(f.drainMs)} ms after the first POST; ` +
        `server CPU ${fmt(f.serverCpuMs / f.recipients, 2)} ms/recipient; VmHWM ${fmt(mb(f.vmHwmBytes ?? 0))} MB${anonPart(f)}`,
    );
  }
  for (const d of results.dlr) {
    details.push(
      `  DLR, store of ${fmt(d.storeSize)} messages: preload ${fmt(d.preloadMs / 1000, 1)} s, ` +
        `run ${fmt(d.ms / 1000, 1)} s, p90 ${fmt(d.latency.p90, 1)} ms, max ${fmt(d.latency.max, 1)} ms, saved:1 ${fmt(d.savedOne)}, non-200 ${d.non200}, ` +
        `server CPU ${fmt(d.serverCpuMs / d.reports, 2)} ms/report; VmHWM ${fmt(mb(d.vmHwmBytes ?? 0))} MB${anonPart(d)}`,
    );
  }
  if (sw) {
    details.push(
      `  2b sweep: preload ${fmt(sw.preloadMs / 1000, 1)} s, server CPU ${fmt(sw.serverCpuMs / 1000, 1)} s, VmHWM ${fmt(mb(sw.vmHwmBytes ?? 0))} MB${anonPart(sw)}`,
    );
  }
  if (inc) {
    details.push(
      `  incoming: ${fmt(inc.requests)} requests in ${fmt(inc.ms / 1000, 1)} s, saved:1 ${fmt(inc.saved1)}, saved:0 ${fmt(inc.saved0)}, non-200 ${inc.non200}, ` +
        `sms-in docs ${fmt(inc.stored)}, p90 ${fmt(inc.latency.p90, 1)} ms, max ${fmt(inc.latency.max, 1)} ms, server CPU ${fmt(inc.serverCpuMs / inc.requests, 2)} ms/request; VmHWM ${fmt(mb(inc.vmHwmBytes ?? 0))} MB${anonPart(inc)}`,
    );
  }

  if (con) {
    const req = Object.entries(con.warm.requests)
      .map(([k, v]) => `${k} ${fmt(v.p50, 1)}`)
      .join(', ');
    details.push(
      `  console: preload ${fmt(con.preloadMs / 1000, 1)} s; first start until the listings answered ${fmt(con.readyMs / 1000, 1)} s; ` +
        `first render's requests (ms): ${Object.entries(con.cold.requestMs)
          .map(([k, v]) => `${k} ${fmt(v, 1)}`)
          .join(', ')}; warm p50 (ms): ${req}` +
        (con.browserMs
          ? `; chromium runs (ms): ${con.browserMs.map((v) => fmt(v, 0)).join(', ')}`
          : `; chromium: ${con.browserSkipped ?? 'not run'}`),
    );
  }
  console.log('');
  const scaled = scale !== 1 ? `, BENCH_SCALE=${scale}` : '';
  console.log(`CHT SMS server benchmarks — ${os.cpus().length} cores, Node ${process.version}${scaled}`);
  console.log('');
  console.log(renderTable(['scenario', 'store', 'figure', 'value', 'target', 'met?', 'CHT anchor'], rows));
  console.log('');
  console.log('Per unit of work (server process; counted over the measured load only):');
  console.log(
    renderTable(
      [
        'scenario',
        'store',
        'unit',
        'CPU ms',
        'target',
        'floor ms (share of CPU)',
        'doc writes',
        'store calls',
        'HTTP to CouchDB',
        'AT requests',
      ],
      costRows(results).map((r) => costCells(r, results.floor)),
    ),
  );
  const f = results.floor;
  if (f) {
    console.log('');
    console.log(
      `Floors (bench/floor.ts; a process started like the server, none of its code; ${fmt(f.requests)} requests, ${fmt(f.docs)} documents):`,
    );
    const floorRows: Row[] = [
      ['HTTP request answered: form POST to a bare Fastify route, C=32', fmt(f.httpIn, 3), '-'],
      ['AT request sent: JSON POST through undici, C=32, answered at once', fmt(f.httpOut, 3), '-'],
      ['new document written: bulkDocs of 8, 2 in flight, embedded LevelDB', fmt(f.write, 3), '-'],
      ['document read by key and written back, same batches, embedded', fmt(f.update, 3), '-'],
    ];
    if (f.couch) {
      floorRows.push(['new document written, pouchdb-server', fmt(f.couch.write, 3), fmt(f.couch.serverWrite, 3)]);
      floorRows.push([
        'document read and written back, pouchdb-server',
        fmt(f.couch.update, 3),
        fmt(f.couch.serverUpdate, 3),
      ]);
    }
    console.log(renderTable(['floor', 'CPU ms (this process)', 'pouchdb-server CPU ms'], floorRows));
    console.log(
      "  The floor column above prices each unit's own counts at these costs (requests in, AT requests, documents written, documents read by key); the rest is the server's own work (validation, the message index, the exchange log, logging, scheduling) and garbage collection.",
    );
  }
  console.log('');
  console.log('Notes:');
  console.log(
    "  * pending→request = the simulator's arrival time of the AT request minus the message's creation time (its doc's reported_date).",
  );
  console.log(
    '    "backlog": all messages are queued at once, so a message waits for every one queued before it; p50 ≈ half the drain time',
  );
  console.log(
    '    and measures throughput, not promptness. "paced": one message per POST at a steady rate the server can keep up with; this is',
  );
  console.log('    "how soon after queueing does a message go out" (CHT: at the next 60 s tick, 25 per tick).');
  console.log(
    '  * The server runs as its own process (RSS sampled every 100 ms over IPC); the simulator and load generator share the 2 cores with it.',
  );
  console.log("  * CHT anchor: CHT-core 5.2.0's own modules against pouchdb-server, measured once on the");
  console.log('    2-core development machine (bench/README.md); its DLR and incoming figures are at C=16 and');
  console.log('    are lower bounds for CHT (pouchdb-server was its bottleneck).');
  console.log('Details:');
  for (const l of details) console.log(l);
  for (const r of costRows(results)) {
    const calls = Object.entries(r.cost.byMethod)
      .map(([m, c]) => `${m} ${fmt(c.calls / Math.max(1, r.units), 3)} (${fmt(c.docs / Math.max(1, r.units), 2)} docs)`)
      .join(', ');
    console.log(`  store calls per ${r.unit}, ${r.scenario}, ${r.store}: ${calls}`);
    const kinds = Object.entries(r.cost.byKind)
      .map(([k, n]) => [k, n / Math.max(1, r.units)] as const)
      .filter(([, per]) => per >= 0.05)
      .sort((a, b) => b[1] - a[1])
      .map(([k, per]) => `${k} ${fmt(per, 2)}`)
      .join(', ');
    if (kinds) console.log(`    documents (and index entries) per ${r.unit} by kind: ${kinds}`);
  }
  console.log('');
  console.log(`Total bench runtime: ${fmt(totalMs / 1000, 1)} s`);
}

/** ", peak anonymous N MB" where Linux told it (the rest of RSS is file-backed: code, LevelDB's tables). */
function anonPart(r: { peakAnonBytes?: number }): string {
  return r.peakAnonBytes !== undefined ? `, peak anonymous ${fmt(mb(r.peakAnonBytes))} MB` : '';
}

const CPU_TARGETS: Record<string, number> = { message: 1.5, report: 0.5, request: 0.3 };

function costRows(results: Results): CostRow[] {
  const rows: CostRow[] = [];
  for (const o of results.outgoing) {
    rows.push({
      scenario: '1 outgoing',
      store: o.store,
      unit: 'message',
      units: o.backlog.n + o.paced.n,
      cost: o.cost,
      providerRequests: o.atRequests,
      requestsIn: Math.ceil(o.backlog.n / 1000) + o.paced.n,
    });
  }
  for (const f of results.fanout) {
    rows.push({
      scenario: `1c to many, ${f.via}`,
      store: f.store,
      unit: 'recipient',
      units: f.recipients,
      cost: f.cost,
      ...(f.via === 'medic-gateway'
        ? { requestsIn: Math.ceil(f.recipients / 1000) + f.requests }
        : { providerRequests: f.requests, requestsIn: Math.ceil(f.recipients / 1000) }),
    });
  }
  for (const d of results.dlr)
    rows.push({
      scenario: `2 DLR, store ${fmt(d.storeSize)}`,
      store: d.store,
      unit: 'report',
      units: d.reports,
      cost: d.cost,
      requestsIn: d.reports,
    });
  if (results.incoming)
    rows.push({
      scenario: '3 incoming',
      store: results.incoming.store,
      unit: 'request',
      units: results.incoming.requests,
      cost: results.incoming.cost,
      requestsIn: results.incoming.requests,
    });
  if (results.soak)
    rows.push({
      scenario: '5 soak',
      store: results.soak.store,
      unit: 'message out',
      units: results.soak.sent,
      cost: results.soak.cost,
    });
  return rows;
}

/**
 * The CPU a unit of work cannot cost less than with its own counts (bench/floor.ts): each HTTP
 * request answered at a bare Fastify route's cost, each AT request at undici's, each document
 * written at a new document's cost and each document read by key at a read's (an update's cost
 * less a write's). Undefined where the floors were not measured or the row has no request count.
 */
function floorOf(r: CostRow, floor: FloorResult | undefined): number | undefined {
  if (!floor || r.requestsIn === undefined) return undefined;
  const couch = !r.store.startsWith('embedded');
  if (couch && !floor.couch) return undefined;
  const write = couch && floor.couch ? floor.couch.write : floor.write;
  const read = Math.max(0, (couch && floor.couch ? floor.couch.update : floor.update) - write);
  const reads = Object.entries(r.cost.byKind)
    .filter(([k]) => k.startsWith('medic read '))
    .reduce((sum, [, v]) => sum + v, 0);
  return (
    (r.requestsIn * floor.httpIn +
      (r.providerRequests ?? 0) * floor.httpOut +
      r.cost.docWrites * write +
      reads * read) /
    Math.max(1, r.units)
  );
}

function costCells(r: CostRow, floor: FloorResult | undefined): Row {
  const per = (x: number, d = 2): string => fmt(x / Math.max(1, r.units), d);
  const cpuTarget = CPU_TARGETS[r.unit];
  const cpu = r.cost.cpuMs / Math.max(1, r.units);
  const least = floorOf(r, floor);
  return [
    r.scenario,
    r.store,
    `${r.unit} (${fmt(r.units)})`,
    per(r.cost.cpuMs),
    cpuTarget !== undefined ? `≤ ${cpuTarget} (${yesNo(cpu <= cpuTarget)})` : '-',
    least !== undefined ? `${fmt(least, 2)} (${fmt((least / cpu) * 100, 0)} %)` : '-',
    per(r.cost.docWrites),
    per(r.cost.storeCalls),
    r.cost.httpRequests ? per(r.cost.httpRequests) : '-',
    r.providerRequests !== undefined ? per(r.providerRequests, 3) : '-',
  ];
}

main().catch((err: unknown) => {
  console.error('bench failed:', err);
  process.exit(1);
});

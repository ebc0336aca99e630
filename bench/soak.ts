/**
 * Soak (BENCH_ONLY=soak, not in the default run): BENCH_SOAK_MINUTES (default 10) of steady mixed
 * traffic, 100 outgoing messages/s (one per POST) with the simulator posting a delivery report for
 * each, plus 20 incoming messages/s. The server's RSS is sampled once a minute; the figure is its
 * growth per minute after the first two (a least-squares slope), which a leak makes positive.
 */
import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { startSimulator } from '../shared-libs/at-simulator/index.js';
import { api, mb, sleep } from './load.js';
import {
  configure,
  INCOMING_KEY,
  launch,
  processFigures,
  storeLabel,
  type ScenarioBase,
  type Storage,
} from './scenarios.js';
import { kenyanNumber } from './store.js';

export interface SoakResult extends ScenarioBase {
  minutes: number;
  outgoingPerSec: number;
  incomingPerSec: number;
  /** RSS (MB) at the end of each minute. */
  rssMb: number[];
  /** The anonymous part of RSS (MB; Linux) at the end of each minute: RSS less file-backed pages. */
  anonMb: number[];
  /** Least-squares slope of anonMb from minute 2 on, MB per minute. */
  anonGrowthMbPerMin: number;
  /** JavaScript heap in use (MB) at the end of each minute. */
  heapMb: number[];
  /** Messages the outbox held in memory (known to its intake) at the end of each minute. */
  backlog: number[];
  /** Least-squares slope of rssMb from minute 2 on, MB per minute. */
  growthMbPerMin: number;
  sent: number;
  reports: number;
  /** Report posts the server did not answer with 200 (the simulator retries them). */
  reportsRefused: number;
  incoming: number;
  errors: number;
}

function slope(ys: number[]): number {
  if (ys.length < 2) return Number.NaN;
  const n = ys.length;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

export async function soakScenario(storage: Storage, opts: { minutes: number; cpuProf: boolean }): Promise<SoakResult> {
  const wall0 = performance.now();
  const outRate = 100;
  const inRate = 20;
  // The simulator keeps this many records of each kind: room for every send and report of the run.
  const maxRecords = Math.max(200_000, Math.ceil(opts.minutes * 60 * outRate * 4));
  const sim = await startSimulator({ latencyMs: 50, reportDelayMs: 20, maxRecords });
  const { server } = await launch(storage, 'soak', sim, opts.cpuProf);
  try {
    await configure(server, { outgoing: true, concurrency: 32 });
    sim.configure({ dlrUrl: `${server.url}/api/v1/sms/africastalking/delivery-reports?key=${INCOMING_KEY}` });
    await server.sweep();
    const s0 = await server.stats();
    const rssMb: number[] = [];
    const heapMb: number[] = [];
    const anonMb: number[] = [];
    const backlog: number[] = [];
    let errors = 0;
    let outCount = 0;
    let inCount = 0;
    const pending = new Set<Promise<unknown>>();
    const track = (p: Promise<unknown>): void => {
      const q = p.catch(() => {
        errors++;
      });
      pending.add(q);
      void q.finally(() => pending.delete(q));
    };
    const t0 = performance.now();
    const end = t0 + opts.minutes * 60_000;
    let nextMinute = t0 + 60_000;
    while (performance.now() < end) {
      const elapsed = performance.now() - t0;
      while (outCount < (elapsed / 1000) * outRate) {
        const i = outCount++;
        track(
          api(server, 'POST', '/api/v1/messages', {
            to: kenyanNumber(i % 900_000),
            message: `Soak ${i}: clinic visit on Tuesday.`,
          }),
        );
      }
      while (inCount < (elapsed / 1000) * inRate) {
        const i = inCount++;
        const body = new URLSearchParams({
          id: crypto.randomUUID(),
          from: kenyanNumber(i % 900_000),
          text: `VISIT ${i} child seen`,
          to: '40000',
          date: new Date().toISOString().replace('T', ' ').slice(0, 19),
          linkId: crypto.randomUUID(),
          networkCode: '63902',
        }).toString();
        track(
          fetch(`${server.url}/api/v1/sms/africastalking/incoming-messages?key=${INCOMING_KEY}`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body,
          }).then(async (r) => {
            await r.text();
            if (!r.ok) throw new Error(String(r.status));
          }),
        );
      }
      if (performance.now() >= nextMinute) {
        const st = await server.stats();
        const rss = mb(st.rss);
        rssMb.push(rss);
        heapMb.push(mb(st.heapUsed));
        if (st.rssAnon !== undefined) anonMb.push(mb(st.rssAnon));
        backlog.push(st.outbox.known);
        process.stderr.write(
          `bench: soak minute ${rssMb.length}: RSS ${rss} MB (anonymous ${st.rssAnon === undefined ? '?' : mb(st.rssAnon)}), heap ${mb(st.heapUsed)} MB, outbox holds ${st.outbox.known}\n`,
        );
        nextMinute += 60_000;
      }
      await sleep(10);
    }
    await Promise.all([...pending]);
    await sleep(2000);
    const s1 = await server.stats();
    await server.stop();
    const sent = sim.sent().filter((r) => r.httpStatus === 201).length;
    const reports = sim.reports();
    const reportsRefused = reports.filter((r) => r.httpStatus !== 200).length;
    return {
      store: storeLabel(storage),
      minutes: opts.minutes,
      outgoingPerSec: outRate,
      incomingPerSec: inRate,
      rssMb,
      heapMb,
      anonMb,
      anonGrowthMbPerMin: slope(anonMb.slice(2)),
      backlog,
      growthMbPerMin: slope(rssMb.slice(2)),
      sent,
      reports: reports.length,
      reportsRefused,
      incoming: inCount,
      errors,
      ...processFigures(server, s0, s1, wall0),
    };
  } finally {
    await server.stop();
    await sim.close();
  }
}

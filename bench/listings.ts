/**
 * Listings at scale (`BENCH_ONLY=listings`): a store of 100,000 messages written while no server
 * runs, the server's first start (it builds its message index with a paged scan), a burst of
 * 10,000 writes through the public API (new outgoing messages, incoming webhooks, delivery
 * reports, all at once), then, right after the last write was acknowledged, the first page of each
 * listing an operator or the console uses, the counts and a medic-gateway poll, each timed once.
 * The server's RSS is sampled every 100 ms throughout (the first build included).
 */
import { performance } from 'node:perf_hooks';
import { startSimulator } from '../shared-libs/at-simulator/index.js';
import type { CouchServer } from '../tests/helpers/pouchdb-server.js';
import { startServer, type ServerProcess } from './child.js';
import { fillListingsStore, poolNumber } from './listings-fill.js';
import { closedLoop, sleep } from './load.js';
import { INCOMING_KEY, tempDir, type Storage } from './scenarios.js';
import { openStore } from './store.js';

export interface TimedCall {
  name: string;
  ms: number;
  items: number;
  status: number;
}

export interface ListingsResult {
  store: string;
  storeSize: number;
  burst: number;
  fillMs: number;
  /** First start: the message index built over the filled store. */
  buildMs: number;
  buildPeakRssBytes: number;
  burstMs: number;
  /** Changes of the medic database the index had not read yet when the burst ended. */
  behind: number;
  burstErrors: number;
  calls: TimedCall[];
  peakRssBytes: number;
  /** Linux: the peak of RSS less file-backed pages (the node binary, LevelDB's mapped table files). */
  peakAnonBytes?: number;
  vmHwmBytes?: number;
}

async function timed(
  server: ServerProcess,
  name: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<TimedCall> {
  const t0 = performance.now();
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: server.adminAuth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  let items = 0;
  try {
    const parsed = JSON.parse(text) as { messages?: unknown[] };
    items = parsed.messages?.length ?? 0;
  } catch {
    // not JSON
  }
  return { name, ms, items, status: res.status };
}

/** n new outgoing messages in POSTs of 100, `concurrency` at a time; returns the failures. */
async function postOutgoing(server: ServerProcess, n: number, concurrency: number): Promise<number> {
  let next = 0;
  let errors = 0;
  const worker = async (): Promise<void> => {
    for (let start = next; start < n; start = next) {
      next += 100;
      const items = Array.from({ length: Math.min(100, n - start) }, (_, i) => ({
        to: poolNumber(start + i + 3),
        message: `Burst ${start + i}: your visit is tomorrow.`,
      }));
      const res = await fetch(`${server.url}/api/v1/messages`, {
        method: 'POST',
        headers: { authorization: server.adminAuth, 'content-type': 'application/json' },
        body: JSON.stringify(items),
      });
      await res.text();
      if (res.status !== 200) errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  return errors;
}

export async function listingsScenario(
  storage: Storage,
  opts: { storeSize: number; burst: number },
): Promise<ListingsResult> {
  const label = storage.kind === 'embedded' ? 'listings' : 'listings-couch';
  const dataDir = tempDir(label);
  const couchUrl =
    storage.kind === 'couchdb' && storage.couch
      ? `${(storage.couch as CouchServer).adminUrl}/listings${process.pid}`
      : undefined;
  const f0 = performance.now();
  const pre = await openStore({ dataDir, couchUrl });
  const filled = await fillListingsStore(pre.medic, opts.storeSize);
  await pre.close();
  const fillMs = performance.now() - f0;

  const sim = await startSimulator({ reports: { enabled: false } });
  const b0 = performance.now();
  const server = await startServer({
    dataDir,
    couchUrl,
    atApiUrl: sim.url,
    adminAuth: storage.kind === 'couchdb' ? storage.couch?.adminAuth : undefined,
  });
  try {
    // The first start indexes the whole store; wait until it has.
    for (;;) {
      const index = (await server.stats()).index;
      if (index?.built) break;
      await sleep(100);
    }
    const buildMs = performance.now() - b0;
    const buildPeakRssBytes = server.windowPeak();
    for (const [key, secret] of [
      ['outgoing', 'bench-at-key'],
      ['incoming', INCOMING_KEY],
    ]) {
      await fetch(`${server.url}/api/v1/credentials/africastalking.com:${key}`, {
        method: 'PUT',
        headers: { authorization: server.adminAuth, 'content-type': 'text/plain' },
        body: secret,
      });
    }

    // The burst: outgoing, incoming and delivery reports at once (medic-gateway stays the service,
    // so the new messages wait for a gateway poll).
    const nOut = Math.round(opts.burst * 0.4);
    const nIn = Math.round(opts.burst * 0.4);
    const nDlr = opts.burst - nOut - nIn;
    const inBodies = Array.from({ length: nIn }, (_, i) =>
      new URLSearchParams({
        id: `burst-in-${i}`,
        from: poolNumber(i * 13),
        text: `VISIT burst ${i}`,
        to: '40000',
      }).toString(),
    );
    const dlrBodies = filled.sent
      .slice(0, nDlr)
      .map((s) =>
        new URLSearchParams({ id: s.ref, status: 'Success', phoneNumber: s.to, networkCode: '63902' }).toString(),
      );
    const w0 = performance.now();
    const [outErrors, inRes, dlrRes] = await Promise.all([
      postOutgoing(server, nOut, 4),
      closedLoop(`${server.url}/api/v1/sms/africastalking/incoming-messages?key=${INCOMING_KEY}`, inBodies, 16),
      closedLoop(`${server.url}/api/v1/sms/africastalking/delivery-reports?key=${INCOMING_KEY}`, dlrBodies, 16),
    ]);
    const burstMs = performance.now() - w0;
    const after = await server.stats();
    const behind = Math.max(0, (after.medicSeq ?? 0) - (after.index?.seq ?? 0));
    const non200 = (r: typeof inRes): number =>
      [...r.statuses.entries()].filter(([s]) => s !== 200).reduce((n, [, c]) => n + c, 0) + r.errors;

    // Right after the last acknowledged write: each listing's first page, once.
    const full = encodeURIComponent(poolNumber(5));
    const tail = poolNumber(11).slice(-4);
    const calls: TimedCall[] = [];
    const listings: Array<[string, string]> = [
      ['outgoing, newest first', '/api/v1/messages'],
      ['state=pending', '/api/v1/messages?state=pending'],
      ['state=scheduled', '/api/v1/messages?state=scheduled'],
      ['state=failed', '/api/v1/messages?state=failed'],
      ['state=delivered', '/api/v1/messages?state=delivered'],
      ['state=sent,forwarded-by-gateway', '/api/v1/messages?state=sent,forwarded-by-gateway'],
      ['stuck=1', '/api/v1/messages?stuck=1'],
      ['to=<full number>', `/api/v1/messages?to=${full}`],
      ['to=<last 4 digits>', `/api/v1/messages?to=${tail}`],
      ['incoming, newest first', '/api/v1/messages?direction=incoming'],
      ['incoming to=<full number>', `/api/v1/messages?direction=incoming&to=${full}`],
    ];
    for (const [name, path] of listings) calls.push(await timed(server, name, 'GET', path));
    const first = (await (
      await fetch(`${server.url}/api/v1/messages`, { headers: { authorization: server.adminAuth } })
    ).json()) as { next_cursor: string };
    calls.push(
      await timed(
        server,
        'outgoing, second page (cursor)',
        'GET',
        `/api/v1/messages?cursor=${encodeURIComponent(first.next_cursor)}`,
      ),
    );
    calls.push(await timed(server, 'counts', 'GET', '/api/v1/messages/counts'));
    calls.push(await timed(server, 'medic-gateway poll (hands out 25)', 'POST', '/api/sms', {}));
    calls.push(await timed(server, 'medic-gateway poll again', 'POST', '/api/sms', {}));
    const peakAnon = (await server.stats()).peakAnon;
    await server.stop();
    return {
      store: storage.kind === 'embedded' ? 'embedded (LevelDB)' : 'pouchdb-server (HTTP)',
      storeSize: opts.storeSize,
      burst: opts.burst,
      fillMs,
      buildMs,
      buildPeakRssBytes,
      burstMs,
      behind,
      burstErrors: outErrors + non200(inRes) + non200(dlrRes),
      calls,
      peakRssBytes: server.peakRss(),
      ...(peakAnon !== undefined ? { peakAnonBytes: peakAnon } : {}),
      vmHwmBytes: server.vmHwm(),
    };
  } finally {
    await server.stop();
    await sim.close();
  }
}

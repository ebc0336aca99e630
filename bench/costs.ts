/**
 * What a unit of work (a message, a report, a request) costs the server process, from two IPC
 * stats snapshots: CPU time, document writes, store calls and, over HTTP, CouchDB round trips.
 */
import type { ServerStats } from './child.js';

export interface StoreCost {
  cpuMs: number;
  /** Docs written (every write goes through bulkDocs; put/post/remove call it with one doc). */
  docWrites: number;
  /** Calls into the medic db (get, bulkDocs, allDocs, query, changes): one round trip each over HTTP. */
  storeCalls: number;
  /** Requests made with node:http: PouchDB's round trips to CouchDB (0 on the embedded store). */
  httpRequests: number;
  byMethod: Record<string, { calls: number; docs: number }>;
  /** Documents written and read by key, by database and kind. */
  byKind: Record<string, number>;
}

/** put, post and remove are counted again under the bulkDocs call each of them makes. */
const VIA_BULK = new Set(['put', 'post', 'remove']);

export function storeCost(before: ServerStats, after: ServerStats): StoreCost {
  const byMethod: Record<string, { calls: number; docs: number }> = {};
  let storeCalls = 0;
  for (const [name, c] of Object.entries(after.dbCalls)) {
    const b = before.dbCalls[name] ?? { calls: 0, docs: 0 };
    const d = { calls: c.calls - b.calls, docs: c.docs - b.docs };
    if (d.calls === 0) continue;
    byMethod[name] = d;
    if (!VIA_BULK.has(name)) storeCalls += d.calls;
  }
  const byKind: Record<string, number> = {};
  for (const [kind, n] of Object.entries(after.docsByKind)) {
    const d = n - (before.docsByKind[kind] ?? 0);
    if (d > 0) byKind[kind] = d;
  }
  return {
    cpuMs: after.cpuMs - before.cpuMs,
    docWrites: byMethod.bulkDocs?.docs ?? 0,
    storeCalls,
    httpRequests: after.httpRequests - before.httpRequests,
    byMethod,
    byKind,
  };
}

/** One row of the per-unit cost table. */
export interface CostRow {
  scenario: string;
  store: string;
  unit: string;
  units: number;
  cost: StoreCost;
  /** Provider (AT) requests, when the scenario sends. */
  providerRequests?: number;
  /** HTTP requests the server answered for these units (webhooks, API calls, gateway polls). */
  requestsIn?: number;
}

/**
 * One factory for both storage modes: embedded PouchDB on LevelDB files, or CouchDB over HTTP
 * (COUCH_URL). The rest of the code sees the same PouchDB API either way.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import PouchDB from 'pouchdb';
import { isConflict, isNotFound } from './errors.js';
import { coalescingLevelDown } from './coalesced-gets.js';
import { pointReads } from './point-reads.js';

export type Db = PouchDB.Database;

export interface Databases {
  readonly mode: 'embedded' | 'couchdb';
  readonly medic: Db;
  readonly vault: Db;
  /** CouchDB mode: the server URL (with credentials) for _session and _config calls. */
  readonly serverUrl?: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  dataDir: string;
  couchUrl?: string;
  /** Database name in embedded mode (CHT's is medic). */
  name?: string;
}

/**
 * PouchDB's http adapter fetches with node-fetch 2, which sends `Connection: close` when no agent
 * is given (https://github.com/node-fetch/node-fetch/blob/2.x/src/index.js), so every store call
 * would open a new TCP connection. Keep-alive agents reuse them; idle sockets do not hold the
 * process open (Node unrefs a kept-alive socket while it waits).
 */
const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

const keepAliveFetch: typeof PouchDB.fetch = (url, opts) =>
  PouchDB.fetch(url, {
    ...opts,
    agent: (u: URL) => (u.protocol === 'https:' ? agents.https : agents.http),
  } as RequestInit);

export async function openDatabases(opts: OpenOptions): Promise<Databases> {
  if (opts.couchUrl) {
    const url = new URL(opts.couchUrl);
    const dbName = url.pathname.replace(/^\/+|\/+$/g, '') || 'medic';
    const server = new URL(url.toString());
    server.pathname = '/';
    const medic = new PouchDB(`${server.toString()}${dbName}`, { skip_setup: false, fetch: keepAliveFetch });
    const vault = new PouchDB(`${server.toString()}${dbName}-vault`, { skip_setup: false, fetch: keepAliveFetch });
    // info() creates the databases when missing (as CHT's api does at start).
    await Promise.all([medic.info(), vault.info()]);
    return {
      mode: 'couchdb',
      medic,
      vault,
      serverUrl: server.toString().replace(/\/$/, ''),
      close: async () => {
        await Promise.allSettled([medic.close(), vault.close()]);
      },
    };
  }
  const dir = path.resolve(opts.dataDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const name = opts.name ?? 'medic';
  // Point reads of one event-loop turn go to LevelDB together (coalesced-gets.ts).
  const db = { db: coalescingLevelDown() } as PouchDB.Configuration.DatabaseConfiguration;
  const medic = new PouchDB(path.join(dir, name), db);
  const vault = new PouchDB(path.join(dir, `${name}-vault`), db);
  pointReads(medic);
  await Promise.all([medic.info(), vault.info()]);
  return {
    mode: 'embedded',
    medic,
    vault,
    close: async () => {
      await Promise.allSettled([medic.close(), vault.close()]);
    },
  };
}

export { errorStatus, isConflict, isNotFound } from './errors.js';

/** One row of a `_bulk_docs` answer: the doc was written, or refused with an error. */
export type BulkResult = PouchDB.Core.Response | PouchDB.Core.Error;

/** The row's error, or undefined when its doc was written. */
export function bulkError(row: BulkResult): PouchDB.Core.Error | undefined {
  return 'error' in row && row.error ? row : undefined;
}

/**
 * For writes of docs that are the same whoever writes them (index entries): a conflict means the
 * entry is there already, so only other refusals throw, as `<what> failed: <reason>`.
 */
export function throwUnlessWrittenOrConflict(rows: BulkResult[], what: string): void {
  for (const row of rows) {
    const err = bulkError(row);
    if (err && !isConflict(err)) throw new Error(`${what} failed: ${err.message ?? err.name}`);
  }
}

/** `allDocs` bounds for every id that starts with `prefix`. */
export const prefixRange = (prefix: string): { startkey: string; endkey: string } => ({
  startkey: prefix,
  endkey: `${prefix}\ufff0`,
});

/** How many docs have an id starting with `prefix` (a key range; no doc is read). */
export async function countPrefix(db: Db, prefix: string): Promise<number> {
  return (await db.allDocs(prefixRange(prefix))).rows.length;
}

/** The doc, or undefined when it does not exist (any other error is thrown). */
export async function getDoc<T>(db: Db, id: string): Promise<T | undefined> {
  try {
    return (await db.get(id)) as unknown as T;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

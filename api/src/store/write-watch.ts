/**
 * Tells a listener about every document written through one database handle, after the write
 * and before the writer's call resolves: what is written is known to the listener by the time the
 * writer can acknowledge it. PouchDB routes `put`, `post` and `remove` through the handle's
 * `bulkDocs` on LevelDB (over HTTP `put` takes its own path; there the changes feed covers it),
 * so wrapping that one method covers every writer of the embedded store, this server's and any
 * other code holding the handle. Writes with `new_edits: false` (replication) are left to the
 * changes feed. A listener failure never fails the write: the write happened.
 *
 * On the embedded store this process is the only writer (it holds the LevelDB lock), so the
 * listeners hear of every write, and `settledSeq` tells a follower how far that makes it: the
 * message index follows the database this way instead of reading every change a second time.
 */
import type { WriteSource } from '../../../shared-libs/couch/follow.js';
import type { Db } from '../../../shared-libs/couch/index.js';

/** A document as written: its new revision, and its body unless it was deleted. */
export interface WrittenDoc {
  id: string;
  rev: string;
  doc?: { _id: string; _rev: string; [k: string]: unknown };
}

type BulkDocs = (req: unknown, opts?: unknown) => Promise<Array<PouchDB.Core.Response | PouchDB.Core.Error>>;
type Callback = (err: unknown, res?: unknown) => void;

interface BulkOptions {
  new_edits?: boolean;
}

type Change = PouchDB.Core.ChangesResponseChange<object>;
type Told = Parameters<WriteSource['subscribe']>[0];

interface Hub {
  listeners: Array<(docs: WrittenDoc[]) => Promise<void>>;
  /** Followers (shared-libs/couch/follow.ts), told synchronously before the listeners run. */
  told: Set<Told>;
  /** Writes whose listeners have not all finished. */
  pending: Set<Promise<unknown>>;
  /** Writes the listeners were not told of (`new_edits: false`): only the changes feed shows them. */
  unseen: number;
}

const hubs = new WeakMap<Db, Hub>();

/** Adds a listener to every write through this handle (the handle is wrapped once). */
export function watchWrites(db: Db, onWritten: (docs: WrittenDoc[]) => Promise<void>): void {
  hubOf(db).listeners.push(onWritten);
}

/** The writes through this handle as a WriteSource for follow() (shared-libs/couch/follow.ts). */
export function writeSource(db: Db): WriteSource {
  const hub = hubOf(db);
  return {
    subscribe(listener) {
      hub.told.add(listener);
      return () => hub.told.delete(listener);
    },
    settledSeq: () => settledSeq(db),
    unseen: () => hub.unseen,
  };
}

/** A follower's failure never fails the write, nor keeps the others from hearing of it. */
function tell(run: () => void): void {
  try {
    run();
  } catch {
    // Followers report their own failures (follow.ts hands them to the follower's onError).
  }
}

function toChange(w: WrittenDoc): Change {
  return { id: w.id, seq: 0, changes: [{ rev: w.rev }], ...(w.doc ? { doc: w.doc } : { deleted: true }) } as Change;
}

function hubOf(db: Db): Hub {
  const existing = hubs.get(db);
  if (existing) return existing;
  const hub: Hub = { listeners: [], told: new Set(), pending: new Set(), unseen: 0 };
  hubs.set(db, hub);
  const handle = db as unknown as { bulkDocs: BulkDocs };
  const original = handle.bulkDocs.bind(db) as BulkDocs;
  const wrapped = (req: unknown, opts?: unknown, callback?: unknown): Promise<unknown> => {
    const cb = (typeof opts === 'function' ? opts : callback) as Callback | undefined;
    const options = (typeof opts === 'function' || opts === undefined ? {} : opts) as BulkOptions;
    const docs = (Array.isArray(req) ? req : ((req as { docs?: unknown[] }).docs ?? [])) as Array<
      Record<string, unknown>
    >;
    const run = (async () => {
      const results = await original(req, options);
      if (options.new_edits === false) {
        hub.unseen++;
        for (const t of hub.told) tell(() => t.onUnseen());
        return results;
      }
      const written: WrittenDoc[] = [];
      results.forEach((r, i) => {
        if (!('ok' in r) || !r.ok) return;
        const input = docs[i] ?? {};
        written.push({
          id: r.id,
          rev: r.rev,
          ...(input._deleted ? {} : { doc: { ...input, _id: r.id, _rev: r.rev } }),
        });
      });
      if (written.length > 0) {
        if (hub.told.size > 0) {
          const changes = written.map(toChange);
          for (const t of hub.told) tell(() => t.onWrite(changes));
        }
        await Promise.all(hub.listeners.map((listener) => listener(written).catch(() => undefined)));
      }
      return results;
    })();
    const tracked = run.catch(() => undefined);
    hub.pending.add(tracked);
    void tracked.finally(() => hub.pending.delete(tracked));
    if (!cb) return run;
    run.then(
      (res) => cb(null, res),
      (err: unknown) => cb(err),
    );
    return tracked;
  };
  handle.bulkDocs = wrapped as BulkDocs;
  return hub;
}

/**
 * A sequence of the database up to which every write through the handle has been handed to the
 * listeners (their calls finished): a write with a sequence up to it was already under way when
 * the sequence was read, so waiting for the writes under way then is enough.
 */
export async function settledSeq(db: Db): Promise<string | number> {
  const hub = hubs.get(db);
  const seq = (await db.info()).update_seq;
  if (hub) await Promise.all([...hub.pending]);
  return seq;
}

/** How many writes through the handle its listeners were not told of (replicated revisions). */
export function unseenWrites(db: Db): number {
  return hubs.get(db)?.unseen ?? 0;
}

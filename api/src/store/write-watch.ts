/**
 * Tells a listener about every document written through one database handle, after the write
 * and before the writer's call resolves: what is written is known to the listener by the time the
 * writer can acknowledge it. PouchDB routes `post` and `remove` through the handle's `bulkDocs`,
 * and `put` too on LevelDB; over HTTP `put` goes through the adapter's `_put` (pouchdb-core's
 * `put`), so wrapping those two methods covers every writer holding the handle, this server's and
 * any other code. Writes with `new_edits: false` (replication) are left to the changes feed. A
 * listener failure never fails the write: the write happened.
 *
 * It also counts the handle's writes (`ownWrites`): a reader of the database's `update_seq` can
 * then tell whether every change since a point was one of this handle's (feed-reconciler.ts).
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
  counts: OwnWriteCount;
}

/**
 * This handle's write calls: `begun` and `open` count calls (a `bulkDocs` or a `put`), `written`
 * the documents they wrote, each counted once its listeners finished, and `missed` those of them a
 * listener failed on (the message index could not take them). Only writes known to have made one
 * new revision are counted (not `new_edits: false`, not a call that failed), so a database can
 * have more changes than counted writes, never fewer.
 */
export interface OwnWriteCount {
  begun: number;
  open: number;
  written: number;
  missed: number;
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

/** A copy of the handle's write counts, or undefined when its writes are not watched. */
export function ownWrites(db: Db): OwnWriteCount | undefined {
  const hub = hubs.get(db);
  return hub ? { ...hub.counts } : undefined;
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
  const hub: Hub = {
    listeners: [],
    told: new Set(),
    pending: new Set(),
    unseen: 0,
    counts: { begun: 0, open: 0, written: 0, missed: 0 },
  };
  hubs.set(db, hub);

  /** One write call: its listeners run before it resolves; it is counted, and awaited by settledSeq. */
  const track = <T>(write: () => Promise<{ result: T; written: WrittenDoc[] | undefined }>): Promise<T> => {
    hub.counts.begun++;
    hub.counts.open++;
    const run = (async () => {
      try {
        const { result, written } = await write();
        if (written === undefined) {
          hub.unseen++;
          for (const t of hub.told) tell(() => t.onUnseen());
          return result;
        }
        if (written.length > 0) {
          if (hub.told.size > 0) {
            const changes = written.map(toChange);
            for (const t of hub.told) tell(() => t.onWrite(changes));
          }
          const failed = await Promise.all(
            hub.listeners.map((listener) =>
              listener(written).then(
                () => false,
                () => true,
              ),
            ),
          );
          hub.counts.written += written.length;
          if (failed.includes(true)) hub.counts.missed += written.length;
        }
        return result;
      } finally {
        hub.counts.open--;
      }
    })();
    const tracked = run.catch(() => undefined);
    hub.pending.add(tracked);
    void tracked.finally(() => hub.pending.delete(tracked));
    return run;
  };

  const handle = db as unknown as { bulkDocs: BulkDocs; _put?: PutFn };
  const original = handle.bulkDocs.bind(db) as BulkDocs;
  const wrapped = (req: unknown, opts?: unknown, callback?: unknown): Promise<unknown> => {
    const cb = (typeof opts === 'function' ? opts : callback) as Callback | undefined;
    const options = (typeof opts === 'function' || opts === undefined ? {} : opts) as BulkOptions;
    const docs = (Array.isArray(req) ? req : ((req as { docs?: unknown[] }).docs ?? [])) as Array<
      Record<string, unknown>
    >;
    const run = track(async () => {
      const results = await original(req, options);
      if (options.new_edits === false) return { result: results, written: undefined };
      const written: WrittenDoc[] = [];
      results.forEach((r, i) => {
        if (!('ok' in r) || !r.ok || isLocal(r.id)) return;
        written.push(writtenDoc(docs[i] ?? {}, r.id, r.rev));
      });
      return { result: results, written };
    });
    if (!cb) return run;
    run.then(
      (res) => cb(null, res),
      (err: unknown) => cb(err),
    );
    return run.catch(() => undefined);
  };
  handle.bulkDocs = wrapped as BulkDocs;

  // Over HTTP, pouchdb-core's put calls the adapter's _put (new_edits: false goes to bulkDocs), for
  // `_local/` documents too: those are neither changes nor counted (they move no sequence).
  const originalPut = handle._put?.bind(db);
  if (originalPut) {
    handle._put = (doc, opts, callback) => {
      track(
        () =>
          new Promise<{ result: PouchDB.Core.Response; written: WrittenDoc[] }>((resolve, reject) => {
            originalPut(doc, opts, (err, res) => {
              if (err || !res) reject(err ?? new Error('put returned nothing'));
              else resolve({ result: res, written: isLocal(res.id) ? [] : [writtenDoc(doc, res.id, res.rev)] });
            });
          }),
      ).then(
        (res) => callback(null, res),
        (err: unknown) => callback(err),
      );
    };
  }
  return hub;
}

type PutFn = (
  doc: Record<string, unknown>,
  opts: unknown,
  callback: (err: unknown, res?: PouchDB.Core.Response) => void,
) => void;

const isLocal = (id: string): boolean => id.startsWith('_local/');

function writtenDoc(input: Record<string, unknown>, id: string, rev: string): WrittenDoc {
  return { id, rev, ...(input._deleted ? {} : { doc: { ...input, _id: id, _rev: rev } }) };
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

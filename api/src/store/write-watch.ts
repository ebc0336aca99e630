/**
 * Tells a listener about every document written through one database handle, after the write
 * and before the writer's call resolves: what is written is known to the listener by the time the
 * writer can acknowledge it. PouchDB routes `put`, `post` and `remove` through the handle's
 * `bulkDocs` on LevelDB (over HTTP `put` takes its own path; there the changes feed covers it),
 * so wrapping that one method covers every writer of the embedded store, this server's and any
 * other code holding the handle. Writes with `new_edits: false` (replication) are left to the
 * changes feed. A listener failure never fails the write: the write happened.
 */
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

export function watchWrites(db: Db, onWritten: (docs: WrittenDoc[]) => Promise<void>): void {
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
      if (options.new_edits !== false) {
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
        if (written.length > 0) await onWritten(written).catch(() => undefined);
      }
      return results;
    })();
    if (!cb) return run;
    run.then(
      (res) => cb(null, res),
      (err: unknown) => cb(err),
    );
    return run.catch(() => undefined);
  };
  handle.bulkDocs = wrapped as BulkDocs;
}

/**
 * `allDocs({keys})` as point reads on the embedded store. PouchDB answers a keyed `allDocs` by
 * running one range query per key (pouchdb-core's `allDocsKeysQuery`), and on LevelDB each range
 * query opens, steps and closes an iterator: those iterators were the largest single cost of a
 * message on the embedded store. A `get` per key reads the same document and metadata with two
 * point reads. Over HTTP a keyed `allDocs` is one round trip, so only LevelDB handles are changed.
 *
 * The answer keeps `allDocs`'s shape: a row per key in order, `{key, error: 'not_found'}` for a
 * missing document, and for a deleted one the row `allDocs` gives (read with `allDocs` itself,
 * since `get` does not tell a deleted document's revision). Any other option takes the original path.
 */
import { isNotFound } from './errors.js';

type AllDocs = (opts?: object) => Promise<PouchDB.Core.AllDocsResponse<object>>;
type Row = PouchDB.Core.AllDocsResponse<object>['rows'][number];

const SIMPLE = new Set(['keys', 'include_docs']);

export function pointReads(db: PouchDB.Database): void {
  const handle = db as unknown as { allDocs: AllDocs };
  const original = handle.allDocs.bind(db) as AllDocs;
  const get = db.get.bind(db) as (id: string) => Promise<PouchDB.Core.ExistingDocument<object>>;
  handle.allDocs = async (opts?: object, callback?: unknown): Promise<PouchDB.Core.AllDocsResponse<object>> => {
    const o = (opts ?? {}) as { keys?: unknown; include_docs?: boolean };
    if (typeof callback === 'function')
      return (original as (...a: unknown[]) => Promise<PouchDB.Core.AllDocsResponse<object>>)(opts, callback);
    if (
      !Array.isArray(o.keys) ||
      !o.keys.every((k) => typeof k === 'string') ||
      Object.keys(o).some((k) => !SIMPLE.has(k))
    )
      return original(opts);
    const keys = o.keys as string[];
    const deleted: number[] = [];
    const rows: Row[] = await Promise.all(
      keys.map(async (key, i): Promise<Row> => {
        try {
          const doc = await get(key);
          return {
            id: doc._id,
            key,
            value: { rev: doc._rev },
            ...(o.include_docs ? { doc } : {}),
          } as Row;
        } catch (err) {
          if (!isNotFound(err)) throw err;
          if ((err as { reason?: unknown }).reason === 'deleted') deleted.push(i);
          return { key, error: 'not_found' } as unknown as Row;
        }
      }),
    );
    if (deleted.length > 0) {
      const res = await original({
        keys: deleted.map((i) => keys[i]),
        ...(o.include_docs ? { include_docs: true } : {}),
      });
      deleted.forEach((i, j) => {
        const row = res.rows[j];
        if (row) rows[i] = row;
      });
    }
    return { total_rows: rows.length, offset: 0, rows };
  };
}

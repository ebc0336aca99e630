/**
 * Small bookkeeping docs updated by key with a compare-and-swap, created when missing: the
 * counters and lists that must hold across restarts and across instances sharing one CouchDB
 * (duplicate windows, per-recipient counts, opt-outs). Many updates are coalesced into one
 * `allDocs` read and one `_bulk_docs` write; a doc that lost the race (409) is read again and
 * its updates re-applied, in the order they were submitted.
 */
import type { Db } from '../../../shared-libs/couch/index.js';
import { Batcher } from './batcher.js';

export interface KeyedDoc {
  _id: string;
  _rev?: string;
  [field: string]: unknown;
}

/**
 * One change to one doc: gets the current doc (undefined when missing) and returns the next one
 * (undefined: leave it as it is) and a result for the caller. Must be a pure function of its
 * input: it may run again on a fresh copy after a conflict.
 */
export interface KeyedUpdate<D extends KeyedDoc, R> {
  id: string;
  apply(current: D | undefined): { next?: D; result: R };
}

const MAX_ATTEMPTS = 10;

export class KeyedDocs {
  private readonly batcher: Batcher<KeyedUpdate<KeyedDoc, unknown>, unknown>;

  constructor(private readonly db: Db) {
    this.batcher = new Batcher((items) => this.run(items), 500, 1);
  }

  update<D extends KeyedDoc, R>(change: KeyedUpdate<D, R>): Promise<R> {
    return this.batcher.submit(change as unknown as KeyedUpdate<KeyedDoc, unknown>) as Promise<R>;
  }

  /** Several changes; results in the order given (changes to one doc apply in that order too). */
  updateAll<D extends KeyedDoc, R>(changes: ReadonlyArray<KeyedUpdate<D, R>>): Promise<R[]> {
    return Promise.all(changes.map((c) => this.update(c)));
  }

  /** Reads docs by id; missing ones are undefined. */
  async read<D extends KeyedDoc>(ids: readonly string[]): Promise<Array<D | undefined>> {
    if (ids.length === 0) return [];
    const res = await this.db.allDocs({ keys: [...ids], include_docs: true });
    return res.rows.map((row) => ('doc' in row && row.doc ? (row.doc as unknown as D) : undefined));
  }

  private async run(items: Array<KeyedUpdate<KeyedDoc, unknown>>): Promise<unknown[]> {
    const results: unknown[] = new Array(items.length);
    let pending = items.map((_, i) => i);
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > MAX_ATTEMPTS) {
        const ids = [...new Set(pending.map((i) => items[i]?.id))].join(', ');
        throw new Error(`Could not update ${ids}: still conflicting after ${MAX_ATTEMPTS} attempts`);
      }
      pending = await this.attempt(items, pending, results);
    }
    return results;
  }

  /** Applies the pending items to fresh copies and writes them; returns the items to retry. */
  private async attempt(
    items: Array<KeyedUpdate<KeyedDoc, unknown>>,
    pending: number[],
    results: unknown[],
  ): Promise<number[]> {
    const ids = [...new Set(pending.map((i) => (items[i] as KeyedUpdate<KeyedDoc, unknown>).id))];
    const current = new Map<string, KeyedDoc | undefined>();
    (await this.read(ids)).forEach((doc, k) => current.set(ids[k] as string, doc));
    const touched = new Map<string, number[]>();
    const changed = new Set<string>();
    for (const i of pending) {
      const item = items[i] as KeyedUpdate<KeyedDoc, unknown>;
      const before = current.get(item.id);
      const { next, result } = item.apply(before === undefined ? undefined : structuredClone(before));
      results[i] = result;
      touched.set(item.id, [...(touched.get(item.id) ?? []), i]);
      if (next) {
        current.set(item.id, { ...next, _id: item.id, ...(before?._rev ? { _rev: before._rev } : {}) });
        changed.add(item.id);
      }
    }
    if (changed.size === 0) return [];
    const docs = [...changed].map((id) => current.get(id) as KeyedDoc);
    const saved = await this.db.bulkDocs(docs as unknown as PouchDB.Core.PutDocument<object>[]);
    const retry: number[] = [];
    saved.forEach((res, k) => {
      if (!('error' in res) || !res.error) return;
      const id = docs[k]?._id as string;
      if (res.status === 409 || res.name === 'conflict') {
        retry.push(...(touched.get(id) ?? []));
        return;
      }
      throw new Error(`Writing ${id} failed: ${res.message ?? res.name}`);
    });
    return retry.sort((a, b) => a - b);
  }
}

/**
 * The one write path for message documents: mutations are coalesced per batch into a single
 * `allDocs` read and one `_bulk_docs` write, and re-applied to a fresh copy on conflict (the
 * compare-and-swap on `_rev` that makes claims safe between instances). A mutation must be a
 * pure function of the document it is given: it may run more than once.
 *
 * With `recent` (store/recent-docs.ts), a document this server wrote lately starts from its copy
 * instead of a read. A stale copy cannot do harm: a write made from it is refused (the revision
 * moved on) and re-applied to a fresh read, and a mutation that changes nothing on a copy is
 * re-applied to a fresh read too, so "nothing to do" is never decided on an old revision.
 */
import type { Logger } from 'pino';
import { bulkError, isConflict, type Db } from '../../../shared-libs/couch/index.js';
import type { MessageDoc } from '../../../shared-libs/task-utils/types.js';
import { Batcher } from './batcher.js';
import type { RecentDocs } from './recent-docs.js';

export interface DocMutation {
  docId: string;
  /** Changes the doc in place; returns true when it changed something that must be saved. */
  apply(doc: MessageDoc): boolean;
}

export interface MutationResult {
  changed: boolean;
  missing?: boolean;
}

const MAX_ATTEMPTS = 8;

type Outcome = MutationResult | { conflict: true } | { error: Error };

export class DocUpdater {
  private readonly batcher: Batcher<DocMutation, Outcome>;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    maxBatch = 250,
    private readonly recent?: RecentDocs,
  ) {
    this.batcher = new Batcher((items) => this.run(items), maxBatch, 1);
  }

  async update(mutation: DocMutation): Promise<MutationResult> {
    for (let attempt = 1; ; attempt++) {
      const result = await this.batcher.submit(mutation);
      if ('error' in result) throw result.error;
      if (!('conflict' in result)) return result;
      if (attempt >= MAX_ATTEMPTS) {
        throw new Error(`Could not update ${mutation.docId}: still conflicting after ${MAX_ATTEMPTS} attempts`);
      }
    }
  }

  private async run(items: DocMutation[]): Promise<Outcome[]> {
    const ids = [...new Set(items.map((m) => m.docId))];
    const docs = new Map<string, MessageDoc>();
    const copies = new Set<string>();
    for (const id of ids) {
      const copy = this.recent?.get(id);
      if (copy) {
        docs.set(id, copy);
        copies.add(id);
      }
    }
    const toRead = copies.size > 0 ? ids.filter((id) => !copies.has(id)) : ids;
    if (toRead.length > 0) {
      const read = await this.db.allDocs({ keys: toRead, include_docs: true });
      for (const row of read.rows) {
        if ('doc' in row && row.doc && !('deleted' in row.value && row.value.deleted)) {
          docs.set(row.id, row.doc as unknown as MessageDoc);
        }
      }
    }
    const results: Outcome[] = new Array(items.length);
    const changedDocs = new Map<string, number[]>();
    items.forEach((m, i) => {
      const doc = docs.get(m.docId);
      if (!doc) {
        results[i] = { changed: false, missing: true };
        return;
      }
      let changed: boolean;
      try {
        changed = m.apply(doc);
      } catch (err) {
        // A mutation that throws fails alone; it must not take the batch with it.
        results[i] = { error: err instanceof Error ? err : new Error(String(err)) };
        return;
      }
      if (!changed && copies.has(m.docId)) {
        // Decided on a copy: confirm on the stored revision.
        this.recent?.forget(m.docId);
        results[i] = { conflict: true };
        return;
      }
      results[i] = { changed };
      if (changed) {
        const list = changedDocs.get(m.docId) ?? [];
        list.push(i);
        changedDocs.set(m.docId, list);
      }
    });
    if (changedDocs.size === 0) return results;
    const toSave = [...changedDocs.keys()].map((id) => docs.get(id) as MessageDoc);
    const saved = await this.db.bulkDocs(toSave as unknown as PouchDB.Core.PutDocument<object>[]);
    saved.forEach((res, k) => {
      const id = toSave[k]?._id as string;
      const indexes = changedDocs.get(id) ?? [];
      const err = bulkError(res);
      if (err) {
        if (isConflict(err)) {
          // Everything applied to this doc in this batch is retried against a fresh copy.
          this.recent?.forget(id);
          for (const i of indexes) results[i] = { conflict: true };
        } else {
          // Only this doc's mutations fail; the others in the batch were written.
          this.logger.error({ docId: id, error: err.name, reason: err.message }, 'document write failed');
          const error = new Error(`Writing ${id} failed: ${err.message ?? err.name}`);
          for (const i of indexes) results[i] = { error };
        }
      }
    });
    // Mutations of the same doc that did not change it but rode along a conflicted write must
    // also re-run, since they saw a stale copy.
    items.forEach((m, i) => {
      if (results[i] && 'changed' in (results[i] as object) && !(results[i] as MutationResult).changed) {
        const idx = changedDocs.get(m.docId);
        if (idx && idx.some((j) => results[j] && 'conflict' in (results[j] as object))) results[i] = { conflict: true };
      }
    });
    return results;
  }
}

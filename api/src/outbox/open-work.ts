/**
 * The outbox's own index: one small doc `sms-open:<doc id>` for every message document that still
 * has outgoing work (a task pending, forwarded-to-gateway or scheduled). Sweeps read it with a
 * primary-key range, so finding work costs what is open, not what the database holds; and
 * unlike a PouchDB view it never has to index every change (PouchDB's view builder reads changes
 * ahead of its writes without bound: 1.2 GB to index 20,000 docs). Kept up to date from the
 * changes feed, which resumes from a checkpoint, so writes made while the server was down (CHT's
 * sentinel, another instance) are found too. CHT's views stay installed for CHT's own readers.
 */
import type { Logger } from 'pino';
import type { Db } from '../../../shared-libs/couch/index.js';
import { getDoc, isConflict, prefixRange, throwUnlessWrittenOrConflict } from '../../../shared-libs/couch/index.js';
import { isSendable } from '../../../shared-libs/task-utils/index.js';
import type { MessageDoc } from '../../../shared-libs/task-utils/types.js';
import { Batcher } from '../store/batcher.js';

export const OPEN_WORK_PREFIX = 'sms-open:';
const BUILT_MARKER = '_local/sms-open-index';
const FEED_CHECKPOINT = '_local/sms-outbox-feed';
/** Docs read per page when building the index: small pages keep memory flat on large stores. */
const BUILD_PAGE = 200;

export const openWorkDocId = (docId: string): string => `${OPEN_WORK_PREFIX}${docId}`;

/** The index entry for one message document. */
export interface OpenWorkEntry {
  _id: string;
  type: 'sms_open_work';
  doc_id: string;
}

export const openWorkEntry = (docId: string): OpenWorkEntry => ({
  _id: openWorkDocId(docId),
  type: 'sms_open_work',
  doc_id: docId,
});

/** True when a doc has a task the outbox may still have to act on. */
export function hasOpenWork(doc: Pick<MessageDoc, 'tasks' | 'scheduled_tasks'>): boolean {
  return [...(doc.tasks ?? []), ...(doc.scheduled_tasks ?? [])].some((t) => isSendable(t) || t.state === 'scheduled');
}

/** Docs the index never points at: our own bookkeeping and design/local docs. */
export const isIndexable = (id: string): boolean => !id.startsWith('_') && !id.startsWith('sms-') && id !== 'settings';

interface LocalDoc {
  _id: string;
  _rev?: string;
  [k: string]: unknown;
}

export class OpenWorkIndex {
  private readonly ensures: Batcher<string, void>;
  private readonly removals: Batcher<string, void>;
  /** Doc ids known to have an entry, so repeated feed events for one doc cost nothing. */
  private readonly present = new Set<string>();

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {
    this.ensures = new Batcher((ids) => this.ensureMany(ids), 500, 1);
    this.removals = new Batcher((ids) => this.removeMany(ids), 500, 1);
  }

  /** The entry was written by someone else in this process (e.g. with the message itself). */
  markPresent(docId: string): void {
    this.present.add(docId);
  }

  ensure(docId: string): Promise<void> {
    if (this.present.has(docId)) return Promise.resolve();
    return this.ensures.submit(docId);
  }

  /** Work reopened (an operator's retry): write the entry even if this process thought it present. */
  restore(docId: string): Promise<void> {
    this.present.delete(docId);
    return this.ensures.submit(docId);
  }

  remove(docId: string): Promise<void> {
    this.present.delete(docId);
    return this.removals.submit(docId);
  }

  /** Pages of documents with open work; entries whose doc has none left are dropped on the way. */
  async *pages(pageSize = 200): AsyncGenerator<MessageDoc[]> {
    let startkey = OPEN_WORK_PREFIX;
    for (;;) {
      const res = await this.db.allDocs({ ...prefixRange(OPEN_WORK_PREFIX), startkey, limit: pageSize + 1 });
      const rows = res.rows.slice(0, pageSize);
      if (rows.length === 0) return;
      const ids = rows.map((r) => r.id.slice(OPEN_WORK_PREFIX.length));
      const docs = await this.db.allDocs({ keys: ids, include_docs: true });
      const open: MessageDoc[] = [];
      docs.rows.forEach((row, i) => {
        const doc = 'doc' in row ? (row.doc as unknown as MessageDoc | null) : null;
        if (doc && hasOpenWork(doc)) {
          this.present.add(doc._id);
          open.push(doc);
        } else {
          void this.remove(ids[i] as string).catch(() => undefined);
        }
      });
      if (open.length) yield open;
      if (res.rows.length <= pageSize) return;
      startkey = res.rows[pageSize]?.id as string;
    }
  }

  /** First start on an existing database: index it once, a page at a time (bounded memory). */
  async buildIfNeeded(): Promise<void> {
    if (await this.getLocal(BUILT_MARKER)) return;
    const started = Date.now();
    let startkey: string | undefined;
    let scanned = 0;
    let indexed = 0;
    for (;;) {
      const res = await this.db.allDocs({
        include_docs: true,
        limit: BUILD_PAGE + 1,
        ...(startkey ? { startkey } : {}),
      });
      const rows = res.rows.slice(0, BUILD_PAGE);
      for (const row of rows) {
        scanned++;
        const doc = row.doc as unknown as MessageDoc | undefined;
        if (doc && isIndexable(doc._id) && hasOpenWork(doc)) {
          indexed++;
          await this.ensure(doc._id);
        }
      }
      if (res.rows.length <= BUILD_PAGE) break;
      startkey = res.rows[BUILD_PAGE]?.id;
      // Let the server breathe between pages: this runs beside live traffic.
      await new Promise((r) => setImmediate(r));
    }
    await this.putLocal({ _id: BUILT_MARKER, built_at: new Date().toISOString(), scanned, indexed });
    if (scanned > 0) this.logger.info({ scanned, indexed, ms: Date.now() - started }, 'outbox index built');
  }

  async checkpoint(): Promise<string | number | undefined> {
    const doc = await this.getLocal(FEED_CHECKPOINT);
    return doc?.seq as string | number | undefined;
  }

  async saveCheckpoint(seq: string | number): Promise<void> {
    const doc = (await this.getLocal(FEED_CHECKPOINT)) ?? { _id: FEED_CHECKPOINT };
    if (doc.seq === seq) return;
    await this.putLocal({ ...doc, seq }).catch((err: unknown) => {
      if (!isConflict(err)) throw err;
    });
  }

  private async ensureMany(ids: string[]): Promise<void[]> {
    const unique = [...new Set(ids)];
    throwUnlessWrittenOrConflict(await this.db.bulkDocs(unique.map(openWorkEntry)), 'Indexing open work');
    for (const id of unique) this.present.add(id);
    return ids.map(() => undefined);
  }

  private async removeMany(ids: string[]): Promise<void[]> {
    // Only drop entries whose doc really has nothing open now: a change may have raced the removal.
    const docs = await this.db.allDocs({ keys: [...new Set(ids)], include_docs: true });
    const unique = docs.rows
      .filter((row) => {
        const doc = 'doc' in row ? (row.doc as unknown as MessageDoc | null) : null;
        return !doc || !hasOpenWork(doc);
      })
      .map((row) => row.key);
    if (unique.length === 0) return ids.map(() => undefined);
    const res = await this.db.allDocs({ keys: unique.map(openWorkDocId) });
    const deletions = res.rows
      .filter(
        (r): r is PouchDB.Core.AllDocsResponse<object>['rows'][number] => 'value' in r && !!r.value && !r.value.deleted,
      )
      .map((r) => ({ _id: r.id, _rev: r.value.rev, _deleted: true }));
    if (deletions.length) await this.db.bulkDocs(deletions);
    return ids.map(() => undefined);
  }

  private getLocal(id: string): Promise<LocalDoc | undefined> {
    return getDoc<LocalDoc>(this.db, id);
  }

  private async putLocal(doc: LocalDoc): Promise<void> {
    await this.db.put(doc);
  }
}

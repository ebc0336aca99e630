/**
 * Where the outbox's sweeps find work: the message index's `w:<doc id>` rows (listings/rows.ts),
 * one for every document that still has outgoing work (a task pending, forwarded-to-gateway or
 * scheduled). The index derives them from each document as it is written (and from the changes
 * feed for writes made elsewhere or while the server was down), so a message costs no index
 * document of its own in the database, and finding work costs what is open, not what the database
 * holds. CHT's views stay installed for CHT's own readers.
 */
import type { Db } from '../../../shared-libs/couch/index.js';
import { getDoc, isConflict } from '../../../shared-libs/couch/index.js';
import { hasOpenWork } from '../../../shared-libs/task-utils/index.js';
import type { MessageDoc } from '../../../shared-libs/task-utils/types.js';
import type { MessageIndex } from '../listings/indexer.js';
import { HIGH, PREFIX, type RowBody } from '../listings/rows.js';

const FEED_CHECKPOINT = '_local/sms-outbox-feed';

/** Docs the outbox never handles: our own bookkeeping and design/local docs. */
export const isIndexable = (id: string): boolean => !id.startsWith('_') && !id.startsWith('sms-') && id !== 'settings';

interface LocalDoc {
  _id: string;
  _rev?: string;
  [k: string]: unknown;
}

export class OpenWork {
  constructor(
    private readonly db: Db,
    private readonly index: MessageIndex,
  ) {}

  /**
   * Pages of documents with open work, in doc id order, as of this call (read-your-writes: the
   * index first takes in every write acknowledged before it). Throws the index's 503 errors while
   * it is being built or cannot catch up.
   */
  async *pages(pageSize = 200): AsyncGenerator<MessageDoc[]> {
    await this.index.readyForRead();
    let after: string | undefined;
    for (;;) {
      const rows = await this.index.rows.entries<RowBody>({
        ...(after === undefined ? { gte: PREFIX.openWork } : { gt: after }),
        lt: PREFIX.openWork + HIGH,
        limit: pageSize,
      });
      if (rows.length === 0) return;
      after = rows[rows.length - 1]?.[0];
      const docs = await this.db.allDocs({ keys: rows.map(([, body]) => body.d), include_docs: true });
      const open = docs.rows
        .map((row) => ('doc' in row ? (row.doc as unknown as MessageDoc | null) : null))
        .filter((doc): doc is MessageDoc => !!doc && hasOpenWork(doc));
      if (open.length) yield open;
      if (rows.length < pageSize) return;
    }
  }

  /** How many documents have open work (the index's rows). */
  async count(): Promise<number> {
    await this.index.readyForRead();
    return this.index.rows.count({ gte: PREFIX.openWork, lt: PREFIX.openWork + HIGH });
  }

  /** How far the outbox's changes feed has been handled (its own checkpoint, kept in the database). */
  async checkpoint(): Promise<string | number | undefined> {
    const doc = await getDoc<LocalDoc>(this.db, FEED_CHECKPOINT);
    return doc?.seq as string | number | undefined;
  }

  async saveCheckpoint(seq: string | number): Promise<void> {
    const doc = (await getDoc<LocalDoc>(this.db, FEED_CHECKPOINT)) ?? { _id: FEED_CHECKPOINT };
    if (doc.seq === seq) return;
    await this.db.put({ ...doc, seq }).catch((err: unknown) => {
      if (!isConflict(err)) throw err;
    });
  }
}

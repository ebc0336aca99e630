/**
 * The message documents this server wrote last, as written (a snapshot per document, newest
 * revision), so the next change to one of them starts from that copy instead of a read: a message
 * is written when it is created, claimed and given its result, each time by this process and
 * moments apart. A copy may be stale (another instance or CHT wrote since): the compare-and-swap
 * on `_rev` refuses a write made from it, and the DocUpdater then reads the document afresh.
 * Bounded: the oldest copies are dropped first.
 */
import type { MessageDoc } from '../../../shared-libs/task-utils/types.js';
import type { WrittenDoc } from './write-watch.js';

export const RECENT_DOCS_MAX = 2_000;

const generation = (rev: string): number => Number.parseInt(rev, 10) || 0;

/** The documents worth keeping: those with outgoing tasks, which the DocUpdater changes. */
const holdsTasks = (doc: Record<string, unknown>): boolean =>
  Array.isArray(doc.tasks) || Array.isArray(doc.scheduled_tasks);

export class RecentDocs {
  /** Doc id → its last written body as JSON (immutable, whatever the writer does with its object). */
  private readonly docs = new Map<string, { rev: string; json: string }>();

  constructor(private readonly max = RECENT_DOCS_MAX) {}

  get size(): number {
    return this.docs.size;
  }

  /** Takes in writes as they are made (store/write-watch.ts). */
  noteWritten(written: WrittenDoc[]): void {
    for (const w of written) {
      const held = this.docs.get(w.id);
      if (held && generation(held.rev) > generation(w.rev)) continue;
      this.docs.delete(w.id);
      if (w.doc && holdsTasks(w.doc)) {
        this.docs.set(w.id, { rev: w.rev, json: JSON.stringify(w.doc) });
        if (this.docs.size > this.max) this.docs.delete(this.docs.keys().next().value as string);
      }
    }
  }

  /** A copy of the last written revision of a document, if this server wrote it lately. */
  get(id: string): MessageDoc | undefined {
    const held = this.docs.get(id);
    return held ? (JSON.parse(held.json) as MessageDoc) : undefined;
  }

  forget(id: string): void {
    this.docs.delete(id);
  }
}

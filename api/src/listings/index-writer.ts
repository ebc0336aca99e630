/**
 * The message index's only writer. Documents arrive from two sides: this server's own writers
 * (right after their write, before it is acknowledged) and the feed reconciler (everything else,
 * and a safety net). Each batch becomes one `bulkDocs` on the index database: new rows, deleted
 * rows, manifests, per-hour counts and, when the reconciler asks, its checkpoint. On LevelDB that
 * write is atomic, so the index is never caught between two states.
 *
 * A manifest records the revision its rows describe, and an older revision never replaces a newer
 * one, so the two sides may deliver a document in either order: the index always ends with the
 * newest revision either has seen.
 */
import type { MessageDoc } from '../../../shared-libs/task-utils/types.js';
import { Batcher } from '../store/batcher.js';
import type { Buckets } from './buckets.js';
import {
  CHECKPOINT_ID,
  INDEX_VERSION,
  MANIFEST_PREFIX,
  revNewer,
  type Checkpoint,
  type IndexStore,
  type Manifest,
  type Seq,
} from './index-store.js';
import { bucketOf, indexRows, type IndexRow } from './rows.js';

/** One message document as written: its revision, and its body unless it was deleted. */
export interface IndexInput {
  id: string;
  rev: string;
  doc?: MessageDoc;
}

/** A document to index, or a checkpoint to record (undefined: only a marker in the queue). */
type Item = { input: IndexInput } | { checkpoint: { seq: Seq; built: boolean } | undefined };

/** A row or count write was refused: the index no longer agrees with itself. */
export class IndexWriteError extends Error {}

export class IndexWriter {
  private readonly batcher: Batcher<Item, void>;
  private checkpointRev?: string;
  private suspended = false;

  constructor(
    private readonly store: IndexStore,
    private buckets: Buckets,
    checkpointRev?: string,
  ) {
    this.batcher = new Batcher((items) => this.applyMany(items), 500, 1);
    this.checkpointRev = checkpointRev;
  }

  get counts(): Buckets {
    return this.buckets;
  }

  apply(input: IndexInput): Promise<void> {
    return this.batcher.submit({ input });
  }

  /** Written after everything submitted before it. */
  checkpoint(seq: Seq, built: boolean): Promise<void> {
    return this.batcher.submit({ checkpoint: { seq, built } });
  }

  /** The revision each document was last indexed at (undefined: never). */
  async indexedRevs(ids: string[]): Promise<Map<string, string>> {
    const res = await this.store.db.allDocs({ keys: ids.map((id) => MANIFEST_PREFIX + id), include_docs: true });
    const out = new Map<string, string>();
    for (const row of res.rows) {
      const m = 'doc' in row && row.doc ? (row.doc as unknown as Manifest) : undefined;
      if (m) out.set(m._id.slice(MANIFEST_PREFIX.length), m.rev);
    }
    return out;
  }

  /** Stops writing: what is queued and what comes until restart() is dropped (a full scan follows). */
  async suspend(): Promise<void> {
    this.suspended = true;
    await this.batcher.submit({ checkpoint: undefined });
  }

  /** After a reset of the store: start from nothing. */
  restart(buckets: Buckets): void {
    this.buckets = buckets;
    this.checkpointRev = undefined;
    this.suspended = false;
  }

  private async applyMany(items: Item[]): Promise<void[]> {
    if (this.suspended) return items.map(() => undefined);
    // The newest revision of each document in this batch is the one that counts.
    const latest = new Map<string, IndexInput>();
    let checkpoint: { seq: Seq; built: boolean } | undefined;
    for (const item of items) {
      if ('checkpoint' in item) {
        checkpoint = item.checkpoint ?? checkpoint;
        continue;
      }
      const prior = latest.get(item.input.id);
      if (!prior || revNewer(item.input.rev, prior.rev)) latest.set(item.input.id, item.input);
    }
    const writes: object[] = [];
    const created = new Set<string>();
    const deleteIds: string[] = [];
    const inputs = [...latest.values()];
    if (inputs.length > 0) {
      const manifests = await this.store.db.allDocs({
        keys: inputs.map((i) => MANIFEST_PREFIX + i.id),
        include_docs: true,
      });
      inputs.forEach((input, i) => {
        const row = manifests.rows[i];
        const manifest = row && 'doc' in row && row.doc ? (row.doc as unknown as Manifest) : undefined;
        if (manifest && !revNewer(input.rev, manifest.rev)) return;
        this.diff(input, manifest, indexRows(input.doc), writes, created, deleteIds);
      });
    }
    if (deleteIds.length > 0) {
      const existing = await this.store.db.allDocs({ keys: deleteIds.filter((id) => !created.has(id)) });
      for (const row of existing.rows) {
        if ('value' in row && row.value && !row.value.deleted)
          writes.push({ _id: row.id, _rev: row.value.rev, _deleted: true });
      }
    }
    writes.push(...this.buckets.dirtyDocs());
    if (checkpoint) {
      const doc: Checkpoint = {
        _id: CHECKPOINT_ID,
        ...(this.checkpointRev ? { _rev: this.checkpointRev } : {}),
        ...checkpoint,
        source: this.store.location.source,
        version: INDEX_VERSION,
      };
      writes.push(doc);
    }
    if (writes.length > 0) {
      try {
        await this.write(writes, created);
      } catch (err) {
        // The in-memory counts already moved: only a rebuild makes them true again.
        throw err instanceof IndexWriteError
          ? err
          : new IndexWriteError(`Writing the message index failed: ${String(err)}`, { cause: err });
      }
    }
    return items.map(() => undefined);
  }

  private async write(writes: object[], created: Set<string>): Promise<void> {
    const results = await this.store.db.bulkDocs(writes as PouchDB.Core.PutDocument<object>[]);
    const revs = new Map<string, string>();
    results.forEach((r, i) => {
      const id = (writes[i] as { _id: string })._id;
      if ('error' in r && r.error) {
        // Only a row that already exists is expected (one uuid in two documents).
        if (created.has(id) && r.status === 409) return;
        throw new IndexWriteError(`Writing the message index failed at ${id}: ${r.message ?? r.name}`);
      }
      if ('rev' in r && r.rev) revs.set(id, r.rev);
    });
    this.buckets.committed(revs);
    this.checkpointRev = revs.get(CHECKPOINT_ID) ?? this.checkpointRev;
  }

  /** Queues the writes that take a document from the rows it had to the rows it needs. */
  private diff(
    input: IndexInput,
    manifest: Manifest | undefined,
    rows: IndexRow[],
    writes: object[],
    created: Set<string>,
    deleteIds: string[],
  ): void {
    const had = new Set(manifest?.rows ?? []);
    const want = new Set(rows.map((r) => r._id));
    // A document that never had rows and has none (a contact, a form report) leaves no trace.
    if (!manifest && want.size === 0) return;
    for (const r of rows) {
      if (had.has(r._id)) continue;
      writes.push(r);
      created.add(r._id);
      this.count(r._id, 1);
    }
    for (const id of had) {
      if (want.has(id)) continue;
      deleteIds.push(id);
      this.count(id, -1);
    }
    writes.push({
      _id: MANIFEST_PREFIX + input.id,
      ...(manifest?._rev ? { _rev: manifest._rev } : {}),
      rev: input.rev,
      rows: [...want],
    });
  }

  private count(rowId: string, delta: number): void {
    const b = bucketOf(rowId);
    if (b) this.buckets.add(b.series, b.hour, delta);
  }
}

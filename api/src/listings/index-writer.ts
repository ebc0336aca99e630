/**
 * The message index's only writer. Documents arrive from two sides: this server's own writers
 * (right after their write, before it is acknowledged) and the feed reconciler (everything else,
 * and a safety net). Each batch becomes one atomic LevelDB batch on the index store: new rows,
 * deleted rows, manifests, per-hour counts and, when the reconciler asks, its checkpoint, so the
 * index is never caught between two states.
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
  type IndexOp,
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

/** Writing the index failed: it may no longer agree with itself. */
export class IndexWriteError extends Error {}

/**
 * Manifests of the documents indexed most recently, as written. A message is written several
 * times within seconds (created, claimed, its result, its report), so most batches find the
 * manifest here instead of reading it back from LevelDB. This writer is the store's only writer,
 * so an entry is exact until the store is reset.
 */
const MANIFEST_CACHE = 4096;

export class IndexWriter {
  private readonly batcher: Batcher<Item, void>;
  private suspended = false;
  /** Document id → its manifest as last written (undefined: it has none), oldest first. */
  private readonly manifests = new Map<string, Manifest | undefined>();

  constructor(
    private readonly store: IndexStore,
    private buckets: Buckets,
  ) {
    this.batcher = new Batcher((items) => this.applyMany(items), 500, 1);
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
    const manifests = await this.store.getMany<Manifest>(ids.map((id) => MANIFEST_PREFIX + id));
    const out = new Map<string, string>();
    ids.forEach((id, i) => {
      const m = manifests[i];
      if (m) out.set(id, m.rev);
    });
    return out;
  }

  /** Stops writing: what is queued and what comes until restart() is dropped (a full scan follows). */
  async suspend(): Promise<void> {
    this.suspended = true;
    await this.batcher.submit({ checkpoint: undefined });
    this.manifests.clear();
  }

  /** After a reset of the store: start from nothing. */
  restart(buckets: Buckets): void {
    this.buckets = buckets;
    this.manifests.clear();
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
    const ops: IndexOp[] = [];
    const written = new Map<string, Manifest | undefined>();
    const inputs = [...latest.values()];
    if (inputs.length > 0) {
      const manifests = await this.manifestsOf(inputs.map((i) => i.id));
      inputs.forEach((input, i) => {
        const manifest = manifests[i];
        if (manifest && !revNewer(input.rev, manifest.rev)) return;
        written.set(input.id, this.diff(input, manifest, indexRows(input.doc), ops));
      });
    }
    for (const [key, n] of this.buckets.takeDirty())
      ops.push(n === 0 ? { type: 'del', key } : { type: 'put', key, value: n });
    if (checkpoint) {
      const value: Checkpoint = { ...checkpoint, source: this.store.location.source, version: INDEX_VERSION };
      ops.push({ type: 'put', key: CHECKPOINT_ID, value });
    }
    if (ops.length > 0) {
      try {
        await this.store.batch(ops);
      } catch (err) {
        // The in-memory counts already moved: only a rebuild makes them true again.
        this.manifests.clear();
        throw new IndexWriteError(`Writing the message index failed: ${String(err)}`, { cause: err });
      }
    }
    for (const [id, manifest] of written) this.remember(id, manifest);
    return items.map(() => undefined);
  }

  /** The manifests of these documents, from the cache where it has them, else from the store. */
  private async manifestsOf(ids: string[]): Promise<Array<Manifest | undefined>> {
    const out = new Array<Manifest | undefined>(ids.length);
    const missing: number[] = [];
    ids.forEach((id, i) => {
      if (this.manifests.has(id)) out[i] = this.manifests.get(id);
      else missing.push(i);
    });
    if (missing.length > 0) {
      const read = await this.store.getMany<Manifest>(missing.map((i) => MANIFEST_PREFIX + (ids[i] as string)));
      missing.forEach((at, k) => {
        out[at] = read[k];
        this.remember(ids[at] as string, read[k]);
      });
    }
    return out;
  }

  private remember(id: string, manifest: Manifest | undefined): void {
    this.manifests.delete(id);
    this.manifests.set(id, manifest);
    if (this.manifests.size > MANIFEST_CACHE) {
      const oldest = this.manifests.keys().next();
      if (!oldest.done) this.manifests.delete(oldest.value);
    }
  }

  /**
   * Queues the writes that take a document from the rows it had to the rows it needs; returns its
   * manifest as it will be written.
   */
  private diff(
    input: IndexInput,
    manifest: Manifest | undefined,
    rows: IndexRow[],
    ops: IndexOp[],
  ): Manifest | undefined {
    const had = new Set(manifest?.rows ?? []);
    const want = new Set(rows.map((r) => r.key));
    // A document that never had rows and has none (a contact, a form report) leaves no trace.
    if (!manifest && want.size === 0) return undefined;
    for (const { key, ...body } of rows) {
      if (had.has(key)) continue;
      ops.push({ type: 'put', key, value: body });
      this.count(key, 1);
    }
    for (const key of had) {
      if (want.has(key)) continue;
      ops.push({ type: 'del', key });
      this.count(key, -1);
    }
    const value: Manifest = { rev: input.rev, rows: [...want] };
    ops.push({ type: 'put', key: MANIFEST_PREFIX + input.id, value });
    return value;
  }

  private count(rowId: string, delta: number): void {
    const b = bucketOf(rowId);
    if (b) this.buckets.add(b.series, b.hour, delta);
  }
}

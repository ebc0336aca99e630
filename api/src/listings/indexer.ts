/**
 * The message index: rows for every listing (rows.ts) in a database of this instance's own
 * (index-store.ts), written by one IndexWriter and fed from two sides:
 * - write-through (store/write-watch.ts): every document written through this server's medic
 *   handle is indexed after its write and before the writer's call resolves, so the indexing
 *   happens as the writes do rather than piling up behind a burst of them;
 * - the changes feed (feed-reconciler.ts): the first build, writes made elsewhere (CHT's sentinel
 *   and webapp, other instances: CouchDB mode only), and a crash between a write and its indexing.
 *
 * Read-your-writes, in `readyForRead()`, which every read awaits:
 * - embedded store: this process alone can write the LevelDB (it holds its lock), and every
 *   write through the handle is indexed before it is acknowledged, so an acknowledged write is
 *   already in the index: nothing to wait for, once the feed has been read up to the present
 *   after a start (writes made while the server was down) or after a replicated revision.
 * - CouchDB: others write too, so a read notes the database's `update_seq` and waits until the
 *   feed has brought every change up to it into the index. Changes this server indexed while
 *   writing cost the feed a read and no document fetch, so the wait stays short after a burst.
 */
import type { Logger } from 'pino';
import type { Db } from '../../../shared-libs/couch/index.js';
import type { MessageDoc } from '../../../shared-libs/task-utils/types.js';
import type { WrittenDoc } from '../store/write-watch.js';
import { Buckets } from './buckets.js';
import { FeedReconciler, type Progress } from './feed-reconciler.js';
import { IndexBuildingError, IndexStore, type IndexLocation } from './index-store.js';
import { IndexWriteError, IndexWriter, type IndexInput } from './index-writer.js';
import { mayHoldMessages } from './rows.js';

export { IndexBehindError, IndexBuildingError, indexLocation, seqNumber } from './index-store.js';

export const DEFAULT_WAIT_MS = 15_000;
/** During the first build, a reader waits for it when no more than this many documents are left. */
const BUILD_WAIT_DOCS = 5_000;

export class MessageIndex {
  private reconciler: FeedReconciler;
  private rebuilding?: Promise<void>;
  private started = false;

  private constructor(
    private readonly medic: Db,
    private readonly store: IndexStore,
    private readonly writer: IndexWriter,
    private readonly logger: Logger,
    private readonly othersWrite: boolean,
    from?: { seq: string | number; built: boolean },
  ) {
    this.reconciler = this.newReconciler(from);
  }

  /** `othersWrite`: the database is shared (CouchDB); reads then wait for the changes feed. */
  static async open(medic: Db, location: IndexLocation, logger: Logger, othersWrite: boolean): Promise<MessageIndex> {
    const info = await medic.info();
    const { store, checkpoint, discarded } = await IndexStore.open(location, info.update_seq);
    if (discarded)
      logger.warn({ source: location.source }, 'message index described another database or layout; rebuilding it');
    const writer = new IndexWriter(store, await store.buckets());
    return new MessageIndex(
      medic,
      store,
      writer,
      logger,
      othersWrite,
      checkpoint ? { seq: checkpoint.seq, built: checkpoint.built } : undefined,
    );
  }

  private newReconciler(from?: { seq: string | number; built: boolean }): FeedReconciler {
    return new FeedReconciler(
      this.medic,
      this.writer,
      this.logger,
      { live: this.othersWrite, writeThrough: !this.othersWrite, onBroken: (err) => void this.rebuild(err) },
      from,
    );
  }

  /** The index store (rows, manifests, counts): read-only outside this folder. */
  get rows(): IndexStore {
    return this.store;
  }

  get counts(): Buckets {
    return this.writer.counts;
  }

  get isBuilt(): boolean {
    return this.reconciler.isBuilt;
  }

  /** The index holds every acknowledged write without waiting (embedded store, following the writes). */
  get knowsEveryWrite(): boolean {
    return !this.othersWrite && !this.rebuilding && this.reconciler.isBuilt && this.reconciler.followsWrites;
  }

  stats(): Progress {
    return this.reconciler.progress();
  }

  start(): void {
    this.started = true;
    this.reconciler.start();
  }

  async stop(): Promise<void> {
    this.started = false;
    await this.rebuilding;
    await this.reconciler.stop();
    await this.store.close().catch(() => undefined);
  }

  /**
   * Write-through: documents just written through the medic handle. A failure rejects, which the
   * write-watch counts as missed (store/write-watch.ts) without failing the write, which happened:
   * the feed indexes it instead, and reads wait for the feed until the reconciler marks anew.
   */
  async ingest(written: WrittenDoc[]): Promise<void> {
    const inputs: IndexInput[] = written
      .filter((w) => mayHoldMessages(w.id))
      .map((w) => ({ id: w.id, rev: w.rev, ...(w.doc ? { doc: w.doc as unknown as MessageDoc } : {}) }));
    if (inputs.length === 0) return;
    try {
      await Promise.all(inputs.map((i) => this.writer.apply(i)));
      this.reconciler.remember(inputs);
    } catch (err) {
      this.logger.error({ err }, 'indexing written messages failed; the changes feed will index them');
      if (err instanceof IndexWriteError) void this.rebuild(err);
      throw err;
    }
  }

  /**
   * Read-your-writes: resolves once the index holds every write acknowledged before this call.
   * During a first build, 503 (IndexBuildingError) while much is left, else waits for the build.
   */
  async readyForRead(maxWaitMs = DEFAULT_WAIT_MS): Promise<void> {
    if (!this.reconciler.isBuilt) {
      const p = this.reconciler.progress();
      if (this.rebuilding || p.total - p.scanned > BUILD_WAIT_DOCS) throw new IndexBuildingError(p.scanned, p.total);
      await this.reconciler.whenBuilt(maxWaitMs);
    }
    if (this.othersWrite || !this.reconciler.followsWrites) await this.reconciler.caughtUp(maxWaitMs);
  }

  /** Resolves once the changes feed has brought every change made before this call into the index. */
  synced(maxWaitMs = DEFAULT_WAIT_MS): Promise<void> {
    return this.reconciler.caughtUp(maxWaitMs);
  }

  /** The index disagrees with itself (a write was refused): start again from a full scan. */
  private rebuild(err: unknown): Promise<void> {
    this.rebuilding ??= (async () => {
      this.logger.error({ err }, 'message index is inconsistent; rebuilding it from the database');
      await this.reconciler.stop();
      // Writes arriving meanwhile are dropped: the full scan that follows reads them anyway.
      await this.writer.suspend();
      await this.store.reset();
      this.writer.restart(new Buckets());
      this.reconciler = this.newReconciler();
      if (this.started) this.reconciler.start();
    })().finally(() => {
      this.rebuilding = undefined;
    });
    return this.rebuilding;
  }
}

/**
 * Brings every change of the medic database into the message index: once a full scan (paged
 * `allDocs`, bounded memory) on the first start, then the changes feed from a checkpoint. Changes
 * this server already indexed when it wrote them are passed over without reading their document
 * (their revision is known), so following the feed costs little more than reading it; the others
 * (CHT's sentinel and webapp, another instance, a test writing straight to the store) are read
 * and indexed.
 *
 * On the embedded store (`writeThrough`) this process is the only writer and the index hears of
 * every write as it happens (store/write-watch.ts), so once the feed has been read up to the
 * present after a start (what a crash left unindexed), it is no longer read change by change: the
 * checkpoint moves to `settledSeq()`, and the feed is read again only after a write the
 * write-through could not see (a replicated revision).
 *
 * Readers wait on it: `caughtUp()` notes the database's `update_seq` and resolves once every
 * change up to it is in the index (or once a feed read that started later found nothing more).
 *
 * On CouchDB a reader need not wait for the feed to bring back this server's own writes, which the
 * write-through indexed as it made them: the reconciler keeps a mark, a sequence up to which every
 * change is indexed together with the count of the handle's writes at that point
 * (write-watch.ts `ownWrites`). When the database's `update_seq` has moved past the mark by
 * exactly the number of writes this handle made (and indexed) since, every change in between was
 * one of them, so a read after a burst of only our writes answers at once; any other writer's
 * change (CHT, another instance) leaves a difference, and the read waits for the feed as before.
 * This needs a sequence whose number counts the database's updates, as a single CouchDB node's
 * and PouchDB's do (`cluster.n` of 1); on a cluster with several copies of each shard the numbers
 * of two reads need not compare, so readers there always wait for the feed.
 */
import type { Logger } from 'pino';
import { follow, type Db, type Follower } from '../../../shared-libs/couch/index.js';
import type { MessageDoc } from '../../../shared-libs/task-utils/types.js';
import { ownWrites, settledSeq, unseenWrites, type OwnWriteCount } from '../store/write-watch.js';
import { IndexBehindError, revNewer, seqNumber, type Seq } from './index-store.js';
import { IndexWriteError, type IndexInput, type IndexWriter } from './index-writer.js';
import { mayHoldMessages } from './rows.js';

/** Documents read per page of the first scan, and changes per feed read. */
const SCAN_PAGE = 250;
const FEED_PAGE = 1_000;
/** While idle, look for changes this often (a live feed, when on, wakes us sooner). */
const IDLE_POLL_MS = 2_000;
/** Own writes remembered until the feed shows them (beyond this, manifests are read instead). */
const MAX_OWN = 100_000;

interface Waiter {
  target: number;
  step: number;
  resolve(): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Every change up to `seq` is in the index, and the handle had written `written` docs by then, of
 * which the index missed `missed` (the feed indexed those).
 */
interface Mark {
  seq: number;
  written: number;
  missed: number;
}

export interface Progress {
  built: boolean;
  scanned: number;
  total: number;
  seq: number;
  /** Reads after only this server's writes answer without waiting for the feed from here on. */
  markSeq?: number;
}

export class FeedReconciler {
  private seq: Seq;
  private built: boolean;
  private scanned = 0;
  private total = 0;
  private waiters: Waiter[] = [];
  private builtWaiters: Array<() => void> = [];
  private stepCounter = 0;
  private stopped = false;
  private running?: Promise<void>;
  private wake?: Follower;
  private kicked = false;
  private idleWake?: () => void;
  /** Revisions this server indexed when it wrote them, until the feed shows them. */
  private readonly own = new Map<string, string>();
  /** Following the writes rather than the feed (writeThrough, once caught up). */
  private through = false;
  /** `unseenWrites()` when the feed was last read to the end. */
  private unseenAt = 0;
  /** See above; undefined until a quiet moment sets it. */
  private mark?: Mark;
  /** The database's sequence numbers count its updates (not a cluster with copies of shards). */
  private countingSeqs = false;

  constructor(
    private readonly medic: Db,
    private readonly writer: IndexWriter,
    private readonly logger: Logger,
    private readonly opts: {
      /** Follow a live feed to pick changes up at once (others write the database). */
      live: boolean;
      /** Every write reaches the index through the handle (the embedded store): see above. */
      writeThrough?: boolean;
      /** Called when the writer reports the index inconsistent. */
      onBroken: (err: unknown) => void;
    },
    from?: { seq: Seq; built: boolean },
  ) {
    this.seq = from?.seq ?? 0;
    this.built = from?.built ?? false;
  }

  get isBuilt(): boolean {
    return this.built;
  }

  /** Every write reaches the index as it is made: nothing in the feed is waiting to be read. */
  get followsWrites(): boolean {
    return this.through && unseenWrites(this.medic) === this.unseenAt;
  }

  progress(): Progress {
    return {
      built: this.built,
      scanned: this.scanned,
      total: this.total,
      seq: seqNumber(this.seq),
      ...(this.mark && this.mark.missed === ownWrites(this.medic)?.missed ? { markSeq: this.mark.seq } : {}),
    };
  }

  /** This server wrote and indexed these revisions: the feed need not read them again. */
  remember(inputs: IndexInput[]): void {
    if (this.through) return;
    if (this.own.size > MAX_OWN) this.own.clear();
    for (const i of inputs) this.own.set(i.id, i.rev);
  }

  start(): void {
    if (this.running) return;
    if (this.opts.live)
      this.wake = follow(this.medic, {
        since: 'now',
        onChange: () => this.kick(),
        onError: (err, retryInMs) =>
          this.logger.warn({ err, retryInMs }, 'message index wake-up feed failed; resuming'),
      });
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.cancel();
    this.kick();
    await this.running;
    // Following the writes: record how far, so the next start reads no feed it need not.
    if (this.through) await this.advance().catch(() => undefined);
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new IndexBehindError(0));
    }
  }

  kick(): void {
    this.kicked = true;
    const wake = this.idleWake;
    this.idleWake = undefined;
    wake?.();
  }

  /** Resolves once every change the database had when this was called is in the index. */
  async caughtUp(maxWaitMs: number): Promise<void> {
    const before = ownWrites(this.medic);
    const info = await this.medic.info();
    this.countingSeqs = countsUpdates(info);
    const target = seqNumber(info.update_seq);
    const quiet = isQuiet(before, ownWrites(this.medic));
    if (this.built && seqNumber(this.seq) >= target) {
      if (quiet) this.setMark(target, before);
      return;
    }
    if (this.built && this.onlyOwnSince(target, before)) return;
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        target,
        step: this.stepCounter,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new IndexBehindError(maxWaitMs));
        }, maxWaitMs),
      };
      this.waiters.push(waiter);
      this.kick();
    });
    if (quiet) this.setMark(target, before);
  }

  /**
   * Every change up to `target` is indexed when the database moved from the mark by exactly the
   * writes counted since (`before` was taken ahead of reading `target`). Those writes all came after
   * the mark and before `target`; writes still under way then and any other writer's change could
   * only make the difference larger. So equality leaves no room for a change the index lacks, and
   * `target` becomes the new mark. A write the index missed since the mark voids this: it is
   * counted like the others but only the feed brings it in.
   */
  private onlyOwnSince(target: number, before: OwnWriteCount | undefined): boolean {
    const mark = this.mark;
    if (!mark || !before || !this.countingSeqs || before.missed !== mark.missed) return false;
    if (target <= mark.seq) return true;
    if (target - mark.seq !== before.written - mark.written) return false;
    this.mark = { seq: target, written: before.written, missed: before.missed };
    return true;
  }

  /**
   * A mark must name exactly the writes made up to its sequence: only taken when no write call
   * was under way while the sequence was read (see isQuiet). Writes the index missed up to then are
   * in the index too: the feed, read up to `seq`, brought them in.
   */
  private setMark(seq: number, before: OwnWriteCount | undefined): void {
    if (!before || !this.countingSeqs) return;
    if (this.mark && this.mark.seq >= seq) return;
    this.mark = { seq, written: before.written, missed: before.missed };
  }

  /** Resolves when the first scan is done (or rejects after `maxWaitMs`). */
  whenBuilt(maxWaitMs: number): Promise<void> {
    if (this.built) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new IndexBehindError(maxWaitMs)), maxWaitMs);
      this.builtWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private settle(stepDone?: number): void {
    if (!this.built) return;
    const at = seqNumber(this.seq);
    this.waiters = this.waiters.filter((w) => {
      if (w.target > at && !(stepDone !== undefined && w.step < stepDone)) return true;
      clearTimeout(w.timer);
      w.resolve();
      return false;
    });
  }

  private async run(): Promise<void> {
    let delay = 500;
    while (!this.stopped) {
      this.kicked = false;
      let more: boolean;
      try {
        if (!this.built) await this.scan();
        if (this.through) {
          more = await this.advance();
        } else {
          const unseen = unseenWrites(this.medic);
          more = await this.step();
          if (!more && this.opts.writeThrough) {
            this.through = true;
            this.unseenAt = unseen;
            this.own.clear();
          }
        }
        delay = 500;
      } catch (err) {
        if (this.stopped) return;
        if (err instanceof IndexWriteError) return this.opts.onBroken(err);
        this.logger.error({ err, retryInMs: delay }, 'message index update failed; retrying');
        await new Promise((r) => setTimeout(r, delay).unref());
        delay = Math.min(30_000, delay * 2);
        continue;
      }
      if (more || this.kicked || this.stopped) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, IDLE_POLL_MS);
        timer.unref();
        this.idleWake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** The first start: every document once, a page at a time; then the feed from before the scan. */
  private async scan(): Promise<void> {
    const started = Date.now();
    const info = await this.medic.info();
    this.countingSeqs = countsUpdates(info);
    const from = info.update_seq;
    this.total = info.doc_count;
    this.scanned = 0;
    let startkey: string | undefined;
    for (;;) {
      const res = await this.medic.allDocs({
        include_docs: true,
        limit: SCAN_PAGE + 1,
        ...(startkey ? { startkey } : {}),
      });
      const page = res.rows.slice(0, SCAN_PAGE);
      const inputs: IndexInput[] = [];
      for (const row of page) {
        const doc = row.doc as unknown as MessageDoc | undefined;
        if (doc && mayHoldMessages(row.id)) inputs.push({ id: row.id, rev: row.value.rev, doc });
      }
      await Promise.all(inputs.map((i) => this.writer.apply(i)));
      this.scanned += page.length;
      if (this.stopped) return;
      if (res.rows.length <= SCAN_PAGE) break;
      startkey = res.rows[SCAN_PAGE]?.id;
      // Beside live traffic: let requests in between pages.
      await new Promise((r) => setImmediate(r));
    }
    await this.writer.checkpoint(from, true);
    this.seq = from;
    this.built = true;
    for (const w of this.builtWaiters.splice(0)) w();
    this.logger.info({ docs: this.scanned, ms: Date.now() - started }, 'message index built');
  }

  /** One page of the feed into the index; true when there may be more right away. */
  private async step(): Promise<boolean> {
    const step = ++this.stepCounter;
    const before = ownWrites(this.medic);
    // batch_size: over HTTP, PouchDB otherwise fetches a page 25 changes per request.
    const res = await this.medic.changes({ since: this.seq, limit: FEED_PAGE, batch_size: FEED_PAGE });
    const quiet = isQuiet(before, ownWrites(this.medic));
    const changes = res.results.filter((c) => mayHoldMessages(c.id) && !this.isOwn(c.id, c.changes[0]?.rev));
    if (changes.length > 0) {
      const indexed = await this.writer.indexedRevs(changes.map((c) => c.id));
      const stale = changes.filter((c) => {
        const rev = c.changes[0]?.rev;
        const known = indexed.get(c.id);
        return rev !== undefined && (known === undefined || revNewer(rev, known));
      });
      if (stale.length > 0) await this.index(stale.map((c) => c.id));
    }
    if (res.results.length > 0) {
      await this.writer.checkpoint(res.last_seq, true);
      this.seq = res.last_seq;
      this.settle();
    }
    const more = res.results.length >= FEED_PAGE;
    if (!more && quiet) this.setMark(seqNumber(res.last_seq), before);
    // Nothing more existed when this read started: whoever was waiting before it has all it needs.
    if (!more) this.settle(step);
    return more;
  }

  /**
   * Write-through: every write up to `settledSeq()` is indexed; that becomes the checkpoint. Back
   * to reading the feed when a write went by unseen. True when the feed must be read now.
   */
  private async advance(): Promise<boolean> {
    if (unseenWrites(this.medic) !== this.unseenAt) {
      this.through = false;
      return true;
    }
    const step = ++this.stepCounter;
    const seq = await settledSeq(this.medic);
    if (seqNumber(seq) > seqNumber(this.seq)) {
      await this.writer.checkpoint(seq, true);
      this.seq = seq;
    }
    this.settle(step);
    return false;
  }

  private isOwn(id: string, rev: string | undefined): boolean {
    const known = this.own.get(id);
    if (known === undefined || rev === undefined) return false;
    if (revNewer(rev, known)) return false;
    this.own.delete(id);
    return true;
  }

  /** Reads the current revisions of these documents and indexes them. */
  private async index(ids: string[]): Promise<void> {
    const res = await this.medic.allDocs({ keys: ids, include_docs: true });
    const inputs: IndexInput[] = [];
    for (const row of res.rows) {
      if (!('value' in row) || !row.value) continue;
      const doc = row.value.deleted ? undefined : (row.doc as unknown as MessageDoc | undefined);
      inputs.push({ id: row.id, rev: row.value.rev, ...(doc ? { doc } : {}) });
    }
    await Promise.all(inputs.map((i) => this.writer.apply(i)));
  }
}

/** No write call was under way from `before` to `after`: every counted write is all there was. */
function isQuiet(before: OwnWriteCount | undefined, after: OwnWriteCount | undefined): boolean {
  return before !== undefined && after !== undefined && before.open === 0 && after.begun === before.begun;
}

/** PouchDB's sequences and a CouchDB with one copy of each shard count the database's updates. */
function countsUpdates(info: PouchDB.Core.DatabaseInfo): boolean {
  const cluster = (info as { cluster?: { n?: number } }).cluster;
  return cluster === undefined || cluster.n === 1;
}

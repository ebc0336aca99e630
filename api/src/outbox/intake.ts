/**
 * The outbox's intake: finds messages ready to go (the live changes feed from the saved checkpoint,
 * plus a sweep over the open-work index on start and every sweep interval) and holds each one until
 * it is due, then wakes the sender. Knows every message it is handling, so none is queued twice.
 */
import { follow, type Follower } from '../../../shared-libs/couch/index.js';
import { isSendable } from '../../../shared-libs/task-utils/index.js';
import type { MessageDoc } from '../../../shared-libs/task-utils/types.js';
import type { DispatchContext, OutboxDeps } from './context.js';
import { Lanes, priorityOf, type Priority } from './lanes.js';
import { IndexBehindError, IndexBuildingError } from '../listings/indexer.js';
import { isIndexable } from './open-work.js';
import { promoteDueScheduled } from './schedules.js';

export interface Entry {
  docId: string;
  uuid: string;
  priority: Priority;
  timer?: NodeJS.Timeout;
  /** When the timer makes it ready. */
  at?: number;
}

/** How long a message first seen on the changes feed waits for this process's write-through. */
const FEED_GRACE_MS = 10;
/** The next sweep, when the message index could not answer this one (first build, feed behind). */
const SWEEP_SOON_MS = 2_000;

export class OutboxIntake {
  private readonly deps: OutboxDeps;
  private readonly now: () => Date;
  private batching = false;
  private woken = false;
  private readonly known = new Map<string, Entry>();
  private readonly ready = new Lanes<string>();
  private feed?: Follower;
  private sweepTimer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private sweepAgain?: Promise<void>;
  /** The last sweep could not read the open work yet: try again soon, not after a whole interval. */
  private sweepSoon = false;
  private unsubscribe?: () => void;

  /** `wake` is called whenever a message becomes ready to claim. */
  constructor(
    private readonly ctx: DispatchContext,
    private readonly wake: () => void,
  ) {
    this.deps = ctx.deps;
    this.now = ctx.now;
  }

  stats(): { known: number; ready: number } {
    return { known: this.known.size, ready: this.ready.size };
  }

  get readyCount(): number {
    return this.ready.size;
  }

  /** Takes up to `n` messages ready to claim: oldest first within a priority lane, lanes by weighted turns. */
  takeReady(n: number): string[] {
    return this.ready.take(n);
  }

  entry(uuid: string): Entry | undefined {
    return this.known.get(uuid);
  }

  start(): void {
    void this.startFeed();
    this.unsubscribe = this.deps.settings.onChange(() => {
      // The sweep interval or the selected service may have changed.
      if (this.sweepTimer) clearTimeout(this.sweepTimer);
      void this.sweep().finally(() => this.scheduleSweep());
    });
  }

  /** Follows the changes feed from the saved checkpoint (or now, on a first start). */
  private async startFeed(): Promise<void> {
    const since = (await this.deps.openWork.checkpoint().catch(() => undefined)) ?? 'now';
    if (!this.ctx.running()) return;
    this.feed = follow(this.deps.db, {
      since,
      include_docs: true,
      onChange: (c) => {
        if (c.doc && !c.deleted) this.observe(c.doc as unknown as MessageDoc, true);
      },
      // One write told as it is made (the embedded store): its messages are all here together.
      onWrite: (changes) =>
        this.inBatch(() => {
          for (const c of changes) if (c.doc && !c.deleted) this.observe(c.doc as unknown as MessageDoc, false);
        }),
      onError: (err, retryInMs) => this.deps.logger.error({ err, retryInMs }, 'outbox changes feed failed; resuming'),
    });
    void this.sweep().finally(() => this.scheduleSweep());
  }

  /** Stops finding work: no more feed, settings changes or scheduled sweeps. */
  stopFinding(): void {
    this.feed?.cancel();
    this.unsubscribe?.();
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
  }

  /** Drops the timers of messages waiting to be due. */
  clearDelays(): void {
    for (const e of this.known.values()) if (e.timer) clearTimeout(e.timer);
  }

  /** The sweep running now, if any, settled whatever its result. */
  sweepSettled(): Promise<void> | undefined {
    return this.sweeping?.catch(() => undefined);
  }

  private scheduleSweep(): void {
    if (!this.ctx.running()) return;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    const interval = this.ctx.policy().sweepIntervalMs;
    this.sweepTimer = setTimeout(
      () => {
        void this.sweep().finally(() => this.scheduleSweep());
      },
      this.sweepSoon ? Math.min(SWEEP_SOON_MS, interval) : interval,
    );
    this.sweepTimer.unref();
  }

  /** Finds work the feed cannot show: messages queued before start, retries, due schedules, abandoned claims. */
  sweep(): Promise<void> {
    // A sweep already running may have read the views before the caller's change: run once more after it.
    if (this.sweeping) {
      this.sweepAgain ??= this.sweeping.then(() => {
        this.sweepAgain = undefined;
        return this.sweep();
      });
      return this.sweepAgain;
    }
    this.sweeping = this.doSweep()
      .catch((err: unknown) => this.deps.logger.error({ err }, 'outbox sweep failed'))
      .finally(() => {
        this.sweeping = undefined;
      });
    return this.sweeping;
  }

  private async doSweep(): Promise<void> {
    // Every change up to here has reached observe(); saved after the sweep so a restart resumes from it.
    const seq = await this.feed?.position();
    this.sweepSoon = false;
    try {
      for await (const docs of this.deps.openWork.pages()) {
        await promoteDueScheduled(docs, this.deps.updater, this.deps.settings.get(), this.now(), this.deps.logger);
        this.inBatch(() => {
          for (const doc of docs) this.consider(doc, false);
        });
      }
    } catch (err) {
      if (!(err instanceof IndexBuildingError || err instanceof IndexBehindError)) throw err;
      // New messages still arrive through the feed meanwhile; the checkpoint waits for a whole sweep.
      this.deps.logger.info({ reason: err.message }, 'outbox sweep waits for the message index');
      this.sweepSoon = true;
      return;
    }
    await this.deps.statusUpdates.sweepParked();
    // Everything up to `seq` is now in the index or handled: a restart may resume from there.
    if (seq !== undefined && seq !== 'now') await this.deps.openWork.saveCheckpoint(seq);
  }

  /** Messages this process just stored: no need to wait for the feed. */
  notify(docs: MessageDoc[]): void {
    this.inBatch(() => {
      for (const doc of docs) this.consider(doc, false);
    });
  }

  /**
   * Messages that become ready together (one POST, one sweep page) wake the sender once, so they
   * are claimed together and recipients of one text can share a request.
   */
  private inBatch(run: () => void): void {
    this.batching = true;
    try {
      run();
    } finally {
      this.batching = false;
      if (this.woken) {
        this.woken = false;
        this.wake();
      }
    }
  }

  private signal(): void {
    if (this.batching) this.woken = true;
    else this.wake();
  }

  /** A changed doc: pick up messages ready to go. */
  private observe(doc: MessageDoc, fromFeed: boolean): void {
    if (isIndexable(doc._id)) this.consider(doc, fromFeed);
  }

  /**
   * Looks at a changed doc for messages ready to go. A message first seen on the changes feed waits
   * FEED_GRACE_MS: when this process wrote it, the write-through (`notify`) follows within
   * milliseconds with the rest of its POST and brings them all forward together, so recipients of
   * one text are claimed together and can share a request.
   */
  private consider(doc: MessageDoc, fromFeed: boolean): void {
    if (!this.ctx.running() || !this.ctx.service()) return;
    const t = this.now().getTime();
    for (const task of [...(doc.tasks ?? []), ...(doc.scheduled_tasks ?? [])]) {
      if (!isSendable(task)) continue;
      // Our own claim coming back through the feed (possibly late, after the result): nothing to do.
      if (task.lease?.owner === this.deps.owner) continue;
      for (const m of task.messages ?? []) {
        if (!m.uuid || !m.to || !m.message) continue;
        const dead = task.lease && this.deps.deadLease?.(task.lease);
        const leaseUntil = task.lease && !dead ? Date.parse(task.lease.until) : 0;
        const nextAt = task.next_attempt_at ? Date.parse(task.next_attempt_at) : 0;
        const at = Math.max(leaseUntil, nextAt);
        const notBefore = at > t ? at : fromFeed && !this.known.has(m.uuid) ? t + FEED_GRACE_MS : undefined;
        this.enqueue(doc._id, m.uuid, priorityOf(task), notBefore);
      }
    }
  }

  private enqueue(docId: string, uuid: string, priority: Priority, notBefore?: number): void {
    const known = this.known.get(uuid);
    if (known) {
      // Waiting for a later time than the doc now says (an operator's retry, here or on another
      // instance): bring it forward. The claim re-checks the fresh doc, so an old copy costs a read.
      if (known.timer && (notBefore ?? 0) < (known.at ?? 0)) {
        clearTimeout(known.timer);
        known.timer = undefined;
        if (notBefore !== undefined) {
          this.delay(known, notBefore);
        } else {
          this.ready.push(uuid, known.priority);
          this.signal();
        }
      }
      return;
    }
    const entry: Entry = { docId, uuid, priority };
    this.known.set(uuid, entry);
    if (notBefore !== undefined) {
      this.delay(entry, notBefore);
    } else {
      this.ready.push(uuid, priority);
      this.signal();
    }
  }

  /** Makes the message ready again at `at` (or forgets it if stopped). */
  delay(entry: Entry, at: number): void {
    if (!this.ctx.running()) {
      this.known.delete(entry.uuid);
      return;
    }
    const wait = Math.max(0, at - this.now().getTime()) + 5;
    entry.at = at;
    entry.timer = setTimeout(
      () => {
        entry.timer = undefined;
        entry.at = undefined;
        this.ready.push(entry.uuid, entry.priority);
        this.wake();
      },
      Math.min(wait, 2 ** 31 - 1),
    );
    entry.timer.unref();
  }

  /** Done with the message here (a later sweep or change may bring it back). */
  forget(uuid: string): void {
    const e = this.known.get(uuid);
    if (e?.timer) clearTimeout(e.timer);
    this.known.delete(uuid);
  }
}

/**
 * The outbox: pending messages are found promptly (live changes feed, plus a sweep on start and
 * every sweep interval), claimed with a lease before the request, sent with bounded concurrency
 * (one request per text, many recipients), and their result recorded right after. Retries back
 * off with jitter; account-level refusals pause the channel (circuit breaker) instead of failing
 * or hammering every queued message. Nothing runs until start().
 */
import type { Logger } from 'pino';
import type { Dispatcher as HttpDispatcher } from 'undici';
import type { Db } from '../../../../shared-libs/couch/index.js';
import { isSendable } from '../../../../shared-libs/task-utils/index.js';
import type { MessageDoc } from '../../../../shared-libs/task-utils/types.js';
import type { ServiceRegistry } from '../../sms/registry.js';
import { SendError, type CredentialReader, type OutboundMessage, type OutgoingService, type SendOutcome } from '../../sms/types.js';
import type { SettingsService } from '../settings.js';
import type { DocUpdater } from './doc-updater.js';
import type { GatewayRefIndex } from './gateway-refs.js';
import { claimMutation, recordMutation, releaseMutation, type ClaimResult, type RecordKind } from './outbox-mutations.js';
import { dispatchPolicy, TokenBucket, type DispatchPolicy } from './policy.js';
import { hasOpenWork, isIndexable, type OpenWorkIndex } from './open-work.js';
import { promoteDueScheduled } from './scheduled.js';
import type { StatusUpdates } from './status-updates.js';
import { Circuit, type ChannelState } from './circuit.js';

export interface DispatchObserver {
  onClaimed?(uuid: string, docId: string): void;
  onSendResult?(serviceId: string, outcome: SendOutcome, ms: number): void;
  onRecorded?(uuid: string, kind: RecordKind): void;
  onChannel?(state: ChannelState): void;
}

export interface DispatcherDeps {
  owner: string;
  db: Db;
  registry: ServiceRegistry;
  settings: SettingsService;
  credentials: CredentialReader;
  updater: DocUpdater;
  refs: GatewayRefIndex;
  statusUpdates: StatusUpdates;
  openWork: OpenWorkIndex;
  http: HttpDispatcher;
  logger: Logger;
  env: { atApiUrl?: string };
  now?: () => Date;
  random?: () => number;
  observer?: DispatchObserver;
}

interface Entry {
  docId: string;
  uuid: string;
  timer?: NodeJS.Timeout;
}

interface Claimed extends OutboundMessage {
  docId: string;
  attempt: number;
}

export class Dispatcher {
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly known = new Map<string, Entry>();
  private ready: string[] = [];
  private sendQueue: Claimed[] = [];
  private claiming = 0;
  private inFlight = 0;
  private running = false;
  private feed?: PouchDB.Core.Changes<object>;
  /** Last changes-feed sequence handled; saved at each sweep so a restart resumes from it. */
  private lastSeq?: string | number;
  private sweepTimer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private sweepAgain?: Promise<void>;
  private readonly circuit: Circuit;
  private bucket?: TokenBucket;
  private rateTimer?: NodeJS.Timeout;
  private idleWaiters: Array<() => void> = [];
  private unsubscribe?: () => void;

  constructor(private readonly deps: DispatcherDeps) {
    this.now = deps.now ?? (() => new Date());
    this.random = deps.random ?? Math.random;
    this.circuit = new Circuit(this.now, deps.logger, (s) => {
      deps.observer?.onChannel?.(s);
      if (s.state !== 'open') this.pump();
    });
  }

  private policy(): DispatchPolicy {
    const sms = this.deps.settings.get().sms;
    return dispatchPolicy(sms?.dispatch, sms?.message_ttl_hours);
  }

  private service(): OutgoingService | undefined {
    const s = this.deps.registry.selected(this.deps.settings.get());
    return s?.mode === 'push' && s.send ? s : undefined;
  }

  channelState(): ChannelState {
    return this.circuit.state();
  }

  stats(): { known: number; ready: number; claimedWaiting: number; inFlight: number } {
    return { known: this.known.size, ready: this.ready.length, claimedWaiting: this.sendQueue.length, inFlight: this.inFlight };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
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
    if (!this.running) return;
    this.feed = this.deps.db
      .changes({ live: true, since, include_docs: true })
      .on('change', (c) => {
        this.lastSeq = c.seq;
        if (c.doc && !c.deleted) this.observe(c.doc as unknown as MessageDoc);
      })
      .on('error', (err) => this.deps.logger.error({ err }, 'dispatcher changes feed failed'));
    void this.sweep().finally(() => this.scheduleSweep());
  }

  /** Stops taking work, then waits for requests in flight to be recorded. */
  async stop(): Promise<void> {
    this.running = false;
    this.feed?.cancel();
    this.unsubscribe?.();
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    if (this.rateTimer) clearTimeout(this.rateTimer);
    this.circuit.dispose();
    for (const e of this.known.values()) if (e.timer) clearTimeout(e.timer);
    await this.sweeping?.catch(() => undefined);
    await this.idle();
    // Claimed but never sent: give them back now rather than after the lease.
    const waiting = this.sendQueue.splice(0);
    await Promise.all(waiting.map((m) => this.deps.updater.update({ docId: m.docId, apply: releaseMutation(m.id, this.deps.owner, m.attempt, this.now().getTime()) }).catch(() => undefined)));
  }

  /** Resolves when nothing is being claimed or sent. */
  idle(): Promise<void> {
    if (this.inFlight === 0 && this.claiming === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private scheduleSweep(): void {
    if (!this.running) return;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = setTimeout(() => {
      void this.sweep().finally(() => this.scheduleSweep());
    }, this.policy().sweepIntervalMs);
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
    const seq = this.lastSeq;
    await this.deps.openWork.buildIfNeeded();
    for await (const docs of this.deps.openWork.pages()) {
      await promoteDueScheduled(docs, this.deps.updater, this.deps.settings.get(), this.now(), this.deps.logger);
      for (const doc of docs) this.consider(doc);
    }
    await this.deps.statusUpdates.sweepParked();
    // Everything up to `seq` is now in the index or handled: a restart may resume from there.
    if (seq !== undefined) await this.deps.openWork.saveCheckpoint(seq);
  }

  /** Messages this process just stored (with their index entries): no need to wait for the feed. */
  notify(docs: MessageDoc[]): void {
    for (const doc of docs) {
      this.deps.openWork.markPresent(doc._id);
      this.consider(doc);
    }
  }

  /** A changed doc: keep the open-work index right, and pick up messages ready to go. */
  private observe(doc: MessageDoc): void {
    if (!isIndexable(doc._id)) return;
    if (hasOpenWork(doc)) {
      this.deps.openWork.ensure(doc._id).catch((err: unknown) => this.deps.logger.error({ err }, 'indexing open work failed'));
    }
    this.consider(doc);
  }

  /** Looks at a changed doc for messages ready to go. */
  private consider(doc: MessageDoc): void {
    if (!this.running || !this.service()) return;
    const t = this.now().getTime();
    for (const task of [...(doc.tasks ?? []), ...(doc.scheduled_tasks ?? [])]) {
      if (!isSendable(task)) continue;
      // Our own claim coming back through the feed (possibly late, after the result): nothing to do.
      if (task.lease?.owner === this.deps.owner) continue;
      for (const m of task.messages ?? []) {
        if (!m.uuid || !m.to || !m.message) continue;
        const leaseUntil = task.lease ? Date.parse(task.lease.until) : 0;
        const nextAt = task.next_attempt_at ? Date.parse(task.next_attempt_at) : 0;
        const at = Math.max(leaseUntil, nextAt);
        this.enqueue(doc._id, m.uuid, at > t ? at : undefined);
      }
    }
  }

  private enqueue(docId: string, uuid: string, notBefore?: number): void {
    if (this.known.has(uuid)) return;
    const entry: Entry = { docId, uuid };
    this.known.set(uuid, entry);
    if (notBefore !== undefined) {
      this.delay(entry, notBefore);
    } else {
      this.ready.push(uuid);
      this.pump();
    }
  }

  private delay(entry: Entry, at: number): void {
    if (!this.running) {
      this.known.delete(entry.uuid);
      return;
    }
    const wait = Math.max(0, at - this.now().getTime()) + 5;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      this.ready.push(entry.uuid);
      this.pump();
    }, Math.min(wait, 2 ** 31 - 1));
    entry.timer.unref();
  }

  private forget(uuid: string): void {
    const e = this.known.get(uuid);
    if (e?.timer) clearTimeout(e.timer);
    this.known.delete(uuid);
  }

  /** Moves work along: claims while there is room, sends while there are free slots. */
  private pump(): void {
    if (!this.running) return;
    const service = this.service();
    if (!service) return;
    const policy = this.policy();
    const gate = this.circuit.allow();
    if (gate === 'blocked') return;
    const claimRoom = policy.concurrency * 4 - this.sendQueue.length;
    if (gate === 'go' && this.claiming === 0 && this.ready.length > 0 && claimRoom > 0) {
      const uuids = this.ready.splice(0, Math.min(claimRoom, 256));
      void this.claim(uuids, policy);
    } else if (gate === 'probe' && this.claiming === 0 && this.inFlight === 0 && this.sendQueue.length === 0 && this.ready.length > 0) {
      void this.claim(this.ready.splice(0, 1), policy);
    }
    while (this.inFlight < (gate === 'probe' ? 1 : policy.concurrency) && this.sendQueue.length > 0) {
      const wait = this.rateWait(policy, 1);
      if (wait > 0) {
        if (!this.rateTimer) {
          this.rateTimer = setTimeout(() => {
            this.rateTimer = undefined;
            this.pump();
          }, wait);
        }
        return;
      }
      const group = this.takeGroup(gate === 'probe' ? 1 : Math.min(policy.groupRecipients, service.maxBatch ?? 1), policy);
      void this.send(service, group, policy);
    }
  }

  private rateWait(policy: DispatchPolicy, n: number): number {
    if (!policy.ratePerSecond) return 0;
    if (!this.bucket) this.bucket = new TokenBucket(policy.ratePerSecond, () => this.now().getTime());
    this.bucket.setRate(policy.ratePerSecond);
    return this.bucket.take(n);
  }

  /** The head of the queue plus queued messages with the same text for other numbers. */
  private takeGroup(max: number, policy: DispatchPolicy): Claimed[] {
    const head = this.sendQueue.shift() as Claimed;
    const group = [head];
    if (max > 1) {
      const numbers = new Set([head.to]);
      const limit = policy.ratePerSecond ? Math.max(1, Math.floor(policy.ratePerSecond)) : max;
      for (let i = 0; i < this.sendQueue.length && group.length < Math.min(max, limit); ) {
        const m = this.sendQueue[i] as Claimed;
        if (m.content === head.content && !numbers.has(m.to)) {
          group.push(m);
          numbers.add(m.to);
          this.sendQueue.splice(i, 1);
        } else {
          i++;
        }
      }
      if (group.length > 1) this.rateWait(policy, group.length - 1);
    }
    return group;
  }

  private async claim(uuids: string[], policy: DispatchPolicy): Promise<void> {
    this.claiming++;
    try {
      const now = this.now();
      await Promise.all(
        uuids.map(async (uuid) => {
          const entry = this.known.get(uuid);
          if (!entry) return;
          const out: { result: ClaimResult } = { result: { kind: 'not-sendable' } };
          try {
            await this.deps.updater.update({ docId: entry.docId, apply: claimMutation(uuid, this.deps.owner, policy, now, out) });
          } catch (err) {
            this.deps.logger.error({ err, uuid }, 'claim failed; will retry on the next sweep');
            this.forget(uuid);
            return;
          }
          const r = out.result;
          if (r.kind === 'claimed') {
            this.deps.observer?.onClaimed?.(uuid, entry.docId);
            this.sendQueue.push({ id: uuid, docId: entry.docId, to: r.to, content: r.content, attempt: r.attempt });
          } else if (r.kind === 'held') {
            this.delay(entry, r.until);
          } else if (r.kind === 'not-due') {
            this.delay(entry, r.at);
          } else {
            if (r.kind === 'expired') this.deps.observer?.onRecorded?.(uuid, 'failed');
            this.forget(uuid);
            void this.deps.openWork.remove(entry.docId).catch(() => undefined);
          }
        }),
      );
    } finally {
      this.claiming--;
      this.settle();
      this.pump();
    }
  }

  private async send(service: OutgoingService, group: Claimed[], policy: DispatchPolicy): Promise<void> {
    this.inFlight++;
    const started = Date.now();
    const outcomes = await this.callService(service, group, policy);
    const ms = Date.now() - started;
    try {
      await this.record(service, group, outcomes, policy, ms);
    } catch (err) {
      this.deps.logger.error({ err }, 'recording send results failed; leases will expire and the sweep retries');
    } finally {
      this.inFlight--;
      this.settle();
      this.pump();
    }
  }

  /** One outcome per message, whatever goes wrong: the service's own, or a classified failure. */
  private async callService(service: OutgoingService, group: Claimed[], policy: DispatchPolicy): Promise<SendOutcome[]> {
    const failAll = (error: SendError): SendOutcome[] => group.map((m) => ({ id: m.id, ok: false as const, error }));
    let settings: unknown;
    try {
      settings = service.parseSettings(this.deps.settings.get().sms);
    } catch (err) {
      // A settings problem (e.g. no username) refuses the whole channel, like a bad key.
      return failAll(new SendError('account', 'configuration', err instanceof Error ? err.message : String(err)));
    }
    try {
      return await (service.send as NonNullable<OutgoingService['send']>)(
        group.map(({ id, to, content }) => ({ id, to, content })),
        {
          settings,
          credentials: this.deps.credentials,
          http: this.deps.http,
          logger: this.deps.logger,
          now: this.now,
          timeoutMs: policy.requestTimeoutMs,
          env: this.deps.env,
        },
      );
    } catch (err) {
      // The service broke its promise not to throw: treat it as transient for these messages.
      this.deps.logger.error({ err, service: service.id }, 'outgoing service threw; messages will be retried');
      return failAll(new SendError('retryable', 'service_error', err instanceof Error ? err.message : String(err)));
    }
  }

  private async record(service: OutgoingService, group: Claimed[], outcomes: SendOutcome[], policy: DispatchPolicy, ms: number): Promise<void> {
    const byId = new Map(outcomes.map((o) => [o.id, o]));
    const account = outcomes.find((o) => !o.ok && o.error.kind === 'account');
    const anyOk = outcomes.some((o) => o.ok);
    let pausedUntil: number | undefined;
    if (account && !account.ok) {
      pausedUntil = this.circuit.open(account.error.code, account.error.message, policy);
      await this.releaseWaiting(pausedUntil);
    } else if (anyOk || outcomes.length > 0) {
      this.circuit.success();
    }
    // Index the provider references first, so a delivery report arriving now finds its message.
    const refs = group
      .map((m) => ({ m, o: byId.get(m.id) }))
      .filter((x): x is { m: Claimed; o: Extract<SendOutcome, { ok: true }> } => !!x.o?.ok && !!x.o.gatewayRef)
      .map(({ m, o }) => ({ ref: o.gatewayRef as string, docId: m.docId, uuid: m.id }));
    await this.deps.refs.record(refs, this.now());
    const now = this.now();
    await Promise.all(
      group.map(async (m) => {
        const outcome = byId.get(m.id);
        if (!outcome) return;
        this.deps.observer?.onSendResult?.(service.id, outcome, ms);
        const out: { kind: RecordKind; nextAt?: number } = { kind: 'stale' };
        const mutate = recordMutation(m.id, this.deps.owner, m.attempt, outcome, policy, now, this.random, out, pausedUntil);
        let open = true;
        await this.deps.updater.update({
          docId: m.docId,
          apply: (doc) => {
            const changed = mutate(doc);
            open = hasOpenWork(doc);
            return changed;
          },
        });
        if (!open) void this.deps.openWork.remove(m.docId).catch(() => undefined);
        this.deps.observer?.onRecorded?.(m.id, out.kind);
        const entry = this.known.get(m.id);
        if (entry && out.nextAt !== undefined && (out.kind === 'retry' || out.kind === 'paused')) {
          this.delay(entry, out.nextAt);
        } else {
          this.forget(m.id);
        }
      }),
    );
    if (refs.length > 0) await this.deps.statusUpdates.resolveParked(refs.map((r) => r.ref));
  }

  /** Channel paused: messages claimed but not yet sent go back without spending an attempt. */
  private async releaseWaiting(until: number): Promise<void> {
    const waiting = this.sendQueue.splice(0);
    await Promise.all(
      waiting.map(async (m) => {
        await this.deps.updater.update({ docId: m.docId, apply: releaseMutation(m.id, this.deps.owner, m.attempt, until) }).catch(() => undefined);
        const entry = this.known.get(m.id);
        if (entry) this.delay(entry, until);
      }),
    );
  }

  private settle(): void {
    if (this.inFlight === 0 && this.claiming === 0) {
      const waiters = this.idleWaiters.splice(0);
      for (const w of waiters) w();
    }
  }
}

/**
 * The outbox's sender: claims ready messages with a lease before the request, sends them with
 * bounded concurrency and rate (one request per text, many recipients), and records each result
 * right after. Account-level refusals open the circuit and give back what was claimed but unsent.
 */
import type { TextDescription } from '../../../shared-libs/message-utils/index.js';
import { isFinalState } from '../../../shared-libs/task-utils/index.js';
import { failAll, SendError, type OutboundMessage, type OutgoingService, type SendOutcome } from '../sms/types.js';
import { Circuit, type ChannelState } from './circuit.js';
import type { DispatchContext, OutboxDeps } from './context.js';
import { describeForSending, noteSentMutation } from './encoding.js';
import { Lanes, type Priority } from './lanes.js';
import { claimMutation, recordMutation, releaseMutation, type ClaimResult, type RecordKind } from './mutations.js';
import type { OutboxIntake } from './intake.js';
import { TokenBucket, type DispatchPolicy } from './policy.js';
import { serviceSettings } from '../sms/service-settings.js';

interface Claimed extends OutboundMessage {
  docId: string;
  attempt: number;
  priority: Priority;
  /** What goes to the provider (smart encoding applied), set just before sending. */
  sent?: TextDescription;
}

/** A message the provider accepted, with the reference its reports will carry. */
interface SentRef {
  ref: string;
  docId: string;
  uuid: string;
}

function sentRefs(group: Claimed[], outcomes: SendOutcome[]): SentRef[] {
  const refOf = new Map(outcomes.flatMap((o) => (o.ok && o.gatewayRef ? [[o.id, o.gatewayRef] as const] : [])));
  return group.flatMap((m) => {
    const ref = refOf.get(m.id);
    return ref ? [{ ref, docId: m.docId, uuid: m.id }] : [];
  });
}

export class OutboxSender {
  private readonly deps: OutboxDeps;
  private readonly now: () => Date;
  private readonly sendQueue = new Lanes<Claimed>();
  private claiming = 0;
  /** Messages in claims not yet answered by the store. */
  private claimingMessages = 0;
  private inFlight = 0;
  private readonly circuit: Circuit;
  private bucket?: TokenBucket;
  private rateTimer?: NodeJS.Timeout;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly ctx: DispatchContext,
    private readonly queue: OutboxIntake,
  ) {
    this.deps = ctx.deps;
    this.now = ctx.now;
    this.circuit = new Circuit(
      this.now,
      this.deps.logger,
      (s) => {
        this.deps.observer?.onChannel?.(s);
        if (s.state !== 'open') this.pump();
      },
      this.deps.reopenGate,
    );
  }

  channelState(): ChannelState {
    return this.circuit.state();
  }

  stats(): { claimedWaiting: number; inFlight: number } {
    return { claimedWaiting: this.sendQueue.size, inFlight: this.inFlight };
  }

  /** Stops the timers that would move work along. */
  halt(): void {
    if (this.rateTimer) clearTimeout(this.rateTimer);
    this.circuit.dispose();
  }

  /** Claimed but never sent: give them back now rather than after the lease. */
  releaseClaimed(): Promise<unknown> {
    const waiting = this.sendQueue.drain();
    return Promise.all(
      waiting.map((m) =>
        this.deps.updater
          .update({ docId: m.docId, apply: releaseMutation(m.id, this.deps.owner, m.attempt, this.now().getTime()) })
          .catch(() => undefined),
      ),
    );
  }

  /** Resolves when nothing is being claimed or sent. */
  idle(): Promise<void> {
    if (this.inFlight === 0 && this.claiming === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Moves work along: claims while there is room, sends while there are free slots. */
  pump(): void {
    if (!this.ctx.running()) return;
    if (this.ctx.paused()) {
      this.releaseForPause();
      return;
    }
    const service = this.ctx.service();
    if (!service) return;
    const policy = this.ctx.policy();
    const gate = this.circuit.allow();
    if (gate === 'blocked') return;
    // Claim only what the free slots will send now: after a crash, every claim is a request that
    // may have reached the provider, and nothing else waits out a lease.
    const perRequest = Math.max(1, Math.min(policy.groupRecipients, service.maxBatch ?? 1));
    // Claims overlap (a slot freed while another claim is in the store starts its own), so slow
    // stores do not serialise sending.
    const claimRoom = (policy.concurrency - this.inFlight) * perRequest - this.sendQueue.size - this.claimingMessages;
    if (gate === 'go' && this.queue.readyCount > 0 && claimRoom > 0) {
      const uuids = this.queue.takeReady(Math.min(claimRoom, 256));
      void this.claim(uuids, policy);
    } else if (
      gate === 'probe' &&
      this.claiming === 0 &&
      this.inFlight === 0 &&
      this.sendQueue.size === 0 &&
      this.queue.readyCount > 0
    ) {
      void this.claim(this.queue.takeReady(1), policy);
    }
    while (this.inFlight < (gate === 'probe' ? 1 : policy.concurrency) && this.sendQueue.size > 0) {
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
      const group = this.takeGroup(
        gate === 'probe' ? 1 : Math.min(policy.groupRecipients, service.maxBatch ?? 1),
        policy,
      );
      void this.send(service, group, policy);
    }
  }

  private rateWait(policy: DispatchPolicy, n: number): number {
    if (!policy.ratePerSecond) return 0;
    if (!this.bucket) this.bucket = new TokenBucket(policy.ratePerSecond, () => this.now().getTime());
    this.bucket.setRate(policy.ratePerSecond);
    return this.bucket.take(n);
  }

  /** The next message by priority plus queued messages with the same text for other numbers. */
  private takeGroup(max: number, policy: DispatchPolicy): Claimed[] {
    const head = this.sendQueue.shift() as Claimed;
    const group = [head];
    if (max > 1) {
      const numbers = new Set([head.to]);
      const limit = policy.ratePerSecond ? Math.max(1, Math.floor(policy.ratePerSecond)) : max;
      const mates = this.sendQueue.extract(
        (m) => {
          if (m.content !== head.content || numbers.has(m.to)) return false;
          numbers.add(m.to);
          return true;
        },
        Math.min(max, limit) - 1,
      );
      group.push(...mates);
      if (group.length > 1) this.rateWait(policy, group.length - 1);
    }
    return group;
  }

  private async claim(uuids: string[], policy: DispatchPolicy): Promise<void> {
    this.claiming++;
    this.claimingMessages += uuids.length;
    // Pushed together once the whole claim is answered, so recipients of one text claimed together
    // leave in one request rather than racing each other into separate ones.
    const claimed: Claimed[] = [];
    try {
      const now = this.now();
      await Promise.all(
        uuids.map(async (uuid) => {
          const entry = this.queue.entry(uuid);
          if (!entry) return;
          const out: { result: ClaimResult } = { result: { kind: 'not-sendable' } };
          try {
            await this.deps.updater.update({
              docId: entry.docId,
              apply: claimMutation(uuid, this.deps.owner, policy, now, out, this.deps.deadLease),
            });
          } catch (err) {
            this.deps.logger.error({ err, uuid }, 'claim failed; will retry on the next sweep');
            this.queue.forget(uuid);
            return;
          }
          const r = out.result;
          if (r.kind === 'claimed') {
            this.deps.observer?.onClaimed?.(uuid, entry.docId);
            const { to, content, attempt } = r;
            const { docId, priority } = entry;
            claimed.push({ id: uuid, docId, to, content, attempt, priority });
          } else if (r.kind === 'held') {
            this.queue.delay(entry, r.until);
          } else if (r.kind === 'not-due') {
            this.queue.delay(entry, r.at);
          } else {
            if (r.kind === 'expired') this.deps.observer?.onRecorded?.(uuid, 'failed');
            this.queue.forget(uuid);
          }
        }),
      );
    } finally {
      for (const m of claimed) this.sendQueue.push(m, m.priority);
      this.claiming--;
      this.claimingMessages -= uuids.length;
      this.settle();
      this.pump();
    }
  }

  private async send(service: OutgoingService, group: Claimed[], policy: DispatchPolicy): Promise<void> {
    this.inFlight++;
    const started = Date.now();
    const screened = await this.screen(group);
    const refused = new Set(screened.map((o) => o.id));
    const allowed = group.filter((m) => !refused.has(m.id));
    const sent = describeForSending(group[0]?.content ?? '', this.deps.settings.get());
    for (const m of allowed) m.sent = sent;
    const outcomes = allowed.length > 0 ? await this.callService(service, allowed, policy) : [];
    const ms = Date.now() - started;
    const refs = sentRefs(group, outcomes);
    // A delivery report that beats the result write waits for it rather than being parked (a
    // report from another instance is parked, and applied once the result is stored).
    const stored = this.deps.statusUpdates.resultsComing(refs.map((r) => r.ref));
    try {
      await this.record(service, group, outcomes, refs, policy, ms, screened);
    } catch (err) {
      this.deps.logger.error({ err }, 'recording send results failed; leases will expire and the sweep retries');
    } finally {
      stored();
      this.inFlight--;
      this.settle();
      this.pump();
    }
  }

  /** One outcome per message, whatever goes wrong: the service's own, or a classified failure. */
  private async callService(
    service: OutgoingService,
    group: Claimed[],
    policy: DispatchPolicy,
  ): Promise<SendOutcome[]> {
    let settings: unknown;
    try {
      settings = serviceSettings(service, this.deps.settings.get().sms);
    } catch (err) {
      // A settings problem (e.g. no username) refuses the whole channel, like a bad key.
      return failAll(
        group,
        new SendError('account', 'configuration', err instanceof Error ? err.message : String(err)),
      );
    }
    try {
      return await (service.send as NonNullable<OutgoingService['send']>)(
        group.map(({ id, to, content, sent }) => ({ id, to, content: sent?.sent_text ?? content })),
        {
          settings,
          credentials: this.deps.credentials,
          http: this.deps.http,
          logger: this.deps.logger,
          now: this.now,
          timeoutMs: policy.requestTimeoutMs,
          env: this.deps.serviceEnv(service),
        },
      );
    } catch (err) {
      // The service broke its promise not to throw: treat it as transient for these messages.
      this.deps.logger.error({ err, service: service.id }, 'outgoing service threw; messages will be retried');
      return failAll(
        group,
        new SendError('retryable', 'service_error', err instanceof Error ? err.message : String(err)),
      );
    }
  }

  /**
   * Messages the core's last check refuses (the recipient opted out): final outcomes, no request.
   * A failing check holds the group back (retried) rather than risk sending to an opted-out number.
   */
  private async screen(group: Claimed[]): Promise<SendOutcome[]> {
    if (!this.deps.screen) return [];
    try {
      const refused = await this.deps.screen(group);
      return group.flatMap((m) => {
        const details = refused.get(m.id);
        if (!details) return [];
        return [{ id: m.id, ok: false as const, error: new SendError('final', 'opted_out', details, 'denied') }];
      });
    } catch (err) {
      this.deps.logger.error({ err }, 'checking recipients before sending failed; the messages will be retried');
      const error = new SendError('retryable', 'screen_failed', 'Could not check the opt-out list before sending');
      return group.map((m) => ({ id: m.id, ok: false as const, error }));
    }
  }

  private async record(
    service: OutgoingService,
    group: Claimed[],
    outcomes: SendOutcome[],
    refs: SentRef[],
    policy: DispatchPolicy,
    ms: number,
    screened: SendOutcome[] = [],
  ): Promise<void> {
    // Screened messages never reached the provider: they say nothing about the channel.
    const byId = new Map([...screened, ...outcomes].map((o) => [o.id, o]));
    const account = outcomes.find((o) => !o.ok && o.error.kind === 'account');
    const anyOk = outcomes.some((o) => o.ok);
    let pausedUntil: number | undefined;
    if (account && !account.ok) {
      pausedUntil = this.circuit.open(account.error.code, account.error.message, policy);
      await this.releaseWaiting(pausedUntil);
    } else if (anyOk || outcomes.length > 0) {
      this.circuit.success();
    }
    if (service.pollsStatus && this.deps.awaiting) {
      const open = refs.filter((r) => !isFinalState((byId.get(r.uuid) as Extract<SendOutcome, { ok: true }>).state));
      await this.deps.awaiting.record(service.id, open, this.now());
    }
    const now = this.now();
    await Promise.all(
      group.map(async (m) => {
        const outcome = byId.get(m.id);
        if (!outcome) return;
        this.deps.observer?.onSendResult?.(service.id, outcome, ms, m);
        const out: { kind: RecordKind; nextAt?: number } = { kind: 'stale' };
        const mutate = recordMutation(
          m.id,
          this.deps.owner,
          m.attempt,
          outcome,
          policy,
          now,
          this.ctx.random,
          out,
          pausedUntil,
        );
        await this.deps.updater.update({
          docId: m.docId,
          apply: (doc) => {
            const changed = mutate(doc);
            const noted = out.kind === 'accepted' && !!m.sent && noteSentMutation(m.id, m.sent, outcome)(doc);
            return changed || noted;
          },
        });
        this.deps.observer?.onRecorded?.(m.id, out.kind);
        const entry = this.queue.entry(m.id);
        if (entry && out.nextAt !== undefined && (out.kind === 'retry' || out.kind === 'paused')) {
          this.queue.delay(entry, out.nextAt);
        } else {
          this.queue.forget(m.id);
        }
      }),
    );
    if (refs.length > 0) await this.deps.statusUpdates.resolveParked(refs.map((r) => r.ref));
  }

  /**
   * An operator paused sending: what is claimed but not sent goes back at once, without spending an
   * attempt, and waits in the intake (requests already in flight finish and are recorded).
   */
  private releaseForPause(): void {
    if (this.sendQueue.size === 0) return;
    const waiting = this.sendQueue.drain();
    const now = this.now().getTime();
    this.claiming++;
    void Promise.all(
      waiting.map(async (m) => {
        const release = releaseMutation(m.id, this.deps.owner, m.attempt, now);
        await this.deps.updater.update({ docId: m.docId, apply: release }).catch(() => undefined);
        const entry = this.queue.entry(m.id);
        if (entry) this.queue.delay(entry, now);
      }),
    ).finally(() => {
      this.claiming--;
      this.settle();
      this.pump();
    });
  }

  /** Channel paused: messages claimed but not yet sent go back without spending an attempt. */
  private async releaseWaiting(until: number): Promise<void> {
    const waiting = this.sendQueue.drain();
    await Promise.all(
      waiting.map(async (m) => {
        await this.deps.updater
          .update({ docId: m.docId, apply: releaseMutation(m.id, this.deps.owner, m.attempt, until) })
          .catch(() => undefined);
        const entry = this.queue.entry(m.id);
        if (entry) this.queue.delay(entry, until);
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

/**
 * The outbox: pending messages are found promptly (live changes feed, plus a sweep on start and
 * every sweep interval), claimed with a lease before the request, sent with bounded concurrency
 * (one request per text, many recipients), and their result recorded right after. Retries back
 * off with jitter; account-level refusals pause the channel (circuit breaker) instead of failing
 * or hammering every queued message. Nothing runs until start().
 *
 * This is the facade: finding work and holding it until due is the OutboxIntake's job
 * (intake.ts); claiming, sending and recording is the OutboxSender's (sender.ts).
 */
import type { MessageDoc } from '../../../shared-libs/task-utils/types.js';
import type { OutgoingService } from '../sms/types.js';
import type { ChannelState } from './circuit.js';
import type { DispatchContext, OutboxDeps } from './context.js';
import { OutboxIntake } from './intake.js';
import { OutboxSender } from './sender.js';
import { dispatchPolicy, type DispatchPolicy } from './policy.js';

export class Outbox {
  private running = false;
  private readonly queue: OutboxIntake;
  private readonly sender: OutboxSender;
  private unsubscribeSwitch?: () => void;

  constructor(private readonly deps: OutboxDeps) {
    const ctx: DispatchContext = {
      deps,
      now: deps.now ?? (() => new Date()),
      random: deps.random ?? Math.random,
      running: () => this.running,
      paused: () => deps.channelSwitch?.get().paused ?? false,
      policy: () => this.policy(),
      service: () => this.service(),
    };
    this.queue = new OutboxIntake(ctx, () => this.sender.pump());
    this.sender = new OutboxSender(ctx, this.queue);
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
    return this.sender.channelState();
  }

  stats(): { known: number; ready: number; claimedWaiting: number; inFlight: number } {
    return { ...this.queue.stats(), ...this.sender.stats() };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    // Pausing gives back what is claimed but unsent; resuming sends what waited. Both are a pump.
    this.unsubscribeSwitch = this.deps.channelSwitch?.onChange(() => this.sender.pump());
    this.queue.start();
  }

  /** Stops taking work, then waits for requests in flight to be recorded. */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribeSwitch?.();
    this.queue.stopFinding();
    this.sender.halt();
    this.queue.clearDelays();
    await this.queue.sweepSettled();
    await this.idle();
    await this.sender.releaseClaimed();
  }

  /** Resolves when nothing is being claimed or sent. */
  idle(): Promise<void> {
    return this.sender.idle();
  }

  /** Finds work the feed cannot show: messages queued before start, retries, due schedules, abandoned claims. */
  sweep(): Promise<void> {
    return this.queue.sweep();
  }

  /** Messages this process just stored (with their index entries): no need to wait for the feed. */
  notify(docs: MessageDoc[]): void {
    this.queue.notify(docs);
  }
}

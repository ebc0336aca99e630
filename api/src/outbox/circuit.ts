/**
 * The channel's circuit breaker. An account-level refusal (bad API key, no credit, sender id
 * not allowed) opens it: nothing is sent until the pause ends, then one message probes. Success
 * closes it; another refusal reopens it for twice as long, up to a cap. With a reopen gate, the
 * end of a pause first asks the service whether probing makes sense (no credit yet: stay paused
 * for another pause, without spending a message on a refusal known in advance).
 */
import type { Logger } from 'pino';
import type { ResumeDecision } from '../sms/types.js';
import type { DispatchPolicy } from './policy.js';

export type ReopenGate = (state: ChannelState) => Promise<ResumeDecision>;

export interface ChannelState {
  state: 'closed' | 'open' | 'half-open';
  code?: string;
  reason?: string;
  since?: string;
  until?: string;
  /** Times the channel was paused since the last success. */
  pauses: number;
  /** Why the pause was extended past its end (the reopen gate's answer). */
  held?: string;
}

export class Circuit {
  private s: ChannelState = { state: 'closed', pauses: 0 };
  private pauseMs = 0;
  private timer?: NodeJS.Timeout;
  private asking = false;

  constructor(
    private readonly now: () => Date,
    private readonly logger: Logger,
    private readonly onChange: (s: ChannelState) => void,
    private readonly gate?: ReopenGate,
  ) {}

  state(): ChannelState {
    return { ...this.s };
  }

  /** go: send freely; probe: one message to test the channel; blocked: paused. */
  allow(): 'go' | 'probe' | 'blocked' {
    if (this.s.state === 'closed') return 'go';
    if (this.s.state === 'open' && this.s.until && Date.parse(this.s.until) <= this.now().getTime()) {
      if (this.gate) {
        this.askGate(this.gate);
        return 'blocked';
      }
      this.s = { ...this.s, state: 'half-open' };
      this.onChange(this.state());
    }
    return this.s.state === 'half-open' ? 'probe' : 'blocked';
  }

  /** Opens (or reopens) the circuit; returns when it will probe again. */
  open(code: string, reason: string, policy: DispatchPolicy): number {
    // Other requests already in flight may come back refused too: one pause, not one doubling each.
    const current = this.s.until ? Date.parse(this.s.until) : 0;
    if (this.s.state === 'open' && current > this.now().getTime()) return current;
    this.pauseMs =
      this.s.state === 'closed'
        ? policy.pauseMs
        : Math.min(policy.pauseMaxMs, Math.max(policy.pauseMs, this.pauseMs * 2));
    const now = this.now().getTime();
    const until = now + this.pauseMs;
    this.s = {
      state: 'open',
      code,
      reason,
      since: this.s.since ?? new Date(now).toISOString(),
      until: new Date(until).toISOString(),
      pauses: this.s.pauses + 1,
    };
    this.logger.warn({ code, reason, until: this.s.until }, 'SMS channel paused after an account-level refusal');
    this.wakeAfter(this.pauseMs);
    this.onChange(this.state());
    return until;
  }

  private wakeAfter(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.allow();
    }, ms + 5);
    this.timer.unref();
  }

  /** The pause is over: probe only if the gate agrees (a gate that fails says yes: the probe decides). */
  private askGate(gate: ReopenGate): void {
    if (this.asking) return;
    this.asking = true;
    const asked = this.state();
    void gate(asked)
      .catch((err: unknown): ResumeDecision => {
        this.logger.warn({ err, code: asked.code }, 'could not ask whether the SMS channel may resume; probing');
        return { resume: true };
      })
      .then((decision) => {
        this.asking = false;
        // Reopened or closed meanwhile: this answer is about a pause that is gone.
        if (this.s.state !== 'open' || this.s.until !== asked.until) return;
        if (decision.resume) {
          const { held: _done, ...rest } = this.s;
          this.s = { ...rest, state: 'half-open' };
        } else {
          this.hold(decision.reason ?? 'the service says the account cannot send yet');
        }
        this.onChange(this.state());
      });
  }

  private hold(reason: string): void {
    if (this.s.held !== reason) this.logger.warn({ code: this.s.code, held: reason }, 'SMS channel stays paused');
    const until = this.now().getTime() + Math.max(this.pauseMs, 1);
    this.s = { ...this.s, until: new Date(until).toISOString(), held: reason };
    this.wakeAfter(until - this.now().getTime());
  }

  /** A request succeeded. Only the probe closes the circuit: a success from a request that
   * started before the pause says nothing about the account now. */
  success(): void {
    if (this.s.state !== 'half-open') return;
    this.logger.info({ code: this.s.code }, 'SMS channel resumed');
    this.s = { state: 'closed', pauses: 0 };
    this.pauseMs = 0;
    this.onChange(this.state());
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

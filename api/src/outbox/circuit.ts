/**
 * The channel's circuit breaker. An account-level refusal (bad API key, no credit, sender id
 * not allowed) opens it: nothing is sent until the pause ends, then one message probes. Success
 * closes it; another refusal reopens it for twice as long, up to a cap.
 */
import type { Logger } from 'pino';
import type { DispatchPolicy } from './policy.js';

export interface ChannelState {
  state: 'closed' | 'open' | 'half-open';
  code?: string;
  reason?: string;
  since?: string;
  until?: string;
  /** Times the channel was paused since the last success. */
  pauses: number;
}

export class Circuit {
  private s: ChannelState = { state: 'closed', pauses: 0 };
  private pauseMs = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly now: () => Date,
    private readonly logger: Logger,
    private readonly onChange: (s: ChannelState) => void,
  ) {}

  state(): ChannelState {
    return { ...this.s };
  }

  /** go: send freely; probe: one message to test the channel; blocked: paused. */
  allow(): 'go' | 'probe' | 'blocked' {
    if (this.s.state === 'closed') return 'go';
    if (this.s.state === 'open' && this.s.until && Date.parse(this.s.until) <= this.now().getTime()) {
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
    this.pauseMs = this.s.state === 'closed' ? policy.pauseMs : Math.min(policy.pauseMaxMs, Math.max(policy.pauseMs, this.pauseMs * 2));
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
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.allow();
    }, this.pauseMs + 5);
    this.timer.unref();
    this.onChange(this.state());
    return until;
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

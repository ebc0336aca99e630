/**
 * The provider account's balance as the selected service last read it (its balance job, or the
 * check before a paused channel resumes): shown in /api/v2/monitoring and /metrics, and logged
 * once each time it crosses the low-balance threshold, not at every check.
 */
import type { Logger } from 'pino';
import type { BalanceReport } from '../sms/types.js';

export interface BalanceFigure {
  amount: number;
  currency: string;
  checked_at: string;
  low: boolean;
}

export class BalanceWatch {
  private last?: BalanceFigure & { service: string };

  constructor(
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  report(service: string, balance: BalanceReport): void {
    const before = this.last;
    this.last = {
      service,
      amount: balance.amount,
      currency: balance.currency,
      checked_at: this.now().toISOString(),
      low: balance.low,
    };
    const crossed = before === undefined || before.service !== service ? balance.low : before.low !== balance.low;
    if (!crossed) return;
    const fields = { service, amount: balance.amount, currency: balance.currency, threshold: balance.threshold };
    if (balance.low) this.logger.warn(fields, 'SMS account balance is at or below the low-balance threshold');
    else this.logger.info(fields, 'SMS account balance is above the low-balance threshold again');
  }

  /** The last balance read, or null before the first check. */
  figure(): BalanceFigure | null {
    if (!this.last) return null;
    const { service: _service, ...figure } = this.last;
    return figure;
  }
}

/**
 * Delivery reports (https://developers.africastalking.com/docs/sms/notifications): one sequence per accepted
 * recipient, posted to `dlrUrl`, with duplicate and out-of-order modes (AT promises no order), and
 * re-posting of unacknowledged callbacks as AT does
 * (https://github.com/AfricasTalkingLtd/africastalking-node.js/issues/8; no schedule is published,
 * we use 3 retries 200 ms apart).
 */
import { CallbackPoster, isAcknowledged } from './callbacks.js';
import { sleep } from './http-io.js';
import type { ReportStep } from './outcomes.js';
import type { SimulatorState } from './state.js';

const RETRIES = 3;
const RETRY_DELAY_MS = 200;
/** Athena, the sandbox network in AT's list of network codes. */
export const SANDBOX_NETWORK_CODE = '99999';

export interface ReportJob {
  id: string;
  phoneNumber: string;
  plan: ReportStep[];
}

export class DeliveryReporter {
  private pending = 0;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly state: SimulatorState,
    private readonly poster: CallbackPoster,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Posts the report sequences of `jobs`; the promise settles when all were answered (or given
   * up). Each message's reports go out one after the other so their order at the receiver is the
   * order chosen here; different messages run concurrently.
   */
  run(jobs: ReportJob[]): Promise<void> {
    const { dlrUrl, reportDelayMs, reports } = this.state.cfg;
    if (!dlrUrl || !reports.enabled || jobs.length === 0) return Promise.resolve();
    const signal = this.state.generationSignal;
    this.pending += jobs.length;
    const one = async (job: ReportJob): Promise<void> => {
      try {
        for (const step of order(job.plan, reports.outOfOrder, reports.duplicate)) {
          if (!(await sleep(reportDelayMs, signal))) return;
          await this.postWithRetry(dlrUrl, job, step, signal);
        }
      } finally {
        this.done();
      }
    };
    return Promise.all(jobs.map(one)).then(() => undefined);
  }

  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private done(): void {
    this.pending -= 1;
    if (this.pending > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private async postWithRetry(url: string, job: ReportJob, step: ReportStep, signal: AbortSignal): Promise<void> {
    const fields: Record<string, string> = {
      id: job.id,
      status: step.status,
      phoneNumber: job.phoneNumber,
      networkCode: SANDBOX_NETWORK_CODE,
      retryCount: '0',
    };
    // failureReason is "only provided if status is Rejected or Failed" (AT notifications docs).
    if (step.failureReason) fields.failureReason = step.failureReason;
    for (let attempt = 1; attempt <= RETRIES + 1; attempt++) {
      if (attempt > 1 && !(await sleep(RETRY_DELAY_MS, signal))) return;
      const outcome = await this.poster.post(url, fields, signal);
      if (signal.aborted) return;
      this.state.reportLog.push({
        at: Date.now(),
        id: job.id,
        status: step.status,
        phoneNumber: job.phoneNumber,
        ...(step.failureReason ? { failureReason: step.failureReason } : {}),
        ...outcome,
        attempt,
      });
      this.log(
        `DLR ${step.status} ${job.id} -> ${'httpStatus' in outcome ? outcome.httpStatus : outcome.error}` +
          (attempt > 1 ? ` (attempt ${attempt})` : ''),
      );
      if (isAcknowledged(outcome)) return;
    }
  }
}

/** outOfOrder: the final report first, then the earlier ones; duplicate: each posted twice. */
function order(plan: ReportStep[], outOfOrder: boolean, duplicate: boolean): ReportStep[] {
  const seq = outOfOrder && plan.length > 1 ? [plan[plan.length - 1], ...plan.slice(0, -1)] : plan;
  return duplicate ? seq.flatMap((s) => [s, s]) : seq;
}

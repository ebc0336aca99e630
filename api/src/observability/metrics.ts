/**
 * Prometheus metrics (prom-client), one Registry per server instance so two instances in one
 * process (tests) never share figures. Two kinds:
 * - events, counted as they happen through the outbox / status-update observers and the
 *   webhook guard (send outcomes, latencies, auth failures);
 * - database figures, read on scrape (messages by state, oldest pending, parked reports,
 *   cost): they describe the shared database, so every instance reports the same truth and a
 *   restart loses nothing.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Task } from '../../../shared-libs/task-utils/types.js';
import { INBOX_SYNC_JOB, type InboxSyncResult, type SendOutcome } from '../sms/types.js';
import type { ChannelState } from '../outbox/circuit.js';
import type { OutboxObserver } from '../outbox/context.js';
import type { StatusUpdateObserver } from '../reports/status-updates.js';
import type { BalanceFigure } from './balance.js';
import type { MonitoringService } from './monitoring.js';

export interface MetricsSources {
  monitoring: MonitoringService;
  channelState(): ChannelState;
  outbox(): { known: number; ready: number; claimedWaiting: number; inFlight: number };
  /** Active opt-out entries. */
  optOuts?(): Promise<number>;
  /** The provider account's last balance read. */
  balance?(): BalanceFigure | null;
  /** Messages awaiting a report for longer than sms.stuck_after_hours. */
  stuck?(): Promise<number>;
}

/** 0 closed (sending), 1 open (paused), 0.5 half-open (probing with one message). */
export const CIRCUIT_VALUE: Record<ChannelState['state'], number> = { closed: 0, open: 1, 'half-open': 0.5 };

/** First hand-over to the network: where "time to delivery" starts. */
const SENT_STATES = new Set(['sent', 'forwarded-by-gateway']);

/** Seconds from the first `sent`/`forwarded-by-gateway` to the `delivered` entry; undefined if unknown. */
export function sendToDeliveredSeconds(task: Task): number | undefined {
  const history = task.state_history ?? [];
  const sent = history.find((h) => SENT_STATES.has(h.state));
  const delivered = [...history].reverse().find((h) => h.state === 'delivered');
  if (!sent || !delivered) return undefined;
  const s = (Date.parse(delivered.timestamp) - Date.parse(sent.timestamp)) / 1000;
  return Number.isFinite(s) && s >= 0 ? s : undefined;
}

export class SmsMetrics {
  readonly registry = new Registry();
  private sources?: MetricsSources;
  private readonly sendOutcomes: Counter<'service' | 'status_code' | 'result'>;
  private readonly sendSeconds: Histogram<'service'>;
  private readonly deliveredSeconds: Histogram;
  private readonly authFailures: Counter<'route'>;
  private readonly throttled: Counter;
  private readonly adminAuthFailures: Counter;
  private readonly adminAuthThrottled: Counter;
  private readonly scrapeErrors: Counter<'figure'>;
  private readonly guardDecisions: Counter<'guard'>;
  private readonly inboxSyncs: Counter<'result'>;

  constructor() {
    const registers = [this.registry];
    this.sendOutcomes = new Counter({
      name: 'sms_send_outcomes_total',
      help: "Send results per message, by the provider's per-recipient status code (AT: 100, 101, 102, 401, 405, ...) or our error code",
      labelNames: ['service', 'status_code', 'result'],
      registers,
    });
    this.sendSeconds = new Histogram({
      name: 'sms_send_duration_seconds',
      help: 'Time of the provider request that sent a message',
      labelNames: ['service'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.deliveredSeconds = new Histogram({
      name: 'sms_send_to_delivered_seconds',
      help: 'From the first sent/forwarded-by-gateway state to delivered',
      buckets: [1, 5, 15, 30, 60, 300, 900, 3600, 21600, 86400],
      registers,
    });
    this.authFailures = new Counter({
      name: 'sms_webhook_auth_failures_total',
      help: 'Webhook calls refused for a missing or wrong key',
      labelNames: ['route'],
      registers,
    });
    this.scrapeErrors = new Counter({
      name: 'sms_metrics_scrape_errors_total',
      help: 'Database figures that could not be read during a scrape (the gauge keeps its last value)',
      labelNames: ['figure'],
      registers,
    });
    this.inboxSyncs = new Counter({
      name: 'sms_inbox_sync_total',
      help:
        'Runs of the provider inbox sync (fetching messages whose callback was missed): ok, failed, ' +
        'or skipped (another instance syncing)',
      labelNames: ['result'],
      registers,
    });
    this.throttled = new Counter({
      name: 'sms_webhook_throttled_total',
      help: 'Webhook calls answered 429 after repeated key failures from one address',
      registers,
    });
    this.guardDecisions = new Counter({
      name: 'sms_guarded_messages_total',
      help:
        'Messages stopped before sending, by guard: deny_rule, duplicate, recipient_limit (at creation), ' +
        'opt_out (before the request)',
      labelNames: ['guard'],
      registers,
    });
    const optOuts = new Gauge({
      name: 'sms_opt_outs',
      help: 'Active opt-out entries (numbers that must not get messages from a sender id, or from any sender)',
      registers,
      collect: async () => {
        const get = this.sources?.optOuts;
        if (!get) return;
        try {
          optOuts.set(await get());
        } catch {
          this.scrapeErrors.inc({ figure: 'opt_outs' });
        }
      },
    });
    const balance = new Gauge({
      name: 'sms_account_balance',
      help: "The provider account's balance at its last check, by currency",
      labelNames: ['currency'],
      registers,
      collect: () => {
        const figure = this.sources?.balance?.();
        balance.reset();
        if (figure) balance.set({ currency: figure.currency }, figure.amount);
      },
    });
    this.adminAuthFailures = new Counter({
      name: 'sms_auth_failures_total',
      help: 'Administrator checks refused for wrong credentials',
      registers,
    });
    this.adminAuthThrottled = new Counter({
      name: 'sms_auth_throttled_total',
      help: 'Administrator checks answered 429 after repeated failures from one address',
      registers,
    });

    const byState = new Gauge({
      name: 'sms_messages',
      help: 'Outgoing messages by state (read from the database on scrape)',
      labelNames: ['state'],
      registers,
      collect: async () => {
        if (!this.sources) return;
        const counts = await this.read('messages', (m) => m.byState());
        if (!counts) return;
        byState.reset();
        for (const [state, n] of Object.entries(counts)) byState.set({ state }, n);
      },
    });
    const outbox = new Gauge({
      name: 'sms_outbox_messages',
      help: "This instance's outbox: known (tracked), ready, claimed_waiting (claimed, not yet sent), in_flight (requests)",
      labelNames: ['stage'],
      registers,
      collect: () => {
        if (!this.sources) return;
        const s = this.sources.outbox();
        outbox.set({ stage: 'known' }, s.known);
        outbox.set({ stage: 'ready' }, s.ready);
        outbox.set({ stage: 'claimed_waiting' }, s.claimedWaiting);
        outbox.set({ stage: 'in_flight' }, s.inFlight);
      },
    });
    const oldest = new Gauge({
      name: 'sms_oldest_pending_age_seconds',
      help: 'Age of the oldest message waiting to go out (pending or forwarded-to-gateway); 0 when none',
      registers,
      collect: async () => {
        const age = await this.read('oldest_pending', (m) => m.oldestPendingAgeSeconds());
        if (age !== undefined) oldest.set(age ?? 0);
      },
    });
    const parked = new Gauge({
      name: 'sms_parked_delivery_reports',
      help: 'Delivery reports waiting for their send result to be stored',
      registers,
      collect: async () => {
        const n = await this.read('parked', (m) => m.parkedReports());
        if (n !== undefined) parked.set(n);
      },
    });
    const stuck = new Gauge({
      name: 'sms_stuck_messages',
      help: 'Outgoing messages sent or forwarded-by-gateway with no report for sms.stuck_after_hours (default 24)',
      registers,
      collect: async () => {
        const n = this.sources?.stuck
          ? await this.sources.stuck().catch(() => {
              this.scrapeErrors.inc({ figure: 'stuck' });
              return undefined;
            })
          : undefined;
        if (n !== undefined) stuck.set(n);
      },
    });
    const circuit = new Gauge({
      name: 'sms_channel_circuit_state',
      help: 'Outgoing channel: 0 closed (sending), 1 open (paused after an account-level refusal), 0.5 half-open (probing)',
      registers,
      collect: () => {
        if (this.sources) circuit.set(CIRCUIT_VALUE[this.sources.channelState().state]);
      },
    });
    const cost = new Gauge({
      name: 'sms_cost_total',
      help: "Sum of the providers' reported message costs, by currency (read from the database on scrape)",
      labelNames: ['currency'],
      registers,
      collect: async () => {
        const summary = await this.read('cost', (m) => m.cost());
        if (!summary) return;
        const { by_currency } = summary;
        cost.reset();
        for (const [currency, total] of Object.entries(by_currency)) cost.set({ currency }, total);
      },
    });
  }

  /** A database figure for a gauge, or undefined (counted) when it cannot be read: one failing view must not fail the scrape. */
  private async read<T>(figure: string, get: (m: MonitoringService) => Promise<T>): Promise<T | undefined> {
    if (!this.sources) return undefined;
    try {
      return await get(this.sources.monitoring);
    } catch {
      this.scrapeErrors.inc({ figure });
      return undefined;
    }
  }

  /** Connects the scrape-time sources once the server parts exist. */
  attach(sources: MetricsSources): void {
    this.sources = sources;
  }

  recordSend(serviceId: string, outcome: SendOutcome, ms: number): void {
    const code = outcome.ok ? (outcome.providerCode ?? 'accepted') : outcome.error.code;
    const result = outcome.ok ? 'accepted' : outcome.error.kind;
    this.sendOutcomes.inc({ service: serviceId, status_code: code, result });
    this.sendSeconds.observe({ service: serviceId }, ms / 1000);
  }

  readonly dispatchObserver: OutboxObserver = {
    onSendResult: (serviceId, outcome, ms) => this.recordSend(serviceId, outcome, ms),
  };

  readonly statusObserver: StatusUpdateObserver = {
    onOutcome: (_update, outcome, task) => {
      if (outcome !== 'applied' || task?.state !== 'delivered') return;
      const s = sendToDeliveredSeconds(task);
      if (s !== undefined) this.deliveredSeconds.observe(s);
    },
  };

  /** A message a guard stopped (denied, duplicate). */
  guarded(guard: string): void {
    this.guardDecisions.inc({ guard });
  }

  /** A service job ran (the job runner's `onRun`). */
  jobRun(_service: string, job: string, ok: boolean, result?: unknown): void {
    if (job !== INBOX_SYNC_JOB) return;
    const skipped = ok && typeof (result as InboxSyncResult | undefined)?.skipped === 'string';
    this.inboxSyncs.inc({ result: !ok ? 'failed' : skipped ? 'skipped' : 'ok' });
  }

  authFailure(route: string): void {
    this.authFailures.inc({ route });
  }

  throttledRequest(): void {
    this.throttled.inc();
  }

  adminAuthFailure(): void {
    this.adminAuthFailures.inc();
  }

  adminAuthThrottle(): void {
    this.adminAuthThrottled.inc();
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Calls every observer's hook in turn (metrics plus whatever the caller passed). */
export function fanOutDispatch(...observers: Array<OutboxObserver | undefined>): OutboxObserver {
  const list = observers.filter((o): o is OutboxObserver => !!o);
  return {
    onClaimed: (...a) => list.forEach((o) => o.onClaimed?.(...a)),
    onSendResult: (...a) => list.forEach((o) => o.onSendResult?.(...a)),
    onRecorded: (...a) => list.forEach((o) => o.onRecorded?.(...a)),
    onChannel: (...a) => list.forEach((o) => o.onChannel?.(...a)),
  };
}

export function fanOutStatus(...observers: Array<StatusUpdateObserver | undefined>): StatusUpdateObserver {
  const list = observers.filter((o): o is StatusUpdateObserver => !!o);
  return {
    onOutcome: (...a) => list.forEach((o) => o.onOutcome?.(...a)),
    onParkedChange: (...a) => list.forEach((o) => o.onParkedChange?.(...a)),
  };
}

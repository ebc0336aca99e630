/**
 * The consent and cost guards of one server instance: the opt-out list, the duplicate and
 * per-recipient windows (and their janitor), the checks at creation and before sending, and
 * what the outbox's send results add to them (opt-outs from provider refusals).
 */
import type { Logger } from 'pino';
import type { Db } from '../../../shared-libs/couch/index.js';
import { parseRecipientLimit } from '../../../shared-libs/sms-guards/index.js';
import type { OutboxObserver } from '../outbox/context.js';
import type { AppSettings } from '../settings/schema.js';
import { KeyedDocs } from '../store/keyed-docs.js';
import { MessageGuards, senderIdOf, type GuardObserver } from './guards.js';
import { OptOutList } from './opt-outs.js';
import { WindowJanitor } from './windows.js';

/** The `sms.guards` monitoring figures; -1 when one cannot be read (as CHT's monitoring does). */
export interface GuardFigures {
  /** Active opt-out entries. */
  opt_outs: number;
  /** Outgoing messages stopped by a guard (or CHT's own rules), by state. */
  denied: number;
  duplicate: number;
}

export class Consent {
  readonly optOuts: OptOutList;
  readonly guards: MessageGuards;
  private readonly janitor: WindowJanitor;

  constructor(
    db: Db,
    private readonly settings: () => AppSettings,
    private readonly logger: Logger,
    now: () => Date,
    observer: GuardObserver = {},
  ) {
    this.optOuts = new OptOutList(db, settings, now);
    this.guards = new MessageGuards(new KeyedDocs(db), this.optOuts, logger, observer);
    this.janitor = new WindowJanitor(db, logger, () => this.recipientWindowMs(), now);
  }

  private recipientWindowMs(): number | undefined {
    const parsed = parseRecipientLimit(this.settings().sms?.recipient_limit);
    return parsed.ok && parsed.limit ? parsed.limit.window_minutes * 60_000 : undefined;
  }

  start(): void {
    this.janitor.start();
  }

  stop(): Promise<void> {
    return this.janitor.stop();
  }

  /** The outbox's last check: recipients who opted out of the sender id in use. */
  screen = (messages: ReadonlyArray<{ id: string; to: string }>): Promise<Map<string, string>> =>
    this.guards.screenOutgoing(messages, this.settings());

  /** A provider refusal saying the recipient blocked the sender becomes an opt-out entry. */
  readonly dispatchObserver: OutboxObserver = {
    onSendResult: (serviceId, outcome, _ms, message) => {
      if (outcome.ok || !outcome.recipientOptedOut || !message) return;
      const senderId = senderIdOf(this.settings());
      const source = `${serviceId}: send refused (${outcome.error.code} ${outcome.error.message})`;
      this.optOuts
        .add([{ number: message.to, ...(senderId ? { senderId } : {}), source }])
        .catch((err: unknown) => this.logger.error({ err }, 'adding an opt-out after a refusal failed'));
    },
  };

  async figures(byState: () => Promise<Record<string, number>>): Promise<GuardFigures> {
    const [optOuts, states] = await Promise.all([
      this.optOuts.count().catch(() => -1),
      byState().catch(() => undefined),
    ]);
    return {
      opt_outs: optOuts,
      denied: states ? (states.denied ?? 0) : -1,
      duplicate: states ? (states.duplicate ?? 0) : -1,
    };
  }
}

/**
 * The guards that decide whether a message may go out at all.
 *
 * When a message is created (POST /api/v1/messages), as CHT does in `addMessage`
 * (cht-core shared-libs/transitions/src/lib/messages.js): CHT's deny rules → `denied`, the
 * duplicate limit → `duplicate`, then the per-recipient cap → `denied`. Deciding at creation
 * means the caller sees the outcome in the response, the message never enters the outbox, and
 * the counters count what was asked for, in the order it was asked.
 *
 * When a message is about to be sent (the outbox, just before the provider request): the
 * opt-out list → `denied`. An opt-out can arrive while a message waits in the queue, so only the
 * last moment is right for it; it covers messages CHT itself created, too.
 */
import type { Logger } from 'pino';
import { denyReason, duplicateLimit, isDuplicate, parseRecipientLimit } from '../../../shared-libs/sms-guards/index.js';
import { setTaskState } from '../../../shared-libs/task-utils/index.js';
import type { MessageDoc, Task } from '../../../shared-libs/task-utils/types.js';
import type { AppSettings } from '../settings/schema.js';
import type { KeyedDocs } from '../store/keyed-docs.js';
import type { OptOutList } from './opt-outs.js';
import { duplicateCount, recipientCount } from './windows.js';

export const GUARDS = ['deny_rule', 'duplicate', 'recipient_limit', 'opt_out'] as const;
export type GuardName = (typeof GUARDS)[number];

export interface GuardObserver {
  onGuarded?(guard: GuardName): void;
}

interface Candidate {
  task: Task;
  to: string;
  text: string;
}

/** Pending tasks of new docs, each with its (single) message. */
function candidates(docs: readonly MessageDoc[]): Candidate[] {
  return docs.flatMap((doc) =>
    (doc.tasks ?? []).flatMap((task) => {
      const msg = task.messages?.[0];
      return task.state === 'pending' && msg?.to ? [{ task, to: msg.to, text: msg.message }] : [];
    }),
  );
}

/** What the sender id of a message is: `sms.reply_to`, the only one this server sends with. */
export const senderIdOf = (settings: AppSettings): string | undefined => {
  const id = settings.sms?.reply_to?.trim();
  return id ? id : undefined;
};

export const optedOutDetails = (senderId: string | undefined): string =>
  `recipient opted out (${senderId ? `sender id ${senderId}` : 'every sender'})`;

export class MessageGuards {
  constructor(
    private readonly windows: KeyedDocs,
    private readonly optOuts: OptOutList,
    private readonly logger: Logger,
    private readonly observer: GuardObserver = {},
  ) {}

  /**
   * Marks the tasks of new docs that must not go out (`denied`, `duplicate`), with the reason in
   * `state_details`. Changes the docs in place, before they are stored.
   */
  async screenNew(docs: readonly MessageDoc[], settings: AppSettings, now: Date): Promise<void> {
    const mark = (c: Candidate, state: 'denied' | 'duplicate', details: string, guard: GuardName): void => {
      setTaskState(c.task, state, `Not sent: ${details}`, undefined, now);
      this.observer.onGuarded?.(guard);
    };
    let open = candidates(docs);
    for (const c of open) {
      const reason = denyReason(c.to, settings);
      if (reason) mark(c, 'denied', reason, 'deny_rule');
    }
    open = open.filter((c) => c.task.state === 'pending');

    const limit = duplicateLimit(settings.sms);
    const counts = await this.windows.updateAll(open.map((c) => duplicateCount(c.to, c.text, now.getTime())));
    open.forEach((c, i) => {
      const count = counts[i] as number;
      if (isDuplicate(count - 1, limit)) {
        const details =
          `the same text was already queued for this number ${count - 1} times within 30 minutes ` +
          `(sms.duplicate_limit ${limit})`;
        mark(c, 'duplicate', details, 'duplicate');
      }
    });
    open = open.filter((c) => c.task.state === 'pending');

    const parsed = parseRecipientLimit(settings.sms?.recipient_limit);
    if (!parsed.ok) {
      // PUT /api/v1/settings refuses such a value; one stored by other means is logged and ignored.
      this.logger.warn({ errors: parsed.errors }, 'sms.recipient_limit is invalid and not applied');
      return;
    }
    const recipientLimit = parsed.limit;
    if (!recipientLimit) return;
    const reasons = await this.windows.updateAll(open.map((c) => recipientCount(c.to, recipientLimit, now.getTime())));
    open.forEach((c, i) => {
      const reason = reasons[i];
      if (reason) mark(c, 'denied', reason, 'recipient_limit');
    });
  }

  /** For messages about to be sent: the ids whose recipient opted out, with the state details to record. */
  async screenOutgoing(
    messages: ReadonlyArray<{ id: string; to: string }>,
    settings: AppSettings,
  ): Promise<Map<string, string>> {
    const senderId = senderIdOf(settings);
    const blocked = await this.optOuts.blocked(messages, senderId);
    const out = new Map<string, string>();
    messages.forEach((m, i) => {
      if (!blocked[i]) return;
      out.set(m.id, `Not sent: ${optedOutDetails(senderId)}`);
      this.observer.onGuarded?.('opt_out');
    });
    return out;
  }
}

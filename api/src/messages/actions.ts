/**
 * An administrator's actions on one queued message: retry, cancel, edit. Each is a
 * compare-and-swap through the DocUpdater, decided again on the fresh document, so a send result,
 * a delivery report or a claim by another instance that lands at the same moment is never lost:
 * either the action applies to what is stored now, or it is refused with nothing changed.
 */
import { truncateToParts } from '../../../shared-libs/message-utils/index.js';
import { findTask } from '../../../shared-libs/task-utils/index.js';
import type { MessageDoc, OutgoingMessage, Task } from '../../../shared-libs/task-utils/types.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { AppSettings } from '../settings/schema.js';
import type { DocUpdater } from '../store/doc-updater.js';
import { toOutgoingView, type OutgoingView } from './outgoing.js';
import { cancelTask, editText, refusal, retryTask, type QueueAction } from './queue-rules.js';

export interface QueueActionDeps {
  updater: DocUpdater;
  /** Doc id holding a message uuid (OutgoingMessages.docIdFor). */
  docIdFor: (uuid: string) => Promise<string | undefined>;
  settings: () => AppSettings;
  now: () => Date;
  /** Hands reopened messages to the outbox at once (Outbox.notify). */
  requeue: (docs: MessageDoc[]) => void;
}

export type Change = (task: Task, msg: OutgoingMessage, now: Date) => void;

export const notFound = (uuid: string): NotFoundError => new NotFoundError(`No outgoing message with id "${uuid}"`);

/** What the mutation saw on the last (saved or refused) copy of the document. */
interface Seen {
  found: boolean;
  refused?: string;
  view?: OutgoingView;
  doc?: MessageDoc;
}

export class QueueActions {
  constructor(private readonly deps: QueueActionDeps) {}

  retry(uuid: string, user: string): Promise<OutgoingView> {
    return this.act(uuid, 'retry', (task, _msg, now) => retryTask(task, user, now));
  }

  cancel(uuid: string, user: string): Promise<OutgoingView> {
    return this.act(uuid, 'cancel', (task, _msg, now) => cancelTask(task, user, now));
  }

  /** Same truncation as POST /api/v1/messages (CHT's multipart_sms_limit). */
  edit(uuid: string, text: string, user: string): Promise<OutgoingView> {
    const truncated = truncateToParts(text, this.deps.settings().multipart_sms_limit ?? 10);
    return this.act(uuid, 'edit', (task, msg, now) => editText(task, msg, truncated, user, now));
  }

  /**
   * Applies `change` to the message's task if `action` applies to it. Resolves with the message
   * as stored after the change; `refused` tells why not (nothing was written).
   */
  async apply(docId: string, uuid: string, action: QueueAction, change: Change): Promise<Seen> {
    const now = this.deps.now();
    const seen: Seen = { found: false };
    const result = await this.deps.updater.update({
      docId,
      apply: (doc: MessageDoc) => {
        const task = findTask(doc, uuid);
        const msg = task?.messages?.find((m) => m.uuid === uuid);
        seen.found = !!task && !!msg;
        seen.refused = undefined;
        seen.doc = undefined;
        if (!task || !msg) return false;
        seen.refused = refusal(action, task, now);
        if (!seen.refused) {
          change(task, msg, now);
          seen.doc = doc;
        }
        seen.view = toOutgoingView(doc, uuid);
        return !seen.refused;
      },
    });
    if (result.missing) seen.found = false;
    if (seen.found && seen.doc) this.after(action, seen.doc);
    return seen;
  }

  /** A retried message goes out now, without waiting for the outbox to see the write. */
  after(action: QueueAction, doc: MessageDoc): void {
    if (action === 'retry') this.deps.requeue([doc]);
  }

  private async act(uuid: string, action: QueueAction, change: Change): Promise<OutgoingView> {
    const docId = await this.deps.docIdFor(uuid);
    if (!docId) throw notFound(uuid);
    const seen = await this.apply(docId, uuid, action, change);
    if (!seen.found || !seen.view) throw notFound(uuid);
    if (seen.refused) throw new ConflictError(`Cannot ${action} message "${uuid}": ${seen.refused}`);
    return seen.view;
  }
}

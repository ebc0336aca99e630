/**
 * Outgoing messages as CHT stores them: a `data_record` with `kujua_message: true` whose task
 * holds one message `{uuid, to, message}` in state `pending` (webapp send-message.service shape).
 * One doc per message, so reports for different messages never contend for one `_rev`.
 */
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../../../shared-libs/couch/index.js';
import { bulkError, getDoc } from '../../../shared-libs/couch/index.js';
import { truncateToParts } from '../../../shared-libs/message-utils/index.js';
import { normalize } from '../../../shared-libs/phone-number/index.js';
import { findTask } from '../../../shared-libs/task-utils/index.js';
import type { MessageDoc, MessageState, StateHistoryEntry, Task } from '../../../shared-libs/task-utils/types.js';
import { InvalidInputError } from '../errors.js';
import type { Priority } from '../outbox/lanes.js';
import type { AppSettings } from '../settings/schema.js';

export interface NewMessage {
  to: string;
  message: string;
  priority?: Priority;
}

export interface CreatedMessage {
  id: string;
  doc_id: string;
  to: string;
  /** `pending`, or `denied` / `duplicate` when a guard stopped it (with the reason in state_details). */
  state: MessageState;
  state_details?: Task['state_details'];
}

export interface OutgoingView {
  id: string;
  doc_id: string;
  to: string;
  message: string;
  /** The text that went out, when smart encoding changed it (`message` keeps the text as written). */
  sent_message?: string;
  priority?: string;
  state: MessageState | undefined;
  state_details: Task['state_details'];
  gateway_ref: string | null;
  state_history: StateHistoryEntry[];
  attempts?: number;
  next_attempt_at?: string;
  cost?: string;
  message_parts?: number;
  delivery_reports?: Task['delivery_reports'];
  /** A scheduled message's due time (CHT's task.due); otherwise the message is due when created. */
  due?: string;
  /** The claim while a request to the provider is in flight. */
  lease?: Task['lease'];
  last_error?: Task['last_error'];
  reported_date: number;
}

export interface IncomingView {
  id: string;
  doc_id: string;
  from: string | undefined;
  message: string;
  gateway_ref: string;
  form: string | null;
  reported_date: number;
}

/** Builds the docs for a request; throws InvalidInputError naming the item and field, before anything is stored. */
export function buildOutgoingDocs(
  items: NewMessage[],
  settings: AppSettings,
  now: Date,
  sentBy: string,
  defaultPriority: Priority = 'normal',
): { docs: MessageDoc[]; created: CreatedMessage[] } {
  const limit = settings.multipart_sms_limit ?? 10;
  const docs: MessageDoc[] = [];
  const created: CreatedMessage[] = [];
  items.forEach((item, i) => {
    const to = normalize(settings, item.to);
    if (!to) {
      const field = `messages[${i}].to`;
      const region = `default_country_code ${String(settings.default_country_code ?? 'unset')}`;
      const validation = `phone_validation ${settings.phone_validation ?? 'full'}`;
      throw new InvalidInputError(
        field,
        `${field}: "${item.to}" is not a usable phone number (${region}, ${validation})`,
      );
    }
    const text = truncateToParts(item.message, limit);
    const uuid = uuidv7();
    const timestamp = now.toISOString();
    const doc: MessageDoc = {
      // One message per doc, so the doc can carry the message's uuid as its id: reading a
      // message back is then a key lookup, not a view that must first index every change.
      _id: uuid,
      type: 'data_record',
      form: null,
      kujua_message: true,
      sent_by: sentBy,
      reported_date: now.getTime(),
      errors: [],
      tasks: [
        {
          messages: [
            {
              uuid,
              to,
              message: text.message,
              ...(text.original_message ? { original_message: text.original_message } : {}),
            },
          ],
          state: 'pending',
          state_history: [{ state: 'pending', timestamp }],
          priority: item.priority ?? defaultPriority,
        },
      ],
    };
    docs.push(doc);
    created.push({ id: uuid, doc_id: doc._id, to, state: 'pending' });
  });
  return { docs, created };
}

/** What POST /api/v1/messages answers for a stored doc: its state now, and why when it will not go. */
export function createdView(doc: MessageDoc): CreatedMessage {
  const task = doc.tasks?.[0];
  const msg = task?.messages?.[0];
  const state = task?.state ?? 'pending';
  return {
    id: msg?.uuid ?? doc._id,
    doc_id: doc._id,
    to: msg?.to ?? '',
    state,
    ...(state !== 'pending' && task?.state_details !== undefined ? { state_details: task.state_details } : {}),
  };
}

export function toOutgoingView(doc: MessageDoc, uuid: string): OutgoingView | undefined {
  const task = findTask(doc, uuid);
  const msg = task?.messages?.find((m) => m.uuid === uuid);
  if (!task || !msg) return undefined;
  return {
    id: uuid,
    doc_id: doc._id,
    to: msg.to,
    message: msg.message,
    ...(typeof msg.sent_message === 'string' ? { sent_message: msg.sent_message } : {}),
    ...(typeof task.priority === 'string' ? { priority: task.priority } : {}),
    state: task.state,
    state_details: task.state_details,
    gateway_ref: task.gateway_ref ?? null,
    state_history: task.state_history ?? [],
    ...(task.attempts !== undefined ? { attempts: task.attempts } : {}),
    ...(task.next_attempt_at ? { next_attempt_at: task.next_attempt_at } : {}),
    ...(task.cost ? { cost: task.cost } : {}),
    ...(task.message_parts !== undefined ? { message_parts: task.message_parts } : {}),
    ...(task.delivery_reports?.length ? { delivery_reports: task.delivery_reports } : {}),
    ...(task.due ? { due: task.due } : {}),
    ...(task.lease ? { lease: task.lease } : {}),
    ...(task.last_error ? { last_error: task.last_error } : {}),
    reported_date: doc.reported_date,
  };
}

export function toIncomingView(doc: MessageDoc): IncomingView | undefined {
  if (!doc.sms_message) return undefined;
  return {
    id: doc.sms_message.gateway_ref,
    doc_id: doc._id,
    from: doc.from,
    message: doc.sms_message.message,
    gateway_ref: doc.sms_message.gateway_ref,
    form: typeof doc.form === 'string' ? doc.form : null,
    reported_date: doc.reported_date,
  };
}

/**
 * Which doc holds a message uuid, from an index kept beside the views: the doc id, `null` for
 * "no such message", `undefined` when the index cannot tell yet (CHT's view is asked instead).
 */
export type UuidLookup = (uuid: string) => Promise<string | null | undefined>;

export class OutgoingMessages {
  constructor(
    private readonly db: Db,
    private readonly uuidLookup?: UuidLookup,
  ) {}

  /** Stores the messages in one write. */
  async create(docs: MessageDoc[]): Promise<void> {
    const results = await this.db.bulkDocs(docs as unknown as PouchDB.Core.PutDocument<object>[]);
    const failed = results.filter((r) => bulkError(r));
    if (failed.length > 0) {
      // Roll back what was written so a request is stored whole or not at all.
      const written = results.filter((r): r is PouchDB.Core.Response => !bulkError(r));
      await this.db.bulkDocs(written.map((r) => ({ _id: r.id, _rev: r.rev, _deleted: true }))).catch(() => undefined);
      throw new Error(`Storing messages failed: ${failed.length} of ${results.length} writes could not be made`);
    }
  }

  /** Doc id holding a message uuid (CHT's medic-sms/messages_by_uuid). */
  async docIdFor(uuid: string): Promise<string | undefined> {
    // Our own messages live in a doc whose id is the message uuid; others (CHT's webapp,
    // sentinel) are found through the message index, or CHT's view while that is being built.
    const own = await getDoc<MessageDoc>(this.db, uuid);
    if (own && findTask(own, uuid)) return own._id;
    const indexed = await this.uuidLookup?.(uuid);
    if (indexed !== undefined) return indexed ?? undefined;
    // PouchDB can answer a query from an index update that was already running when the doc
    // was written (seen under concurrent queries): a miss is asked once more, which queues a
    // fresh update behind the running one.
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await this.db.query('medic-sms/messages_by_uuid', { key: uuid, limit: 1 });
      if (res.rows[0]) return res.rows[0].id;
    }
    return undefined;
  }

  async get(uuid: string): Promise<OutgoingView | undefined> {
    const docId = await this.docIdFor(uuid);
    const doc = docId ? await getDoc<MessageDoc>(this.db, docId) : undefined;
    return doc ? toOutgoingView(doc, uuid) : undefined;
  }
}

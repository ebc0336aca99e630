/**
 * CHT's outgoing-message document shapes (cht-core shared-libs/task-utils, message-utils,
 * webapp send-message.service). Fields after the CHT ones are ours; CHT ignores them.
 */

/** Every state string CHT writes (cht-docs building/messaging/sms-states.md), exactly spelled. */
export const MESSAGE_STATES = [
  'received',
  'scheduled',
  'pending',
  'forwarded-to-gateway',
  'received-by-gateway',
  'forwarded-by-gateway',
  'sent',
  'delivered',
  'failed',
  'denied',
  'cleared',
  'muted',
  'duplicate',
  'unrecognised',
  'clear',
] as const;

export type MessageState = (typeof MESSAGE_STATES)[number];

export type StateDetails = string | Record<string, unknown> | undefined;

export interface StateHistoryEntry {
  state: MessageState;
  state_details?: StateDetails;
  timestamp: string;
  /** Ours: the administrator whose action (retry, cancel, edit) made this entry. */
  user?: string;
}

export interface OutgoingMessage {
  uuid: string;
  to: string;
  message: string;
  original_message?: string;
  error?: string;
  [extra: string]: unknown;
}

/** A delivery report as received, kept on the task for audit whether or not it moved the state. */
export interface DeliveryReportRecord {
  status: string;
  state?: MessageState;
  details?: string;
  timestamp: string;
  /** false when the lattice refused it (late or backwards) or the status was unknown. */
  applied: boolean;
}

/** One send attempt, as the outbox records it. */
export interface SendLease {
  owner: string;
  until: string;
  attempt: number;
}

export interface Task {
  messages?: OutgoingMessage[];
  state?: MessageState;
  state_details?: StateDetails;
  state_history?: StateHistoryEntry[];
  gateway_ref?: string;
  timestamp?: string;
  due?: string;
  // ---- ours (outbox bookkeeping); CHT ignores unknown task fields ----
  /** Send attempts made so far. */
  attempts?: number;
  /** ISO time before which the outbox must not try again. */
  next_attempt_at?: string;
  /** Claim held by an outbox while the request to the provider is in flight. */
  lease?: SendLease;
  last_error?: { code: string; message: string; at: string };
  cost?: string;
  message_parts?: number;
  delivery_reports?: DeliveryReportRecord[];
  /** Outbox lane: 'high' | 'normal' | 'bulk'; absent (CHT's own messages) is normal. */
  priority?: string;
  /** References of earlier attempts (kept when an operator retries): their late reports are only audited. */
  previous_gateway_refs?: string[];
  [extra: string]: unknown;
}

export interface MessageDoc {
  _id: string;
  _rev?: string;
  type: 'data_record';
  form?: string | null;
  kujua_message?: boolean;
  from?: string;
  sent_by?: string;
  reported_date: number;
  errors?: Array<{ code: string; message: string }>;
  tasks?: Task[];
  scheduled_tasks?: Task[];
  sms_message?: IncomingSmsMessage;
  fields?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface IncomingSmsMessage {
  type: 'sms_message';
  message: string;
  form?: string;
  from: string;
  gateway_ref: string;
  locale?: string;
  [extra: string]: unknown;
}

/**
 * Records the AT simulator keeps of what it received and posted, and the AT wire shapes they
 * hold: https://developers.africastalking.com/docs/sms/sending/bulk (send response) and
 * https://developers.africastalking.com/docs/sms/notifications (delivery reports, incoming messages).
 */
import type { CallbackResult } from './callbacks.js';

export type { CallbackResult } from './callbacks.js';

/** One entry of `SMSMessageData.Recipients`; keys in the alphabetical order of live responses. */
export interface RecipientResult {
  cost: string;
  messageId: string;
  messageParts?: number;
  number: string;
  status: string;
  statusCode: number;
}

/** A messaging request as received, and what the simulator answered. */
export interface SentRecord {
  /** Date.now() when the request arrived. */
  at: number;
  username: string;
  to: string[];
  message: string;
  from?: string;
  /** Request headers, lower-cased names; the apiKey value is replaced by '***'. */
  headers: Record<string, string>;
  /** HTTP status answered; 0 when the request was held (hang mode). */
  httpStatus: number;
  recipients: RecipientResult[];
}

/** Delivery-report statuses the simulator emits (a subset of AT's). */
export type ReportStatus = 'Sent' | 'Submitted' | 'Success' | 'Failed' | 'Rejected';

/** One delivery-report POST attempt and its outcome. */
export interface ReportRecord {
  at: number;
  id: string;
  status: ReportStatus;
  phoneNumber: string;
  failureReason?: string;
  httpStatus?: number;
  /** The receiver's answer body, when it answered. */
  body?: string;
  error?: string;
  /** 1 for the first post, 2..4 for retries of an unacknowledged post. */
  attempt: number;
}

/** What `injectIncoming` posts (AT's incoming-message fields), plus how many times. */
export interface IncomingMessage {
  from: string;
  text: string;
  to?: string;
  linkId?: string;
  networkCode?: string;
  /** The callback's id; default: the inbox id, or a UUID when `incomingCallbackIds` is 'uuid'. */
  id?: string;
  /** Default: now. The callback sends it without milliseconds, the fetch API with them. */
  date?: string;
  /** Post the same message (same id) this many times, as AT retries do. Default 1. */
  copies?: number;
  /** Post the copies at the same time instead of one after the other. */
  concurrent?: boolean;
}

/** `httpStatus` is 0 when the connection failed or the callback was not delivered (see `error`). */
export interface IncomingResult extends CallbackResult {
  /** The `id` the callback carried. */
  id: string;
  /** The message's id in the inbox fetch API (equal to `id` unless `incomingCallbackIds` is 'uuid'). */
  inboxId: number;
}

export interface IncomingRecord {
  at: number;
  id: string;
  inboxId: number;
  from: string;
  to: string;
  text: string;
  date: string;
  linkId?: string;
  networkCode: string;
  /** 1-based index among the copies of this injection. */
  copy: number;
  httpStatus: number;
  body: string;
  error?: string;
}

/**
 * One message as the fetch API returns it
 * (https://developers.africastalking.com/docs/sms/fetch_messages), keys in the order of AT's sample.
 */
export interface InboxMessage {
  /** '' when the message has none (only on-demand premium messages carry one). */
  linkId: string;
  text: string;
  to: string;
  /** AT's inbox ids are integers, usable as `lastReceivedId`. */
  id: number;
  /** ISO with milliseconds, as in AT's fetch sample (`2018-03-19T08:34:18.445Z`). */
  date: string;
  from: string;
}

/** One old message to put in the inbox without a callback; every field has a default. */
export interface InboxSeedMessage {
  from?: string;
  to?: string;
  text?: string;
  date?: string;
  linkId?: string;
}

/** `{ count }` like messages (texts `old message <n>`, a minute apart) or the given `messages`. */
export interface InboxSeed {
  count?: number;
  from?: string;
  to?: string;
  text?: string;
  messages?: InboxSeedMessage[];
}

/** An opt-out to simulate: no `senderId` means the number opted out of every sender. */
export interface OptOutRequest {
  phoneNumber: string;
  senderId?: string;
}

/** An opt-out recorded (sends are refused from then on) and the answer to its callback. */
export interface OptOutRecord extends CallbackResult {
  at: number;
  phoneNumber: string;
  senderId?: string;
}

/** A GET to the inbox fetch or balance API, and what it answered. */
export interface FetchRecord {
  at: number;
  /** `/version1/messaging` or `/version1/user`. */
  path: string;
  /** The query parameters as sent. */
  query: Record<string, string>;
  /** Request headers, lower-cased names; the apiKey value is replaced by '***'. */
  headers: Record<string, string>;
  httpStatus: number;
  /** Inbox fetches: how many messages the page held. */
  returned?: number;
}

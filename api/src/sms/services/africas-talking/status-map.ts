/**
 * Africa's Talking status tables. Exhaustive and typed, each with its policy for values we do
 * not know. Sources: AT SMS docs "Send message: API response" status codes and "Delivery
 * reports" (https://developers.africastalking.com/docs/sms/sending/bulk,
 * https://developers.africastalking.com/docs/sms/notifications); cht-core
 * api/src/services/africas-talking.js and api/src/controllers/africas-talking.js for CHT's states.
 */
import type { MessageState } from '../../../../../shared-libs/task-utils/types.js';

export type SendCodePolicy =
  | { kind: 'accepted'; state: MessageState; name: string }
  | { kind: 'final'; state: MessageState; name: string; recipientOptedOut?: true }
  | { kind: 'retryable'; name: string }
  | { kind: 'account'; name: string };

/** AT's documented per-recipient send status codes. */
export type AtSendCode = 100 | 101 | 102 | 401 | 402 | 403 | 404 | 405 | 406 | 407 | 409 | 500 | 501 | 502;

/** Per-recipient `statusCode` in the 201 send response. */
export const SEND_STATUS_CODES = {
  100: { kind: 'accepted', state: 'forwarded-by-gateway', name: 'Processed' },
  101: { kind: 'accepted', state: 'sent', name: 'Sent' },
  102: { kind: 'accepted', state: 'received-by-gateway', name: 'Queued' },
  401: { kind: 'final', state: 'failed', name: 'RiskHold' },
  // Account-level: every message would get the same answer, so the channel pauses (CHT
  // retried each message every minute, forever).
  402: { kind: 'account', name: 'InvalidSenderId' },
  403: { kind: 'final', state: 'failed', name: 'InvalidPhoneNumber' },
  404: { kind: 'final', state: 'failed', name: 'UnsupportedNumberType' },
  405: { kind: 'account', name: 'InsufficientBalance' },
  // The recipient blocked this sender: an opt-out, so later messages are not even tried.
  406: { kind: 'final', state: 'denied', name: 'UserInBlacklist', recipientOptedOut: true },
  407: { kind: 'final', state: 'failed', name: 'CouldNotRoute' },
  409: { kind: 'final', state: 'failed', name: 'DoNotDisturbRejection' },
  500: { kind: 'retryable', name: 'InternalServerError' },
  501: { kind: 'retryable', name: 'GatewayError' },
  502: { kind: 'retryable', name: 'RejectedByGateway' },
} as const satisfies Record<AtSendCode, SendCodePolicy>;

/** Unknown per-recipient codes: retried with backoff up to the attempt limit, then failed. */
export function sendCodePolicy(code: number): SendCodePolicy {
  return Object.hasOwn(SEND_STATUS_CODES, code)
    ? SEND_STATUS_CODES[code as AtSendCode]
    : { kind: 'retryable', name: `UnknownStatusCode${code}` };
}

/** AT's documented delivery report statuses. */
export type AtDeliveryStatus =
  'Sent' | 'Submitted' | 'Buffered' | 'Success' | 'Rejected' | 'Failed' | 'AbsentSubscriber' | 'Expired';

/** Delivery report `status` → CHT state (CHT: api/src/controllers/africas-talking.js). */
export const DELIVERY_STATUS = {
  Sent: 'forwarded-by-gateway',
  Submitted: 'sent',
  Buffered: 'sent',
  Success: 'delivered',
  Rejected: 'failed',
  Failed: 'failed',
  AbsentSubscriber: 'failed',
  Expired: 'failed',
} as const satisfies Record<AtDeliveryStatus, MessageState>;

/**
 * Unknown statuses map to undefined: the report is recorded for audit and answered 200, since a
 * 4xx only makes AT retry for ~10 minutes and then drop it (CHT answers 400).
 */
export function deliveryState(status: string): MessageState | undefined {
  return Object.hasOwn(DELIVERY_STATUS, status) ? DELIVERY_STATUS[status as AtDeliveryStatus] : undefined;
}

/**
 * Pure checks that decide whether an SMS may go out: CHT's deny rules and duplicate limit, opt-out
 * keys and a per-recipient cap. No I/O: callers load settings, lists and counts and store the results.
 */
export { denyReason, isOutgoingAllowed } from './deny.js';
export type { OutgoingDenySettings } from './deny.js';
export { ANY_SENDER, isOptedOut, optOutKey } from './opt-out.js';
export {
  DEFAULT_DUPLICATE_LIMIT,
  DUPLICATE_WINDOW_MS,
  MAX_DUPLICATE_LIMIT,
  duplicateKey,
  duplicateLimit,
  isDuplicate,
} from './duplicates.js';
export {
  parseRecipientLimit,
  recipientLimitReason,
  recipientLimitSchema,
  recipientWindowStart,
} from './recipient-limit.js';
export type { RecipientLimit, RecipientLimitResult } from './recipient-limit.js';

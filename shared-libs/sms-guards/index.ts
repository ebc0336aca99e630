/**
 * Pure checks that decide whether an SMS may go out: CHT's deny rules and opt-out keys. No I/O:
 * callers load settings and lists and store the results.
 */
export { denyReason, isOutgoingAllowed } from './deny.js';
export type { OutgoingDenySettings } from './deny.js';
export { ANY_SENDER, isOptedOut, optOutKey } from './opt-out.js';

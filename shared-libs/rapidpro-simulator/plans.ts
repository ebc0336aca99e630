/**
 * The statuses an outgoing message goes through, chosen by the last three digits of its number
 * ("magic numbers", table in README.md). Statuses are RapidPro's; CHT maps them in
 * https://github.com/medic/cht-core/blob/master/api/src/services/rapidpro.js (`errored` will be
 * retried by RapidPro, `failed` and `delivered` are final).
 */
import type { MessageStatus } from './types.js';

const PLANS: Readonly<Record<string, readonly MessageStatus[]>> = {
  // The channel gives up.
  '598': ['queued', 'wired', 'failed'],
  // A send errors once and RapidPro's retry gets it through.
  '597': ['queued', 'errored', 'wired', 'sent', 'delivered'],
  // Every retry errors until RapidPro stops trying.
  '596': ['queued', 'errored', 'errored', 'failed'],
  // A channel without delivery reports: sent is the last word.
  '595': ['queued', 'wired', 'sent'],
  // Resent by a RapidPro user, then delivered.
  '594': ['queued', 'wired', 'sent', 'resent', 'delivered'],
  // Never leaves RapidPro's outbox.
  '593': ['queued'],
};

const NORMAL: readonly MessageStatus[] = ['queued', 'wired', 'sent', 'delivered'];

export function statusPlan(urn: string): readonly MessageStatus[] {
  return PLANS[urn.slice(-3)] ?? NORMAL;
}

/** Statuses after which the channel has sent the message (`sent_on` is set from the first one). */
export const SENT_STATUSES: ReadonlySet<MessageStatus> = new Set(['wired', 'sent', 'resent', 'delivered']);

/**
 * RapidPro message statuses → CHT states, exhaustive and typed. Sources: RapidPro's message
 * statuses (https://rapidpro.io/api/v2/, the `status` field of messages; the model at
 * https://github.com/rapidpro/rapidpro/blob/main/temba/msgs/models.py) and CHT's map
 * (https://github.com/medic/cht-core/blob/master/api/src/services/rapidpro.js, `STATUS_MAP`).
 */
import type { MessageState } from '../../../../../shared-libs/task-utils/types.js';

export type RapidProStatus = 'queued' | 'wired' | 'sent' | 'delivered' | 'resent' | 'errored' | 'failed';

export const STATUS_STATE = {
  queued: 'received-by-gateway',
  wired: 'forwarded-by-gateway',
  sent: 'sent',
  delivered: 'delivered',
  resent: 'sent',
  // RapidPro retries an errored message itself; it ends `failed` when its retries run out.
  errored: 'received-by-gateway',
  failed: 'failed',
} as const satisfies Record<RapidProStatus, MessageState>;

/** The state details CHT writes for each status. */
export const STATUS_DETAILS = {
  queued: 'Queued',
  wired: 'Wired',
  sent: 'Sent',
  delivered: 'Delivered',
  resent: 'Resent',
  errored: 'Errored',
  failed: 'Failed',
} as const satisfies Record<RapidProStatus, string>;

/** Statuses RapidPro never moves a message out of: polling that message stops. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set<RapidProStatus>(['delivered', 'failed']);

export function isRapidProStatus(status: string): status is RapidProStatus {
  return Object.hasOwn(STATUS_STATE, status);
}

/**
 * Unknown statuses map to undefined: recorded on the message for audit, its state unchanged
 * (CHT takes any unknown status for `queued`, which can move a message backwards).
 */
export function statusState(status: string): MessageState | undefined {
  return isRapidProStatus(status) ? STATUS_STATE[status] : undefined;
}

/** `details` of a status update: CHT's words, or the unknown status named. */
export function statusDetails(status: string): string {
  return isRapidProStatus(status) ? STATUS_DETAILS[status] : `Unknown RapidPro status "${status}"`;
}

/**
 * CHT's duplicate rule (cht-core shared-libs/transitions/src/lib/history.js; setting documented at
 * https://docs.communityhealthtoolkit.org/building/reference/app-settings/sms/): when more than
 * `sms.duplicate_limit` messages with the same recipient and text are created within 30 minutes
 * of the previous one, the new one gets state `duplicate` and is never sent.
 */
import { createHash } from 'node:crypto';

export const DEFAULT_DUPLICATE_LIMIT = 5;
export const MAX_DUPLICATE_LIMIT = 20;
/** CHT forgets a recipient + text pair 30 minutes after the last message for it. */
export const DUPLICATE_WINDOW_MS = 30 * 60 * 1000;

/** 32 hex digits (128 bits): short enough to index, far from any realistic collision. */
const KEY_HEX_LENGTH = 32;

/**
 * A short, fixed-length key for a recipient + text pair (SHA-256 of `to + '\n' + text`), so the
 * pair can be counted without storing the text. A newline cannot occur in a phone number, so no
 * two different pairs hash the same input (CHT's in-memory `${to}-${msg}` key can collide).
 */
export function duplicateKey(to: string, text: string): string {
  return createHash('sha256').update(`${to}\n${text}`, 'utf8').digest('hex').slice(0, KEY_HEX_LENGTH);
}

/**
 * CHT's `sms.duplicate_limit`: a positive number or numeric string ("2", as in the CHT docs'
 * sample), truncated to an integer and capped at 20; anything else (unset, 0, negative,
 * non-numeric) gives the default 5. Unlike CHT, a value between 0 and 1 also gives 5: CHT's
 * parseInt would make it 0, marking even the first message a duplicate.
 */
export function duplicateLimit(settings: { duplicate_limit?: unknown } | null | undefined): number {
  const raw = settings?.duplicate_limit;
  const value = typeof raw === 'number' || (typeof raw === 'string' && raw.trim() !== '') ? Number(raw) : Number.NaN;
  const limit = Math.trunc(value);
  if (!Number.isFinite(value) || limit < 1) {
    return DEFAULT_DUPLICATE_LIMIT;
  }
  return Math.min(limit, MAX_DUPLICATE_LIMIT);
}

/**
 * CHT counts the new message with the earlier ones and marks it a duplicate when the count is
 * above the limit: with the default 5, the sixth identical message in the window is the first
 * duplicate. `earlierInWindow` is the number of identical messages already created in the window.
 */
export function isDuplicate(earlierInWindow: number, limit: number): boolean {
  return earlierInWindow + 1 > limit;
}

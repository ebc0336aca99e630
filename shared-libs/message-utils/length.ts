/**
 * SMS length rules from CHT's message-utils `generate` (`truncateMessage` in
 * https://github.com/medic/cht-core/blob/master/shared-libs/message-utils/src/index.js), counted by
 * the same `gsm` package so part counts and cut points are identical to CHT's.
 */
import gsm from 'gsm';

const TRUNCATION_SUFFIX = '...';
/** CHT: `config.multipart_sms_limit || 10`. */
export const DEFAULT_MULTIPART_LIMIT = 10;

export type SmsEncoding = 'GSM_7BIT' | 'UCS2';

export interface TruncatedMessage {
  message: string;
  /** Only set when the text was cut, as in CHT's message objects. */
  original_message?: string;
}

function encodingOf(charSet: string): SmsEncoding {
  return charSet === 'Unicode' ? 'UCS2' : 'GSM_7BIT';
}

export function countParts(text: string): { parts: number; encoding: SmsEncoding } {
  const result = gsm(text);
  return { parts: result.sms_count, encoding: encodingOf(result.char_set) };
}

/** A cut that ends on a high surrogate would leave half an emoji; CHT keeps it, we drop it. */
function dropDanglingSurrogate(text: string): string {
  const last = text.charCodeAt(text.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? text.slice(0, -1) : text;
}

/**
 * CHT's rule: if `gsm(text).sms_count <= limit` the text is unchanged; otherwise keep the first
 * `limit` of gsm's parts, replace their last 3 characters with '...', and keep the full text in
 * `original_message`.
 *
 * CHT's tests ("truncates long sms" in cht-core shared-libs/message-utils/test/index.js) expect
 * multipart_sms_limit 1 with 1000 GSM characters to give the first 150 characters + '...', and
 * 64 + '...' for unicode: a text that needs truncating is by definition multipart, so gsm splits it
 * into 153-char GSM parts (67 for UCS-2), not 160/70. One part is therefore 153 chars: 150 + '...'
 * (GSM) or 64 + '...' (UCS-2). The 160/70 single-part capacity is never the cut size. This gives
 * a result that fits exactly in `limit` concatenated parts, which is what the carrier bills.
 *
 * A `limit` that is not a positive number falls back to 10, like CHT's `|| 10`.
 */
export function truncateToParts(text: string, limit: number = DEFAULT_MULTIPART_LIMIT): TruncatedMessage {
  const max = Number.isFinite(limit) && limit >= 1 ? Math.floor(limit) : DEFAULT_MULTIPART_LIMIT;
  const parsed = gsm(text);
  if (parsed.sms_count <= max) {
    return { message: text };
  }
  const kept = parsed.parts.slice(0, max).join('');
  const cut = dropDanglingSurrogate(kept.slice(0, -TRUNCATION_SUFFIX.length));
  return { message: cut + TRUNCATION_SUFFIX, original_message: text };
}

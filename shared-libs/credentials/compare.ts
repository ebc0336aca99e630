import { createHash, timingSafeEqual } from 'node:crypto';
import { view } from './bytes.js';

/**
 * Constant-time string comparison for webhook secrets. CHT compares with `!==` (cht-sms.md
 * §4.2 item 9). `timingSafeEqual` throws on different lengths, so both sides are hashed first:
 * equal-length digests, and the length of the secret is not leaked (peers.md §6).
 */
export function timingSafeEqualString(a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') {
    return false;
  }
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(view(da), view(db));
}

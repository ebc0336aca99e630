import { createHash, timingSafeEqual } from 'node:crypto';
import { view } from './bytes.js';

/**
 * Constant-time string comparison for webhook secrets. CHT's SMS webhook controller compares its
 * key with `!==` (validateKey, https://github.com/medic/cht-core/tree/master/api/src/controllers).
 * `timingSafeEqual` throws on different lengths (https://nodejs.org/api/crypto.html#cryptotimingsafeequala-b),
 * so both sides are hashed first: equal-length digests, and the length of the secret is not leaked.
 */
export function timingSafeEqualString(a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') {
    return false;
  }
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(view(da), view(db));
}

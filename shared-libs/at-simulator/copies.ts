/**
 * Re-posting one callback several times, one after the other or all at once: providers re-post a
 * callback they saw no acknowledgement for, so receivers must be idempotent, also under races.
 */
import { InputError } from './checks.js';

export const MAX_COPIES = 1000;

export interface Copies {
  copies: number;
  concurrent: boolean;
}

/** `copies` (default 1) and `concurrent` (default false) of a control request. */
export function parseCopies(o: Record<string, unknown>): Copies {
  const copies = o.copies ?? 1;
  if (typeof copies !== 'number' || !Number.isInteger(copies) || copies < 1 || copies > MAX_COPIES)
    throw new InputError(`'copies' must be an integer 1..${MAX_COPIES}`);
  if (o.concurrent !== undefined && typeof o.concurrent !== 'boolean')
    throw new InputError("'concurrent' must be true or false");
  return { copies, concurrent: o.concurrent === true };
}

/** Calls `post` for copies 1..n, sequentially or concurrently; results in copy order. */
export async function postCopies<T>({ copies, concurrent }: Copies, post: (copy: number) => Promise<T>): Promise<T[]> {
  const numbers = Array.from({ length: copies }, (_, i) => i + 1);
  if (concurrent) return Promise.all(numbers.map(post));
  const results: T[] = [];
  for (const n of numbers) results.push(await post(n));
  return results;
}

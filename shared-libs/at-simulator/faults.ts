/** Counting down a `failNext: { status, count }` fault, shared by every simulator's API endpoints. */
import { STATUS_CODES } from 'node:http';

export interface FailNextLike {
  status: number;
  count: number;
}

/** The status to answer now and what is left of the fault, or null when no failure is due. */
export function takeFailNext<F extends FailNextLike>(f: F | null): { status: number; left: F | null } | null {
  if (!f || f.count <= 0) return null;
  const count = f.count - 1;
  return { status: f.status, left: count > 0 ? { ...f, count } : null };
}

/** The standard reason phrase, as a plain-text error body. */
export const reasonPhrase = (status: number): string => STATUS_CODES[status] ?? 'Error';

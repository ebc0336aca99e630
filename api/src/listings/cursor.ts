/**
 * Listing cursors: opaque to clients, they name the listing's key space and the key of the last
 * row a page covered. The next page starts strictly after that key, so a message whose position
 * does not move is listed exactly once across pages however much is written meanwhile (new
 * messages sort above the first page and are not repeated).
 */
import { InvalidInputError } from '../errors.js';

/** The key spaces: the index range a listing walks (see rows.ts). */
export type CursorSpace = 'out-due' | 'out-number' | 'out-stuck' | 'in-time' | 'in-number';

interface CursorBody {
  v: 1;
  s: CursorSpace;
  k: string;
}

export function encodeCursor(space: CursorSpace, key: string): string {
  const body: CursorBody = { v: 1, s: space, k: key };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

const KEY = /^\d{13}:./s;

/** The key after which the next page starts; 400 for anything this listing did not hand out. */
export function decodeCursor(cursor: string, space: CursorSpace): string {
  let body: Partial<CursorBody> | undefined;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorBody>;
  } catch {
    body = undefined;
  }
  if (!body || body.v !== 1 || typeof body.k !== 'string' || !KEY.test(body.k)) {
    throw new InvalidInputError('cursor', 'cursor: not a cursor this API returned (pass next_cursor back unchanged)');
  }
  if (body.s !== space) {
    throw new InvalidInputError(
      'cursor',
      'cursor: it belongs to a listing with other filters; keep direction, state, to and stuck as on the first page',
    );
  }
  return body.k;
}

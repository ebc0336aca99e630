/**
 * Listing as RapidPro's API v2 does (https://rapidpro.io/api/v2/): newest first, `before`/`after`
 * filters on `created_on` (inclusive), and cursor pages `{next, previous, results}` where `next` is
 * the full URL of the following page. The cursor is opaque; here it carries the last id returned.
 */

export interface Page<T> {
  next: string | null;
  previous: null;
  results: T[];
}

export class InvalidCursor extends Error {}

const encodeCursor = (lastId: number): string => Buffer.from(JSON.stringify({ below: lastId })).toString('base64url');

function decodeCursor(cursor: string): number {
  try {
    const { below } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { below?: unknown };
    if (typeof below === 'number' && Number.isSafeInteger(below)) return below;
  } catch {
    // an unreadable cursor is refused below, as RapidPro refuses one
  }
  throw new InvalidCursor('Invalid cursor');
}

/** RapidPro reads a datetime without a zone as UTC; JavaScript would read it as local time. */
function parseDate(value: string): number {
  const zoned = /(z|[+-]\d\d:?\d\d)$/i.test(value) || !value.includes('T') ? value : `${value}Z`;
  return Date.parse(zoned);
}

/**
 * True when the item's `created_on` is inside the `before`/`after` bounds of the query. An
 * unreadable bound matches nothing, as in RapidPro.
 */
export function createdWithin(createdOn: string, query: URLSearchParams): boolean {
  const at = Date.parse(createdOn);
  const before = query.get('before');
  const after = query.get('after');
  if (before && !(at <= parseDate(before))) return false;
  if (after && !(at >= parseDate(after))) return false;
  return true;
}

/** One page of `items` (already filtered, newest first, ids descending). */
export function pageOf<T extends { id: number }>(
  items: T[],
  query: URLSearchParams,
  pageSize: number,
  url: URL,
): Page<T> {
  const cursor = query.get('cursor');
  const below = cursor ? decodeCursor(cursor) : Number.POSITIVE_INFINITY;
  const rest = items.filter((item) => item.id < below);
  const results = rest.slice(0, pageSize);
  let next: string | null = null;
  if (rest.length > pageSize) {
    const nextUrl = new URL(url);
    nextUrl.searchParams.set('cursor', encodeCursor(results[results.length - 1].id));
    next = nextUrl.toString();
  }
  return { next, previous: null, results };
}

/** PouchDB errors carry a numeric status; 409 is the compare-and-swap loss, 404 a missing doc. */
export function errorStatus(err: unknown): number | undefined {
  if (err && typeof err === 'object' && 'status' in err && typeof err.status === 'number') {
    return err.status;
  }
  return undefined;
}

/** A lost compare-and-swap: a thrown error, or a `_bulk_docs` row refused as `conflict`. */
export const isConflict = (err: unknown): boolean =>
  errorStatus(err) === 409 || (!!err && typeof err === 'object' && 'name' in err && err.name === 'conflict');
export const isNotFound = (err: unknown): boolean => errorStatus(err) === 404;

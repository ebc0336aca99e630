/** The numeric part of a sequence: PouchDB's are numbers, CouchDB's `N-opaque` strings. */
export function seqNumber(seq: string | number | undefined): number {
  if (seq === undefined) return 0;
  if (typeof seq === 'number') return seq;
  const n = Number.parseInt(seq.split('-')[0] ?? '', 10);
  return Number.isFinite(n) ? n : 0;
}

/**
 * Secondary dedupe keys of incoming messages (`IncomingInput.secondaryKey`): one doc per key,
 * `sms-in-key:<sha256 of the key>`, listing the messages stored with that content and, per way
 * in (`source`), the gateway id each arrived under. An arrival is
 * - the same message again when its source already lists its id (a retry);
 * - the other copy of a stored message when one entry lacks its source (matched in order);
 * - a new message otherwise (equal content sent twice stays two records).
 * The key doc is written by compare-and-swap on `_rev` before the record is created, and the
 * record's id comes from the entry, so concurrent copies (or instances) meet on one record id
 * and exactly one create succeeds. A crash between the two writes loses nothing: the next copy
 * of either way creates the record under the entry's id.
 */
import crypto from 'node:crypto';
import type { Db } from '../../../shared-libs/couch/index.js';
import type { IncomingInput } from '../sms/types.js';

export interface KeyEntry {
  /** The gateway id the record is stored under (its doc id is `sms-in:<gateway_ref>`). */
  gateway_ref: string;
  /** Gateway id per source. */
  ids: Record<string, string>;
}

export interface KeyDoc {
  _id: string;
  _rev?: string;
  type: 'sms_incoming_key';
  entries: KeyEntry[];
}

export const secondaryKeyDocId = (key: string): string =>
  `sms-in-key:${crypto.createHash('sha256').update(key).digest('hex')}`;

/** Matches one arrival against a key doc (changing it when the arrival adds to it). */
export function matchEntry(doc: KeyDoc, gatewayId: string, source: string): { gatewayRef: string; changed: boolean } {
  const same = doc.entries.find((e) => e.ids[source] === gatewayId);
  if (same) return { gatewayRef: same.gateway_ref, changed: false };
  const open = doc.entries.find((e) => e.ids[source] === undefined);
  if (open) {
    open.ids[source] = gatewayId;
    return { gatewayRef: open.gateway_ref, changed: true };
  }
  doc.entries.push({ gateway_ref: gatewayId, ids: { [source]: gatewayId } });
  return { gatewayRef: gatewayId, changed: true };
}

const MAX_ATTEMPTS = 8;

const emptyKeyDoc = (id: string): KeyDoc => ({ _id: id, type: 'sms_incoming_key', entries: [] });

export class SecondaryKeys {
  constructor(private readonly db: Db) {}

  /** The gateway id each input is to be stored under (its own unless its key says otherwise). */
  async resolve(inputs: IncomingInput[]): Promise<string[]> {
    const refs = inputs.map((i) => i.gatewayId);
    let pending = inputs.flatMap((input, i) => (input.secondaryKey ? [i] : []));
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > MAX_ATTEMPTS) {
        throw new Error(`Secondary dedupe keys still conflicting after ${MAX_ATTEMPTS} attempts`);
      }
      const keyOf = (i: number): string => secondaryKeyDocId((inputs[i] as IncomingInput).secondaryKey?.key ?? '');
      // Most keys are new (a message's first way in): the first attempt creates their docs without
      // reading them, and a key that exists already meets a conflict and is read on the next one.
      const ids = [...new Set(pending.map(keyOf))];
      const docs = attempt === 1 ? new Map(ids.map((id) => [id, emptyKeyDoc(id)])) : await this.read(ids);
      const changed = new Set<string>();
      for (const i of pending) {
        const input = inputs[i] as IncomingInput;
        const doc = docs.get(keyOf(i)) as KeyDoc;
        const match = matchEntry(doc, input.gatewayId, input.secondaryKey?.source ?? '');
        refs[i] = match.gatewayRef;
        if (match.changed) changed.add(doc._id);
      }
      const conflicted = await this.write([...changed].map((id) => docs.get(id) as KeyDoc));
      pending = pending.filter((i) => conflicted.has(keyOf(i)));
    }
    return refs;
  }

  private async read(ids: string[]): Promise<Map<string, KeyDoc>> {
    const res = await this.db.allDocs({ keys: ids, include_docs: true });
    const docs = new Map<string, KeyDoc>();
    for (const row of res.rows) {
      const doc = 'doc' in row && row.doc ? (row.doc as unknown as KeyDoc) : undefined;
      docs.set(row.key, doc ?? emptyKeyDoc(row.key));
    }
    return docs;
  }

  /** Writes the docs; returns the ids that met a conflict (to match again on a fresh copy). */
  private async write(docs: KeyDoc[]): Promise<Set<string>> {
    const conflicted = new Set<string>();
    if (docs.length === 0) return conflicted;
    const results = await this.db.bulkDocs(docs as unknown as PouchDB.Core.PutDocument<object>[]);
    results.forEach((r, k) => {
      if (!('error' in r && r.error)) return;
      const id = docs[k]?._id as string;
      if (r.status === 409 || r.name === 'conflict') conflicted.add(id);
      else throw new Error(`Saving the dedupe key of an incoming message failed: ${r.message ?? r.name}`);
    });
    return conflicted;
  }
}

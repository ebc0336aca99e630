/**
 * Direct store access for the bench: preloading "sent" messages (CHT-shaped data_record docs,
 * whose references the server's message index finds) and reading the end state back. The bench opens the
 * embedded LevelDB only while the server process is not running (LevelDB takes a lock), through
 * the same openDatabases() the server uses.
 */
import crypto from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { bulkError, openDatabases, type Databases, type Db } from '../shared-libs/couch/index.js';
import type { MessageDoc } from '../shared-libs/task-utils/types.js';

export interface SentMessage {
  ref: string;
  docId: string;
  uuid: string;
  to: string;
}

/**
 * A valid Kenyan mobile number (+254 71…), distinct for i < 10^6. The tens digit is always 1, so
 * the simulator's "magic" endings (40x, 50x, 59x: refusals, transient errors) never occur.
 */
export function kenyanNumber(i: number): string {
  const s = String(i % 1_000_000).padStart(6, '0');
  return `+25471${s.slice(0, 5)}1${s.slice(5)}`;
}

/** The form body of an AT incoming-message callback (a new AT id each call), as the incoming scenario posts it. */
export function incomingBody(i: number): string {
  return new URLSearchParams({
    id: crypto.randomUUID(),
    from: kenyanNumber(i),
    text: `VISIT ${i} child seen at home, temperature normal`,
    to: '40000',
    date: new Date().toISOString().replace('T', ' ').slice(0, 19),
    linkId: crypto.randomUUID(),
    networkCode: '63902',
  }).toString();
}

/** An AT-looking message id (`ATXid_` + 32 hex), random-looking but reproducible. */
export const atRef = (i: number): string => `ATXid_${crypto.createHash('md5').update(`bench-ref-${i}`).digest('hex')}`;

export function openStore(opts: { dataDir: string; couchUrl?: string }): Promise<Databases> {
  return openDatabases({ dataDir: opts.dataDir, couchUrl: opts.couchUrl });
}

/** Writes n sent messages (their references are rows of the server's message index), 500 docs per bulkDocs. */
export async function preloadSent(db: Db, n: number): Promise<SentMessage[]> {
  const out: SentMessage[] = [];
  const base = Date.now() - 3600_000;
  const CHUNK = 500;
  for (let start = 0; start < n; start += CHUNK) {
    const docs: object[] = [];
    for (let i = start; i < Math.min(n, start + CHUNK); i++) {
      const ref = atRef(i);
      const uuid = uuidv7();
      const to = kenyanNumber(i);
      const t = new Date(base + i);
      const doc: MessageDoc = {
        _id: uuidv7(),
        type: 'data_record',
        form: null,
        kujua_message: true,
        sent_by: 'bench',
        reported_date: t.getTime(),
        errors: [],
        tasks: [
          {
            messages: [{ uuid, to, message: `Bench preload message ${i}: please visit the clinic on Tuesday.` }],
            state: 'sent',
            state_details: 'Sent',
            gateway_ref: ref,
            attempts: 1,
            cost: 'KES 0.8000',
            message_parts: 1,
            state_history: [
              { state: 'pending', timestamp: t.toISOString() },
              { state: 'sent', state_details: 'Sent', timestamp: new Date(t.getTime() + 80).toISOString() },
            ],
          },
        ],
      };
      docs.push(doc);
      out.push({ ref, docId: doc._id, uuid, to });
    }
    const res = await db.bulkDocs(docs);
    const failed = res.filter((r) => bulkError(r));
    if (failed.length) throw new Error(`preload: ${failed.length} docs failed to write`);
  }
  return out;
}

/** Reads docs by id (chunks of 1,000); missing ids are left out. */
export async function readDocs(db: Db, ids: string[]): Promise<MessageDoc[]> {
  const docs: MessageDoc[] = [];
  for (let i = 0; i < ids.length; i += 1000) {
    const res = await db.allDocs({ keys: ids.slice(i, i + 1000), include_docs: true });
    for (const row of res.rows) {
      if ('doc' in row && row.doc) docs.push(row.doc as unknown as MessageDoc);
    }
  }
  return docs;
}

/** Every outgoing message doc (kujua_message) in the store, paged through allDocs. */
export async function allOutgoing(db: Db): Promise<MessageDoc[]> {
  const docs: MessageDoc[] = [];
  let startkey: string | undefined;
  for (;;) {
    const res = await db.allDocs({ include_docs: true, limit: 1001, ...(startkey ? { startkey } : {}) });
    const rows = res.rows;
    const page = rows.length > 1000 ? rows.slice(0, 1000) : rows;
    for (const row of page) {
      const doc = row.doc as unknown as MessageDoc | undefined;
      if (doc && doc.kujua_message) docs.push(doc);
    }
    if (rows.length <= 1000) break;
    startkey = rows[1000]?.id;
  }
  return docs;
}

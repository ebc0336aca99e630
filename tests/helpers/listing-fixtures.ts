/**
 * Message documents with a chosen state, time and history, written straight into the store, and a
 * client that pages through GET /api/v1/messages to the end.
 */
import { v7 as uuidv7 } from 'uuid';
import type { MessageDoc, Task } from '../../shared-libs/task-utils/types.js';
import { api, type TestServer } from './test-server.js';

export const HOUR = 3_600_000;

export interface OutDocOptions {
  to: string;
  state?: string;
  /** The task's due time (CHT's `due`), ms; defaults to now. */
  due?: number;
  /** When the task entered its state (its last history entry), ms; defaults to `due`. */
  at?: number;
  /** Times of delivery reports kept on the task. */
  reports?: number[];
  message?: string;
}

/** A CHT-shaped outgoing message doc whose id is not its uuid (as CHT's webapp writes them). */
export function outDoc(o: OutDocOptions): { doc: MessageDoc; uuid: string } {
  const uuid = uuidv7();
  const due = o.due ?? Date.now();
  const state = (o.state ?? 'pending') as Task['state'];
  const task: Task = {
    messages: [{ uuid, to: o.to, message: o.message ?? `text ${uuid}` }],
    state,
    due: new Date(due).toISOString(),
    state_history: [{ state: state as NonNullable<Task['state']>, timestamp: new Date(o.at ?? due).toISOString() }],
  };
  if (o.reports)
    task.delivery_reports = o.reports.map((t) => ({
      status: 'Buffered',
      timestamp: new Date(t).toISOString(),
      applied: false,
    }));
  return {
    doc: { _id: uuidv7(), type: 'data_record', kujua_message: true, form: null, reported_date: due, tasks: [task] },
    uuid,
  };
}

/** An incoming record as messages/incoming.ts stores it. */
export function inDoc(from: string, at = Date.now()): MessageDoc {
  const ref = `T${uuidv7()}`;
  return {
    _id: `sms-in:${ref}`,
    type: 'data_record',
    from,
    reported_date: at,
    errors: [],
    tasks: [],
    fields: {},
    sms_message: { type: 'sms_message', message: `hello ${ref}`, from, gateway_ref: ref },
  };
}

export async function putDocs(server: TestServer, docs: MessageDoc[]): Promise<void> {
  for (let i = 0; i < docs.length; i += 500) {
    const res = await server.dbs.medic.bulkDocs(
      docs.slice(i, i + 500) as unknown as PouchDB.Core.PutDocument<object>[],
    );
    const failed = res.filter((r) => 'error' in r && r.error);
    if (failed.length) throw new Error(`writing fixtures failed: ${JSON.stringify(failed[0])}`);
  }
}

export interface Listed {
  id: string;
  doc_id: string;
  to?: string;
  from?: string;
  state?: string;
  reported_date: number;
}

export interface Page {
  messages: Listed[];
  next_cursor: string | null;
}

export async function listPage(
  server: Pick<TestServer, 'url' | 'adminAuth'>,
  query: string,
  cursor?: string | null,
): Promise<Page> {
  const q = cursor ? `${query}&cursor=${encodeURIComponent(cursor)}` : query;
  const res = await api(server, 'GET', `/api/v1/messages?${q}`);
  if (res.status !== 200) throw new Error(`GET /api/v1/messages?${q} → ${res.status}: ${res.text}`);
  return res.body as Page;
}

/** Every item of a listing, page after page. */
export async function listAll(server: Pick<TestServer, 'url' | 'adminAuth'>, query: string): Promise<Listed[]> {
  const out: Listed[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await listPage(server, query, cursor);
    out.push(...page.messages);
    cursor = page.next_cursor;
    if (!cursor) return out;
  }
  throw new Error('listing never ended');
}

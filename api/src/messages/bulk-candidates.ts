/**
 * Where a bulk action finds its messages, a bounded page at a time, so memory stays flat however
 * many there are (https://github.com/medic/cht-core/issues/10428: 62,000 scheduled messages).
 *
 * - Open work (pending, scheduled): the message index's open-work rows, a key range
 *   (outbox/open-work.ts). No view: on the embedded store PouchDB's view builder costs
 *   milliseconds per document and grows without bound on large stores.
 * - Anything else (failed): CHT's `medic/messages_by_state` view, key [state, due ms], so
 *   `due_before` is a key range.
 */
import type { Db } from '../../../shared-libs/couch/index.js';
import type { MessageDoc, MessageState, Task } from '../../../shared-libs/task-utils/types.js';
import type { OpenWork } from '../outbox/open-work.js';
import { taskAgeStart } from '../outbox/mutations.js';

export interface CandidateRow {
  docId: string;
  uuid: string;
  doc: MessageDoc;
}

/** States the open-work index holds. */
export const OPEN_STATES: ReadonlySet<MessageState> = new Set<MessageState>([
  'pending',
  'forwarded-to-gateway',
  'scheduled',
]);

/** Due time as CHT's views compute it (due, else timestamp, else reported_date). */
export const dueOf = (task: Task, doc: MessageDoc): number => taskAgeStart(task, doc);

/** Messages of open-work docs whose task is in one of `states` and due before `dueBefore`. */
export async function* openWorkRows(
  openWork: OpenWork,
  states: ReadonlySet<MessageState>,
  dueBefore: number | undefined,
  pageSize: number,
): AsyncGenerator<CandidateRow[]> {
  for await (const docs of openWork.pages(pageSize)) {
    const rows: CandidateRow[] = [];
    for (const doc of docs) {
      for (const task of [...(doc.tasks ?? []), ...(doc.scheduled_tasks ?? [])]) {
        if (!task.state || !states.has(task.state)) continue;
        if (dueBefore !== undefined && !(dueOf(task, doc) < dueBefore)) continue;
        for (const m of task.messages ?? []) if (m.uuid) rows.push({ docId: doc._id, uuid: m.uuid, doc });
      }
    }
    if (rows.length) yield rows;
  }
}

interface ViewRow {
  id: string;
  key: unknown;
  value: { id?: string } | null;
  doc?: MessageDoc | null;
}

/**
 * Rows [state, due] in key order. Each page starts at the first row not yet handled (its key and
 * doc id), so rows the action moved out of the range are not skipped over; a doc with several
 * messages under one key may show a row again, which the previous page's uuids drop.
 */
export async function* viewRows(
  db: Db,
  state: MessageState,
  dueBefore: number | undefined,
  pageSize: number,
): AsyncGenerator<CandidateRow[]> {
  const endkey = dueBefore === undefined ? [state, {}] : [state, dueBefore];
  let start: { key: unknown; docid?: string } = { key: [state] };
  let lastPage = new Set<string>();
  for (;;) {
    const res = await db.query('medic/messages_by_state', {
      startkey: start.key,
      ...(start.docid ? { startkey_docid: start.docid } : {}),
      endkey,
      inclusive_end: dueBefore === undefined,
      limit: pageSize + 1,
      include_docs: true,
    });
    const rows = (res.rows as unknown as ViewRow[]).slice(0, pageSize);
    const uuidOf = (r: ViewRow): string | undefined => (typeof r.value?.id === 'string' ? r.value.id : undefined);
    const fresh = rows
      .filter((r) => r.doc && uuidOf(r) && !lastPage.has(uuidOf(r) as string))
      .map((r) => ({ docId: r.id, uuid: uuidOf(r) as string, doc: r.doc as MessageDoc }));
    lastPage = new Set(rows.map(uuidOf).filter((id): id is string => !!id));
    if (fresh.length) yield fresh;
    const next = res.rows[pageSize];
    if (!next) return;
    if (next.id === start.docid && JSON.stringify(next.key) === JSON.stringify(start.key)) {
      // One document holds more than a page of messages under one key: a page cannot move past it.
      throw new Error(`Bulk paging stalled at ${next.id}: more than ${pageSize} messages under one key`);
    }
    start = { key: next.key, docid: next.id };
  }
}

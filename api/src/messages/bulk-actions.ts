/**
 * Retry or cancel every queued message a filter selects, e.g. the 62,000 unsendable scheduled
 * messages of https://github.com/medic/cht-core/issues/10428. Candidates come from CHT's
 * `medic/messages_by_state` view (key [state, due ms]) a page at a time, so memory stays flat
 * however many match, and `due_before` is a key range, not a scan. Each page is written before
 * the next is read: an interrupted run leaves whole pages done, and running it again carries on.
 * Every message goes through the same CAS mutation as the single actions, decided again on the
 * fresh document, so `changed` counts only what was really written.
 */
import type { Logger } from 'pino';
import type { Db } from '../../../shared-libs/couch/index.js';
import { normalize } from '../../../shared-libs/phone-number/index.js';
import { findTask } from '../../../shared-libs/task-utils/index.js';
import type { MessageDoc, MessageState, Task } from '../../../shared-libs/task-utils/types.js';
import { AppError } from '../http/errors.js';
import type { AppSettings } from '../settings/schema.js';
import type { Change, QueueActions } from './actions.js';
import { ACTION_STATES, cancelTask, refusal, retryTask } from './queue-rules.js';

export type BulkAction = 'retry' | 'cancel';

export interface BulkFilter {
  state?: MessageState;
  /** Case-insensitive substring of `state_details` or the last error. */
  reason?: string;
  /** ISO time: only messages due before it. */
  due_before?: string;
  to?: string;
}

export interface BulkRequest {
  action: BulkAction;
  filter: BulkFilter;
  dry_run: boolean;
}

export interface BulkResult {
  matched: number;
  changed: number;
}

export interface BulkDeps {
  db: Db;
  actions: QueueActions;
  settings: () => AppSettings;
  now: () => Date;
  logger: Logger;
  /** Rows read per view query. */
  pageSize?: number;
}

interface Candidate {
  docId: string;
  uuid: string;
  /** State is per task: the messages of one task change together. */
  task: string;
}

interface ViewRow {
  id: string;
  key: [string, number | null];
  value: { id?: string; to?: string };
  doc?: MessageDoc;
}

/** What `reason` is looked for in: the state details and the last send error. */
const reasonText = (task: Task): string => {
  const d = task.state_details;
  const details = typeof d === 'string' ? d : d === undefined ? '' : JSON.stringify(d);
  return [details, task.last_error?.message ?? '', task.last_error?.code ?? ''].join('\n').toLowerCase();
};

export class BulkQueueActions {
  private readonly pageSize: number;

  constructor(private readonly deps: BulkDeps) {
    this.pageSize = deps.pageSize ?? 200;
  }

  async run(req: BulkRequest, user: string): Promise<BulkResult> {
    const applicable: readonly MessageState[] = ACTION_STATES[req.action];
    const { state } = req.filter;
    if (state !== undefined && !applicable.includes(state)) {
      const states = applicable.join(' or ');
      throw new AppError(400, `filter.state: ${req.action} applies to ${states} messages, not ${state}`);
    }
    const dueBefore = req.filter.due_before === undefined ? undefined : Date.parse(req.filter.due_before);
    const settings = this.deps.settings();
    const to = req.filter.to === undefined ? undefined : normalize(settings, req.filter.to) || req.filter.to;
    const reason = req.filter.reason?.toLowerCase();
    const now = this.deps.now();
    const note = ' (bulk)';
    const change: Change = req.action === 'retry'
      ? (task, _msg, at) => retryTask(task, user, at, note)
      : (task, _msg, at) => cancelTask(task, user, at, note);
    const pick = (row: ViewRow, s: MessageState): Candidate | undefined => {
      const uuid = row.value.id as string;
      const task = row.doc && findTask(row.doc, uuid);
      const msg = task?.messages?.find((m) => m.uuid === uuid);
      if (!task || !msg || task.state !== s || refusal(req.action, task, now)) return undefined;
      if (to !== undefined && (normalize(settings, msg.to) || msg.to) !== to) return undefined;
      if (reason !== undefined && !reasonText(task).includes(reason)) return undefined;
      return { docId: row.id, uuid, task: `${row.id}\n${task.messages?.[0]?.uuid ?? uuid}` };
    };
    const total: BulkResult = { matched: 0, changed: 0 };
    const progress = { action: req.action, dry_run: req.dry_run };
    let pages = 0;
    for (const s of state ? [state] : applicable) {
      for await (const rows of this.pages(s, dueBefore)) {
        const picked = rows.map((row) => pick(row, s)).filter((c): c is Candidate => !!c);
        total.matched += picked.length;
        if (!req.dry_run) total.changed += await this.change(picked, req.action, change);
        if (++pages % 10 === 0) this.deps.logger.info({ ...progress, ...total }, 'bulk queue action in progress');
      }
    }
    this.deps.logger.info({ ...progress, ...total }, 'bulk queue action done');
    return total;
  }

  /** One page at once (the updater writes it in one or two `_bulk_docs`); each task once. */
  private async change(picked: Candidate[], action: BulkAction, change: Change): Promise<number> {
    const byTask = new Map<string, Candidate[]>();
    for (const c of picked) byTask.set(c.task, [...(byTask.get(c.task) ?? []), c]);
    const counts = await Promise.all(
      [...byTask.values()].map(async (group) => {
        const first = group[0] as Candidate;
        const seen = await this.deps.actions.apply(first.docId, first.uuid, action, change);
        return seen.found && !seen.refused && seen.doc ? group.length : 0;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /**
   * Rows [state, due] in key order, a page at a time. Each page starts at the first row not yet
   * handled (its key and doc id), so rows the action moved out of the range are not skipped over;
   * a doc with several messages under one key may show a row again, which the uuid set drops.
   */
  private async *pages(state: MessageState, dueBefore: number | undefined): AsyncGenerator<ViewRow[]> {
    const endkey = dueBefore === undefined ? [state, {}] : [state, dueBefore];
    let start: { key: unknown; docid?: string } = { key: [state] };
    let lastPage = new Set<string>();
    for (;;) {
      const res = await this.deps.db.query('medic/messages_by_state', {
        startkey: start.key,
        ...(start.docid ? { startkey_docid: start.docid } : {}),
        endkey,
        inclusive_end: dueBefore === undefined,
        limit: this.pageSize + 1,
        include_docs: true,
      });
      const rows = (res.rows as unknown as ViewRow[]).slice(0, this.pageSize);
      const fresh = rows.filter((r) => typeof r.value?.id === 'string' && !lastPage.has(r.value.id));
      lastPage = new Set(rows.map((r) => r.value?.id).filter((id): id is string => typeof id === 'string'));
      if (fresh.length) yield fresh;
      const next = res.rows[this.pageSize];
      if (!next) return;
      if (next.id === start.docid && JSON.stringify(next.key) === JSON.stringify(start.key)) {
        // One document holds more than a page of messages under one key: a page cannot move past it.
        throw new Error(`Bulk paging stalled at ${next.id}: raise the page size above ${this.pageSize}`);
      }
      start = { key: next.key, docid: next.id };
    }
  }
}

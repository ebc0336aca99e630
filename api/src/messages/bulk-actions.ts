/**
 * Retry or cancel every queued message a filter selects, e.g. the 62,000 unsendable scheduled
 * messages of https://github.com/medic/cht-core/issues/10428. Candidates come a bounded page at a
 * time (bulk-candidates.ts), and each page is written before the next is read: an interrupted run
 * leaves whole pages done, and running it again carries on. Every message goes through the same
 * CAS mutation as the single actions, decided again on the fresh document, so `changed` counts
 * only what was really written, whatever the outbox or a delivery report did meanwhile.
 */
import type { Logger } from 'pino';
import type { Db } from '../../../shared-libs/couch/index.js';
import { normalize } from '../../../shared-libs/phone-number/index.js';
import { findTask } from '../../../shared-libs/task-utils/index.js';
import type { MessageState, Task } from '../../../shared-libs/task-utils/types.js';
import { InvalidInputError } from '../errors.js';
import type { OpenWork } from '../outbox/open-work.js';
import type { AppSettings } from '../settings/schema.js';
import type { Change, QueueActions } from './actions.js';
import { OPEN_STATES, openWorkRows, viewRows, type CandidateRow } from './bulk-candidates.js';
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
  openWork: OpenWork;
  actions: QueueActions;
  settings: () => AppSettings;
  now: () => Date;
  logger: Logger;
  /** Docs (open work) or rows (view) read per page. */
  pageSize?: number;
}

interface Candidate {
  docId: string;
  uuid: string;
  /** State is per task: the messages of one task change together. */
  task: string;
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
      const message = `filter.state: ${req.action} applies to ${states} messages, not ${state}`;
      throw new InvalidInputError('filter.state', message);
    }
    const dueBefore = req.filter.due_before === undefined ? undefined : Date.parse(req.filter.due_before);
    const settings = this.deps.settings();
    const to = req.filter.to === undefined ? undefined : normalize(settings, req.filter.to) || req.filter.to;
    const reason = req.filter.reason?.toLowerCase();
    const now = this.deps.now();
    const note = ' (bulk)';
    const change: Change =
      req.action === 'retry'
        ? (task, _msg, at) => retryTask(task, user, at, note)
        : (task, _msg, at) => cancelTask(task, user, at, note);
    const states = new Set<MessageState>(state ? [state] : applicable);
    const pick = (row: CandidateRow): Candidate | undefined => {
      const task = findTask(row.doc, row.uuid);
      const msg = task?.messages?.find((m) => m.uuid === row.uuid);
      if (!task?.state || !msg || !states.has(task.state) || refusal(req.action, task, now)) return undefined;
      if (to !== undefined && (normalize(settings, msg.to) || msg.to) !== to) return undefined;
      if (reason !== undefined && !reasonText(task).includes(reason)) return undefined;
      return { docId: row.docId, uuid: row.uuid, task: `${row.docId}\n${task.messages?.[0]?.uuid ?? row.uuid}` };
    };
    const total: BulkResult = { matched: 0, changed: 0 };
    const progress = { action: req.action, dry_run: req.dry_run };
    let pages = 0;
    for (const source of this.sources(states, dueBefore)) {
      for await (const rows of source) {
        const picked = rows.map(pick).filter((c): c is Candidate => !!c);
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

  /** Open states from the outbox index in one pass; each other state from the view. */
  private sources(
    states: ReadonlySet<MessageState>,
    dueBefore: number | undefined,
  ): Array<AsyncGenerator<CandidateRow[]>> {
    const open = new Set([...states].filter((st) => OPEN_STATES.has(st)));
    const others = [...states].filter((st) => !OPEN_STATES.has(st));
    return [
      ...(open.size ? [openWorkRows(this.deps.openWork, open, dueBefore, this.pageSize)] : []),
      ...others.map((st) => viewRows(this.deps.db, st, dueBefore, this.pageSize)),
    ];
  }
}

/**
 * Listings over the message index: outgoing and incoming, by state(s), by number (full or last
 * digits), stuck; newest first, a page at a time with an opaque cursor. Each listing walks one
 * index range (the most selective its filters allow), reads the documents of the rows it walks,
 * and checks every filter on the document itself, so an item always matches its filters as
 * stored when it is read. A page stops at `limit` items or after MAX_EXAMINED rows (then
 * `next_cursor` continues the walk, and the page may hold fewer than `limit` items).
 */
import type { Db } from '../../../shared-libs/couch/index.js';
import { findTask } from '../../../shared-libs/task-utils/index.js';
import type { MessageDoc } from '../../../shared-libs/task-utils/types.js';
import { InvalidInputError } from '../errors.js';
import { toIncomingView, toOutgoingView, type IncomingView, type OutgoingView } from '../messages/outgoing.js';
import { decodeCursor, encodeCursor, type CursorSpace } from './cursor.js';
import type { MessageIndex } from './indexer.js';
import {
  AWAITING_REPORT,
  digitsOf,
  dueTime,
  HOUR_MS,
  last4,
  lastActivity,
  PREFIX,
  queryDigits,
  SERIES,
  taskState,
  time13,
} from './rows.js';
import { bucketedRows, MergedRows, rangeRows, type Hit } from './scan.js';

export const DEFAULT_STUCK_AFTER_HOURS = 24;
/** Rows one request may walk past without filling its page. */
export const MAX_EXAMINED = 2_000;
/** Digits a `to` query needs: the number bucket is its last four. */
export const MIN_TO_DIGITS = 4;

export interface ListQuery {
  direction: 'incoming' | 'outgoing';
  states?: string[];
  stuck?: boolean;
  to?: string;
  /** Only messages due before this time (ms). */
  dueBefore?: number;
  /** Only messages due after this time (ms). */
  dueAfter?: number;
  limit: number;
  cursor?: string;
}

export type ListedMessage = OutgoingView | IncomingView;

export interface ListPage {
  messages: ListedMessage[];
  next_cursor: string | null;
}

interface Plan {
  space: CursorSpace;
  rows: MergedRows;
  /** Cheap test on the index row, before its document is read. */
  row?: (hit: Hit) => boolean;
  /** The item for a row, or undefined when the document no longer matches. */
  render: (doc: MessageDoc, hit: Hit) => ListedMessage | undefined;
}

export class Listings {
  constructor(
    private readonly medic: Db,
    private readonly index: MessageIndex,
    private readonly stuckAfterHours: () => number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The time before which a message awaiting a report counts as stuck. */
  stuckCutoff(): number {
    return this.now().getTime() - this.stuckAfterHours() * HOUR_MS;
  }

  async list(q: ListQuery): Promise<ListPage> {
    const plan = this.plan(q);
    await this.index.readyForRead();
    try {
      return await this.page(plan, q.limit);
    } finally {
      await plan.rows.close();
    }
  }

  private async page(plan: Plan, limit: number): Promise<ListPage> {
    const items: ListedMessage[] = [];
    let lastExamined: string | undefined;
    let examined = 0;
    for (;;) {
      const batch: Hit[] = [];
      let exhausted = false;
      while (batch.length < Math.min(limit - items.length, 200) && examined < MAX_EXAMINED) {
        const hit = await plan.rows.next();
        if (!hit) {
          exhausted = true;
          break;
        }
        examined++;
        lastExamined = hit.key;
        if (!plan.row || plan.row(hit)) batch.push(hit);
      }
      const docs = await this.docs(batch);
      for (let i = 0; i < batch.length; i++) {
        const hit = batch[i] as Hit;
        const doc = docs.get(hit.d);
        const item = doc ? plan.render(doc, hit) : undefined;
        if (item) items.push(item);
        if (items.length === limit) {
          const more = i < batch.length - 1 || lastExamined !== hit.key || (await plan.rows.peek()) !== undefined;
          return { messages: items, next_cursor: more ? encodeCursor(plan.space, hit.key) : null };
        }
      }
      if (exhausted) return { messages: items, next_cursor: null };
      if (examined >= MAX_EXAMINED) {
        const more = lastExamined !== undefined && (await plan.rows.peek()) !== undefined;
        return { messages: items, next_cursor: more ? encodeCursor(plan.space, lastExamined as string) : null };
      }
    }
  }

  private async docs(hits: Hit[]): Promise<Map<string, MessageDoc>> {
    if (hits.length === 0) return new Map();
    const res = await this.medic.allDocs({ keys: [...new Set(hits.map((h) => h.d))], include_docs: true });
    const out = new Map<string, MessageDoc>();
    for (const row of res.rows) {
      if ('doc' in row && row.doc) out.set(row.id, row.doc as unknown as MessageDoc);
    }
    return out;
  }

  /** Picks the range a query walks and the checks each row's document must pass. */
  private plan(q: ListQuery): Plan {
    const chunk = Math.min(q.limit + 1, 200);
    const toDigits = q.to === undefined ? undefined : queryDigits(q.to);
    if (toDigits !== undefined && toDigits.length < MIN_TO_DIGITS) {
      throw new InvalidInputError('to', `to: give a full number or at least its last ${MIN_TO_DIGITS} digits`);
    }
    const numberRow = (hit: Hit): boolean => toDigits === undefined || (hit.extra ?? '').endsWith(toDigits);
    if (q.direction === 'incoming') {
      if (q.states?.length || q.stuck)
        throw new InvalidInputError(
          q.stuck ? 'stuck' : 'state',
          `${q.stuck ? 'stuck' : 'state'}: applies to outgoing messages only (direction=outgoing)`,
        );
      const space: CursorSpace = toDigits ? 'in-number' : 'in-time';
      const hi = this.cursorKey(q, space);
      const prefix = toDigits ? PREFIX.inNumber(last4(toDigits)) : PREFIX.inAll;
      return {
        space,
        rows: new MergedRows(
          [rangeRows(this.index.rows, { prefix, descending: true, chunk, ...(hi ? { hi } : {}) })],
          true,
        ),
        row: numberRow,
        render: (doc) => {
          const view = toIncomingView(doc);
          return view && (!toDigits || digitsOf(doc.from ?? doc.sms_message?.from).endsWith(toDigits))
            ? view
            : undefined;
        },
      };
    }
    const cutoff = this.stuckCutoff();
    let states = q.states?.length ? [...new Set(q.states)] : undefined;
    if (q.stuck && states) states = states.filter((s) => AWAITING_REPORT.has(s));
    const render = (doc: MessageDoc, hit: Hit): ListedMessage | undefined => {
      const uuid = hit.u as string;
      const task = findTask(doc, uuid);
      if (!task) return undefined;
      const state = taskState(task);
      if (states && !states.includes(state)) return undefined;
      if (q.stuck && !(AWAITING_REPORT.has(state) && lastActivity(task, dueTime(task, doc)) < cutoff)) return undefined;
      if (toDigits && !digitsOf(task.messages?.find((m) => m.uuid === uuid)?.to).endsWith(toDigits)) return undefined;
      if (q.dueBefore !== undefined || q.dueAfter !== undefined) {
        const due = dueTime(task, doc);
        if (q.dueBefore !== undefined && !(due < q.dueBefore)) return undefined;
        if (q.dueAfter !== undefined && !(due > q.dueAfter)) return undefined;
      }
      return toOutgoingView(doc, uuid);
    };
    const idx = this.index.rows;
    if (toDigits) {
      const hi = this.cursorKey(q, 'out-number');
      const rows = rangeRows(idx, {
        prefix: PREFIX.outNumber(last4(toDigits)),
        descending: true,
        chunk,
        ...(hi ? { hi } : {}),
      });
      return { space: 'out-number', rows: new MergedRows([rows], true), row: numberRow, render };
    }
    if (q.stuck) {
      const after = this.cursorKey(q, 'out-stuck');
      const hi = after !== undefined && after < time13(cutoff) ? after : time13(cutoff);
      const sources =
        states?.length === 0
          ? []
          : [
              bucketedRows(idx, this.index.counts, SERIES.awaiting, {
                prefix: PREFIX.awaiting,
                descending: true,
                chunk,
                hi,
              }),
            ];
      return { space: 'out-stuck', rows: new MergedRows(sources, true), render };
    }
    // Keys start with the due time: due bounds narrow the range walked (render checks them exactly).
    const after = this.cursorKey(q, 'out-due');
    const dueHi = q.dueBefore !== undefined ? time13(q.dueBefore) : undefined;
    const hi = after !== undefined && dueHi !== undefined ? (after < dueHi ? after : dueHi) : (after ?? dueHi);
    const lo = q.dueAfter !== undefined ? time13(q.dueAfter + 1) : undefined;
    const bounds = { ...(hi ? { hi } : {}), ...(lo ? { lo } : {}) };
    if (states) {
      const sources = states.map((s) =>
        bucketedRows(idx, this.index.counts, SERIES.state(s), {
          prefix: PREFIX.outState(s),
          descending: true,
          chunk,
          ...bounds,
        }),
      );
      return { space: 'out-due', rows: new MergedRows(sources, true), render };
    }
    return {
      space: 'out-due',
      rows: new MergedRows([rangeRows(idx, { prefix: PREFIX.outAll, descending: true, chunk, ...bounds })], true),
      render,
    };
  }

  private cursorKey(q: ListQuery, space: CursorSpace): string | undefined {
    return q.cursor === undefined ? undefined : decodeCursor(q.cursor, space);
  }
}

/**
 * What the message index holds for one document: a pure function of the document, so the
 * indexer only has to compare the rows a document needs now with the rows it had (its manifest).
 *
 * Every row key is `<prefix><key>` where key = `<13-digit ms time>:<tie-break>` sorts the rows of a
 * listing; a row may carry extra data after `\u0001` (below every key character, so it never
 * changes the order). One row per outgoing message (uuid) in each of:
 *   o:a:<due>:<uuid>                      every outgoing message, by due time
 *   o:s:<state>:<due>:<uuid>              by state, by due time (the key of CHT's medic/messages_by_state)
 *   o:n:<last 4 digits>:<due>:<uuid>␁<digits>   by the recipient's number
 *   o:w:<last activity>:<uuid>            awaiting a report (sent, forwarded-by-gateway), by the time
 *                                         of the last state change or report: what `stuck` reads
 *   u:<uuid>                              the doc holding the message, when its id is not the uuid
 *   g:<gateway ref, URI-encoded>:<uuid>   the message a provider reference names: the task's
 *                                         gateway_ref and its previous_gateway_refs (an operator's
 *                                         retry keeps them, so a late report for one is still found)
 *   h:<gateway ref, URI-encoded>          the same, one key per reference: a point read instead of a
 *                                         range read for a delivery report. A hint: the message that
 *                                         added it last, and any message dropping the reference
 *                                         deletes it, so present means right and absent means "read
 *                                         the g: range" (an index written before hints has none)
 * and per incoming message (a data_record with an sms_message):
 *   i:a:<reported>:<doc id>               every incoming message, by reported_date
 *   i:n:<last 4 digits>:<reported>:<doc id>␁<digits>   by the sender's number
 * and per document the outbox may still have to act on (a task it may send, or one scheduled;
 * `hasOpenWork`), whatever its type, except this server's own `sms-` bookkeeping:
 *   w:<doc id>                            what the outbox's sweeps read (outbox/open-work.ts)
 * and per document of delivery reports parked until their send result lands (reports/status-updates.ts):
 *   p:<gateway ref, URI-encoded>          so a send result asks the index, not the database
 * and per provider exchange (observability/exchanges.ts), for each message it concerns:
 *   x:<message id, URI-encoded>:<exchange doc id's suffix>   oldest first (the suffix starts with a time)
 * Due time is CHT's: `task.due || task.timestamp || doc.reported_date`.
 */
import { hasOpenWork } from '../../../shared-libs/task-utils/index.js';
import type { MessageDoc, Task } from '../../../shared-libs/task-utils/types.js';

export interface RowBody {
  /** The message document's id. */
  d: string;
  /** The outgoing message's uuid. */
  u?: string;
}

export interface IndexRow extends RowBody {
  key: string;
}

export const HOUR_MS = 3_600_000;
export const EXTRA = '\u0001';
/** Sorts after every key: the open end of a range. */
export const HIGH = '\uffff';

/** The states that wait for a delivery report; a message in one of them too long is stuck. */
export const AWAITING_REPORT: ReadonlySet<string> = new Set(['sent', 'forwarded-by-gateway']);

export const PREFIX = {
  outAll: 'o:a:',
  outState: (state: string): string => `o:s:${encodeState(state)}:`,
  outNumber: (last4: string): string => `o:n:${last4}:`,
  awaiting: 'o:w:',
  uuid: 'u:',
  gatewayRef: (ref: string): string => `g:${encodeURIComponent(ref)}:`,
  refHint: (ref: string): string => `h:${encodeURIComponent(ref)}`,
  inAll: 'i:a:',
  inNumber: (last4: string): string => `i:n:${last4}:`,
  exchange: (messageId: string): string => `x:${encodeURIComponent(messageId)}:`,
  openWork: 'w:',
  parked: (ref: string): string => `p:${encodeURIComponent(ref)}`,
} as const;

/** The provider exchange log's documents (`sms-exchange:<time>:<random>`, observability/exchanges.ts). */
export const EXCHANGE_DOC_PREFIX = 'sms-exchange:';
/** Delivery reports waiting for their send result (`sms-parked-reports:<ref>`, type `sms_parked_reports`). */
export const PARKED_DOC_PREFIX = 'sms-parked-reports:';

/** Series whose rows come and go as states change: counted per hour, so scans can skip empty hours. */
export const SERIES = {
  state: (state: string): string => `s:${encodeState(state)}`,
  awaiting: 'w',
  incoming: 'i',
} as const;

/** CHT states are `[a-z-]`; anything else is made safe for use inside an id. */
export function encodeState(state: string): string {
  return state.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** A time as 13 zero-padded digits (ms), clamped to what 13 digits hold. */
export function time13(ms: number): string {
  const t = Number.isFinite(ms) ? Math.min(Math.max(Math.floor(ms), 0), 9_999_999_999_999) : 0;
  return String(t).padStart(13, '0');
}

const parseTime = (v: unknown): number =>
  typeof v === 'string' ? Date.parse(v) : typeof v === 'number' ? v : Number.NaN;

/** CHT's due time for a task (medic/messages_by_state). */
export function dueTime(task: Task, doc: Pick<MessageDoc, 'reported_date'>): number {
  const t = parseTime(task.due || task.timestamp || doc.reported_date);
  return Number.isFinite(t) ? t : 0;
}

/** When the message was last heard of: its last state change or report, whichever is later. */
export function lastActivity(task: Task, due: number): number {
  let t = Number.NaN;
  const history = task.state_history ?? [];
  const last = history[history.length - 1];
  if (last) t = parseTime(last.timestamp);
  for (const r of task.delivery_reports ?? []) {
    const at = parseTime(r.timestamp);
    if (Number.isFinite(at) && !(at <= t)) t = at;
  }
  return Number.isFinite(t) ? t : due;
}

/** The digits of a stored number (`+254 712-345678` → `254712345678`). */
export const digitsOf = (n: unknown): string => (typeof n === 'string' ? n.replace(/\D/g, '') : '');

/**
 * The digits a `to` query matches as a suffix. A full number in national form drops its trunk
 * zero (`0712 345 678` → `712345678`), so it finds `+254712345678` as the international form does;
 * a few last digits (`000832`) are taken as they are.
 */
export function queryDigits(q: string): string {
  const digits = digitsOf(q);
  return !q.trim().startsWith('+') && digits.length >= 8 ? digits.replace(/^0+/, '') : digits;
}

/** The bucket a number's rows live in. */
export const last4 = (digits: string): string => digits.slice(-4);

/** Splits a row id into its listing key (`<time>:<tie-break>`) and extra data, given its prefix. */
export function splitRow(id: string, prefix: string): { key: string; extra?: string } {
  const rest = id.slice(prefix.length);
  const at = rest.indexOf(EXTRA);
  return at < 0 ? { key: rest } : { key: rest.slice(0, at), extra: rest.slice(at + 1) };
}

/** The state a task is listed under (CHT's count views use `received` for a task without one). */
export const taskState = (task: Task): string => task.state ?? 'received';

function outgoingRows(doc: MessageDoc, rows: IndexRow[]): void {
  for (const task of [...(doc.tasks ?? []), ...(doc.scheduled_tasks ?? [])]) {
    const due = dueTime(task, doc);
    const state = taskState(task);
    for (const m of task.messages ?? []) {
      if (!m?.uuid) continue;
      const body = { d: doc._id, u: m.uuid };
      const key = `${time13(due)}:${m.uuid}`;
      rows.push({ key: PREFIX.outAll + key, ...body }, { key: PREFIX.outState(state) + key, ...body });
      const digits = digitsOf(m.to);
      if (digits) rows.push({ key: `${PREFIX.outNumber(last4(digits))}${key}${EXTRA}${digits}`, ...body });
      if (AWAITING_REPORT.has(state))
        rows.push({ key: `${PREFIX.awaiting}${time13(lastActivity(task, due))}:${m.uuid}`, ...body });
      if (m.uuid !== doc._id) rows.push({ key: PREFIX.uuid + m.uuid, d: doc._id });
      for (const ref of [task.gateway_ref, ...(task.previous_gateway_refs ?? [])])
        if (ref) rows.push({ key: PREFIX.gatewayRef(ref) + m.uuid, ...body }, { key: PREFIX.refHint(ref), ...body });
    }
  }
}

function incomingRows(doc: MessageDoc, rows: IndexRow[]): void {
  if (!doc.sms_message?.gateway_ref) return;
  const key = `${time13(parseTime(doc.reported_date))}:${doc._id}`;
  rows.push({ key: PREFIX.inAll + key, d: doc._id });
  const digits = digitsOf(doc.from ?? doc.sms_message.from);
  if (digits) rows.push({ key: `${PREFIX.inNumber(last4(digits))}${key}${EXTRA}${digits}`, d: doc._id });
}

/** One row per message the document's exchanges concern (one exchange, or a batch of them). */
function exchangeRows(doc: { _id: string; message_ids?: unknown; exchanges?: unknown }, rows: IndexRow[]): void {
  const suffix = doc._id.slice(EXCHANGE_DOC_PREFIX.length);
  const entries: unknown[] = Array.isArray(doc.exchanges) ? doc.exchanges : [doc];
  const messages = new Set<string>();
  for (const entry of entries) {
    const ids: unknown = (entry as { message_ids?: unknown } | null)?.message_ids;
    for (const m of Array.isArray(ids) ? ids : []) if (typeof m === 'string' && m) messages.add(m);
  }
  for (const m of messages) rows.push({ key: PREFIX.exchange(m) + suffix, d: doc._id });
}

/** Every row a document needs; none for documents that hold no message. */
export function indexRows(doc: MessageDoc | undefined): IndexRow[] {
  if (!doc || doc._deleted) return [];
  const type: unknown = doc.type;
  const rows: IndexRow[] = [];
  if (!doc._id.startsWith('sms-') && hasOpenWork(doc)) rows.push({ key: PREFIX.openWork + doc._id, d: doc._id });
  if ((type === 'sms_exchange' || type === 'sms_exchanges') && doc._id.startsWith(EXCHANGE_DOC_PREFIX)) {
    exchangeRows(doc, rows);
  } else if (type === 'sms_parked_reports' && doc._id.startsWith(PARKED_DOC_PREFIX)) {
    const ref: unknown = doc.gateway_ref;
    if (typeof ref === 'string' && ref) rows.push({ key: PREFIX.parked(ref), d: doc._id });
  } else if (type === 'data_record') {
    incomingRows(doc, rows);
    outgoingRows(doc, rows);
  }
  // One key twice (two tasks holding one uuid, an exchange naming a message twice) is one write.
  return [...new Map(rows.map((r) => [r.key, r])).values()];
}

/** The counted series and hour of a row, for the rows whose series churn or are counted. */
export function bucketOf(id: string): { series: string; hour: number } | undefined {
  const hourOf = (t: string): number => Math.floor(Number(t) / HOUR_MS);
  if (id.startsWith('o:s:')) {
    const [, , state, t] = id.split(':');
    return state !== undefined && t !== undefined ? { series: `s:${state}`, hour: hourOf(t) } : undefined;
  }
  if (id.startsWith(PREFIX.awaiting)) return { series: SERIES.awaiting, hour: hourOf(id.slice(4, 17)) };
  if (id.startsWith(PREFIX.inAll)) return { series: SERIES.incoming, hour: hourOf(id.slice(4, 17)) };
  return undefined;
}

/** Documents the indexer never reads: design and local docs, and this server's own bookkeeping. */
export function mayHoldMessages(id: string): boolean {
  if (id.startsWith('_') || id === 'settings') return false;
  return (
    !id.startsWith('sms-') ||
    id.startsWith('sms-in:') ||
    id.startsWith(EXCHANGE_DOC_PREFIX) ||
    id.startsWith(PARKED_DOC_PREFIX)
  );
}

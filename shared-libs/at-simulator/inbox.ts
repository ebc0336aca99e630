/**
 * The inbox behind AT's fetch API (https://developers.africastalking.com/docs/sms/fetch_messages):
 * every incoming message gets the next integer id; readers page through it oldest first by
 * `lastReceivedId`. Clearing keeps the counter, so ids are never reused within a run.
 */
import { BoundedLog } from './bounded-log.js';
import { InputError, isObject, optionalString, requestObject } from './checks.js';
import type { InboxMessage, InboxSeed, InboxSeedMessage } from './record-types.js';

/** AT's documented default shortcode, where a message names no `to`. */
export const DEFAULT_TO = '20414';
export const DEFAULT_FROM = '+254700000001';
const MAX_SEED = 100_000;
const MINUTE_MS = 60_000;

export class Inbox {
  private readonly messages: BoundedLog<InboxMessage>;
  private nextId: number;

  constructor(firstId: number, maxRecords: number) {
    this.nextId = firstId;
    this.messages = new BoundedLog(maxRecords);
  }

  add(m: Omit<InboxMessage, 'id'>): InboxMessage {
    // Keys in the order of AT's sample.
    const { linkId, text, to, date, from } = m;
    const stored: InboxMessage = { linkId, text, to, id: this.nextId++, date, from };
    this.messages.push(stored);
    return { ...stored };
  }

  /** Up to `limit` messages with an id above `lastReceivedId`, oldest first. */
  after(lastReceivedId: number, limit: number): InboxMessage[] {
    const all = this.messages.list();
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (all[mid].id <= lastReceivedId) lo = mid + 1;
      else hi = mid;
    }
    return all.slice(lo, lo + limit).map((m) => ({ ...m }));
  }

  list(): InboxMessage[] {
    return this.messages.list().map((m) => ({ ...m }));
  }

  setMax(max: number): void {
    this.messages.setMax(max);
  }

  clear(): void {
    this.messages.clear();
  }
}

function seedMessage(o: unknown, index: number): InboxSeedMessage {
  if (!isObject(o)) throw new InputError(`'messages[${index}]' must be an object`);
  const field = (name: keyof InboxSeedMessage): string | undefined =>
    optionalString(o[name], `messages[${index}].${name}`);
  return { from: field('from'), to: field('to'), text: field('text'), date: field('date'), linkId: field('linkId') };
}

/** Validates a seed request and expands it to one message per entry; dates a minute apart up to now. */
export function expandSeed(input: unknown, now: number): Array<Omit<InboxMessage, 'id'>> {
  const o = requestObject(input, 'inbox seed') as InboxSeed & Record<string, unknown>;
  let entries: InboxSeedMessage[];
  if (o.messages !== undefined) {
    if (o.count !== undefined) throw new InputError("give either 'count' or 'messages'");
    if (!Array.isArray(o.messages) || o.messages.length > MAX_SEED)
      throw new InputError(`'messages' must be an array of at most ${MAX_SEED} objects`);
    entries = o.messages.map(seedMessage);
  } else {
    const { count } = o;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_SEED)
      throw new InputError(`'count' must be an integer 1..${MAX_SEED}`);
    const shared = { from: optionalString(o.from, 'from'), to: optionalString(o.to, 'to') };
    const text = optionalString(o.text, 'text');
    entries = Array.from({ length: count }, () => ({ ...shared, text }));
  }
  return entries.map((e, i) => ({
    linkId: e.linkId ?? '',
    text: e.text ?? `old message ${i + 1}`,
    to: e.to ?? DEFAULT_TO,
    date: e.date ?? new Date(now - (entries.length - i) * MINUTE_MS).toISOString(),
    from: e.from ?? DEFAULT_FROM,
  }));
}

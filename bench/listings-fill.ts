/**
 * The store the listings benchmark reads: n messages written straight into the database while no
 * server runs, half outgoing in CHT's mixed states (some awaiting a report for two days: stuck),
 * half incoming, over the last 30 days, to and from a pool of numbers; sent messages carry a
 * provider reference, so delivery reports find them.
 */
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../shared-libs/couch/index.js';
import type { MessageDoc, MessageState, Task } from '../shared-libs/task-utils/types.js';
import { atRef, kenyanNumber } from './store.js';

const DAY = 86_400_000;
/** Distinct numbers: several messages per number, as CHWs get. */
export const NUMBER_POOL = 20_000;

/** Twenty slots: the share of each state among outgoing messages (in 5 % steps). */
const STATES: MessageState[] = [
  'pending',
  'pending',
  'scheduled',
  'forwarded-to-gateway',
  'sent',
  'sent',
  'sent',
  'sent',
  'sent',
  'forwarded-by-gateway',
  'delivered',
  'delivered',
  'delivered',
  'delivered',
  'delivered',
  'delivered',
  'failed',
  'failed',
  'denied',
  'received-by-gateway',
];

export interface FilledStore {
  outgoing: number;
  incoming: number;
  /** Sent messages a delivery report can move (AT reference and number). */
  sent: Array<{ ref: string; to: string }>;
}

export const poolNumber = (i: number): string => kenyanNumber(i % NUMBER_POOL);

function outgoing(i: number, now: number): { doc: MessageDoc; sent?: { ref: string; to: string } } {
  const state = STATES[i % STATES.length] as MessageState;
  const due = now - ((i * 7919) % (30 * DAY));
  const to = poolNumber(i);
  const uuid = uuidv7();
  // Half the messages as our API writes them (doc id = uuid), half as CHT's webapp does.
  const docId = i % 2 ? uuid : uuidv7();
  const at = (t: number): string => new Date(t).toISOString();
  // Half the messages awaiting a report were last heard of two days ago (stuck), half an hour ago.
  const awaiting = state === 'sent' || state === 'forwarded-by-gateway';
  const stuck = Math.floor(i / STATES.length) % 2 === 0;
  const heard = awaiting ? (stuck ? Math.max(due, now - 2 * DAY) : now - 1_800_000) : Math.min(now, due + 60_000);
  const task: Task = {
    messages: [{ uuid, to, message: `Bench ${i}: please bring the child's card to the clinic on Tuesday.` }],
    state,
    state_history: [
      { state: 'pending', timestamp: at(due) },
      ...(state === 'pending' ? [] : [{ state, timestamp: at(Math.max(due, heard)) }]),
    ],
  };
  const doc: MessageDoc = {
    _id: docId,
    type: 'data_record',
    form: null,
    kujua_message: true,
    sent_by: 'bench',
    reported_date: due,
    errors: [],
  };
  if (state === 'scheduled') {
    task.due = at(now + ((i * 104_729) % (14 * DAY)));
    task.state_history = [{ state: 'scheduled', timestamp: at(due) }];
    doc.scheduled_tasks = [task];
  } else {
    doc.tasks = [task];
  }
  if (state !== 'sent') return { doc };
  const ref = atRef(i);
  task.gateway_ref = ref;
  return { doc, sent: { ref, to } };
}

function incoming(i: number, now: number): MessageDoc {
  const from = poolNumber(i * 7);
  const id = `bench-in-${i}`;
  return {
    _id: `sms-in:${id}`,
    type: 'data_record',
    from,
    errors: [],
    tasks: [],
    fields: {},
    reported_date: now - ((i * 6007) % (30 * DAY)),
    sms_message: { type: 'sms_message', message: `VISIT ${i} child seen at home`, from, gateway_ref: id },
  };
}

/** Writes n messages (and the reference docs of the sent ones), 1,000 docs per `bulkDocs`. */
export async function fillListingsStore(db: Db, n: number, now = Date.now()): Promise<FilledStore> {
  const half = Math.floor(n / 2);
  const out: FilledStore = { outgoing: half, incoming: n - half, sent: [] };
  let batch: object[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const res = await db.bulkDocs(batch);
    const failed = res.filter((r) => 'error' in r && r.error);
    if (failed.length) throw new Error(`listings fill: ${failed.length} docs failed to write`);
    batch = [];
  };
  for (let i = 0; i < n; i++) {
    if (i < half) {
      const o = outgoing(i, now);
      batch.push(o.doc);
      if (o.sent) out.sent.push(o.sent);
    } else {
      batch.push(incoming(i - half, now));
    }
    if (batch.length >= 1000) await flush();
  }
  await flush();
  return out;
}

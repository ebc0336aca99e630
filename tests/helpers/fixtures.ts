/**
 * Documents as other CHT writers store them (the webapp, sentinel, a replicated store), for
 * tests that must not go through our own API.
 */
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../../shared-libs/couch/index.js';

export interface WebappMessageOptions {
  to?: string;
  message?: string;
  /** reported_date (ms); the outbox's "due" for a task without one. */
  due?: number;
  state?: string;
  /** Give the task its first history entry, as our API does (CHT's webapp test fixtures have none). */
  withHistory?: boolean;
}

/** A CHT webapp-style outgoing message doc: one task, one message, its own uuid. */
export function webappMessageDoc(opts: WebappMessageOptions = {}): {
  doc: { _id: string; [k: string]: unknown };
  uuid: string;
} {
  const uuid = uuidv7();
  const state = opts.state ?? 'pending';
  const task: Record<string, unknown> = {
    messages: [{ uuid, to: opts.to ?? '+254712000111', message: opts.message ?? `text for ${uuid}` }],
    state,
  };
  if (opts.withHistory) task.state_history = [{ state, timestamp: new Date().toISOString() }];
  const doc = {
    _id: uuidv7(),
    type: 'data_record',
    kujua_message: true,
    form: null,
    reported_date: opts.due ?? Date.now(),
    tasks: [task],
  };
  return { doc, uuid };
}

/** Writes one straight into the database; returns the message uuid. */
export async function putWebappMessage(db: Db, opts: WebappMessageOptions = {}): Promise<string> {
  const { doc, uuid } = webappMessageDoc(opts);
  await db.put(doc);
  return uuid;
}

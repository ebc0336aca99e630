/**
 * Broadcasts and the messages they create, as RapidPro keeps them. A message's status is worked
 * out when it is read: each step of its plan follows the previous one `stepDelayMs` later, so no
 * timers run and `modified_on` is the time the current status was reached.
 */
import { randomUUID } from 'node:crypto';
import { BoundedLog } from '../at-simulator/bounded-log.js';
import { SENT_STATUSES, statusPlan } from './plans.js';
import type { Broadcast, BroadcastView, Message, MessageStatus } from './types.js';

interface StoredMessage {
  id: number;
  broadcast: number;
  urn: string;
  contactUuid: string;
  text: string;
  createdAt: number;
  plan: readonly MessageStatus[];
  step: number;
  /** When the current step was reached. */
  stepAt: number;
  sentAt: number | null;
}

interface StoredBroadcast {
  id: number;
  urns: string[];
  text: string;
  createdAt: number;
  messages: StoredMessage[];
}

/** RapidPro prints datetimes with microseconds: `2016-01-06T15:33:00.813162Z`. */
export const rapidProDate = (ms: number): string => new Date(ms).toISOString().replace('Z', '000Z');

const CHANNEL = { uuid: randomUUID(), name: 'Simulated channel' };

export class Store {
  private nextId: number;
  private readonly broadcasts: BoundedLog<StoredBroadcast>;
  private readonly contacts = new Map<string, string>();

  constructor(firstId: number, max: number) {
    this.nextId = firstId;
    this.broadcasts = new BoundedLog(max);
  }

  /** One message per distinct urn. Broadcasts and messages share one id sequence, so never clash. */
  create(urns: string[], text: string, now: number): Broadcast {
    const id = this.nextId++;
    const messages = [...new Set(urns)].map((urn): StoredMessage => ({
      id: this.nextId++,
      broadcast: id,
      urn,
      contactUuid: this.contactFor(urn),
      text,
      createdAt: now,
      plan: statusPlan(urn),
      step: 0,
      stepAt: now,
      sentAt: null,
    }));
    const stored: StoredBroadcast = { id, urns: [...urns], text, createdAt: now, messages };
    this.broadcasts.push(stored);
    return broadcastOf(stored);
  }

  /** Every broadcast, newest first, with its messages caught up to `now`. */
  views(now: number, stepMs: number | null): BroadcastView[] {
    return this.newestFirst().map((b) => {
      for (const m of b.messages) catchUp(m, now, stepMs);
      return { ...broadcastOf(b), messages: b.messages.map(messageOf) };
    });
  }

  /** Every message, newest first, caught up to `now`. */
  messages(now: number, stepMs: number | null): Message[] {
    return this.newestFirst().flatMap((b) =>
      [...b.messages].reverse().map((m) => {
        catchUp(m, now, stepMs);
        return messageOf(m);
      }),
    );
  }

  /** Moves messages on by `steps` now (after catching up); returns the ones that moved. */
  advance(now: number, stepMs: number | null, steps: number, broadcast?: number): Message[] {
    const moved: Message[] = [];
    for (const b of this.broadcasts.list()) {
      if (broadcast !== undefined && b.id !== broadcast) continue;
      for (const m of b.messages) {
        catchUp(m, now, stepMs);
        const from = m.step;
        for (let i = 0; i < steps && m.step < m.plan.length - 1; i++) enter(m, m.step + 1, now);
        if (m.step !== from) moved.push(messageOf(m));
      }
    }
    return moved;
  }

  setMax(max: number): void {
    this.broadcasts.setMax(max);
  }

  clear(): void {
    this.broadcasts.clear();
  }

  private newestFirst(): StoredBroadcast[] {
    return this.broadcasts.list().reverse();
  }

  private contactFor(urn: string): string {
    let uuid = this.contacts.get(urn);
    if (!uuid) {
      uuid = randomUUID();
      this.contacts.set(urn, uuid);
    }
    return uuid;
  }
}

function enter(m: StoredMessage, step: number, at: number): void {
  m.step = step;
  m.stepAt = at;
  if (m.sentAt === null && SENT_STATUSES.has(m.plan[step])) m.sentAt = at;
}

function catchUp(m: StoredMessage, now: number, stepMs: number | null): void {
  if (stepMs === null) return;
  while (m.step < m.plan.length - 1 && m.stepAt + stepMs <= now) enter(m, m.step + 1, m.stepAt + stepMs);
}

function broadcastOf(b: StoredBroadcast): Broadcast {
  const statuses = b.messages.map((m) => m.plan[m.step]);
  const status = statuses.every((s) => s === 'failed')
    ? 'failed'
    : statuses.some((s) => s === 'queued' || s === 'errored')
      ? 'queued'
      : 'sent';
  const created_on = rapidProDate(b.createdAt);
  return { id: b.id, urns: [...b.urns], contacts: [], groups: [], text: b.text, status, created_on };
}

function messageOf(m: StoredMessage): Message {
  return {
    id: m.id,
    broadcast: m.broadcast,
    contact: { uuid: m.contactUuid, name: null },
    urn: m.urn,
    channel: { ...CHANNEL },
    direction: 'out',
    type: 'text',
    status: m.plan[m.step],
    visibility: 'visible',
    text: m.text,
    labels: [],
    attachments: [],
    created_on: rapidProDate(m.createdAt),
    sent_on: m.sentAt === null ? null : rapidProDate(m.sentAt),
    modified_on: rapidProDate(m.stepAt),
  };
}

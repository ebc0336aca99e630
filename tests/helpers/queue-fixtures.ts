/**
 * Outgoing messages in any state, written straight into the database as CHT (or an earlier run
 * of the outbox) would have left them, for the queue-action specs.
 */
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../../shared-libs/couch/index.js';
import type { Task } from '../../shared-libs/task-utils/types.js';
import { api, type TestServer } from './test-server.js';

export interface QueuedFixture {
  state: string;
  to?: string;
  message?: string;
  /** ISO due time; makes it a scheduled task (in `scheduled_tasks`). */
  due?: string;
  /** Extra task fields: attempts, next_attempt_at, lease, state_details, last_error, gateway_ref. */
  task?: Partial<Task>;
  /** More messages in the same task. */
  extraRecipients?: string[];
}

export interface QueuedDoc {
  doc: Record<string, unknown> & { _id: string };
  uuid: string;
  uuids: string[];
}

/** The doc for one fixture; the first message's uuid is `uuid`. */
export function queuedDoc(f: QueuedFixture): QueuedDoc {
  const uuid = uuidv7();
  const to = f.to ?? '+254712000111';
  const messages = [{ uuid, to, message: f.message ?? `text for ${uuid}` }];
  const text = messages[0]?.message ?? '';
  for (const other of f.extraRecipients ?? []) messages.push({ uuid: uuidv7(), to: other, message: text });
  const task = {
    messages,
    state: f.state,
    state_history: [{ state: f.state, timestamp: new Date(Date.now() - 60_000).toISOString() }],
    ...(f.due ? { due: f.due } : {}),
    ...f.task,
  };
  const doc = {
    _id: uuidv7(),
    type: 'data_record',
    kujua_message: true,
    form: null,
    reported_date: Date.now() - 60_000,
    ...(f.due ? { scheduled_tasks: [task], tasks: [] } : { tasks: [task] }),
  };
  return { doc, uuid, uuids: messages.map((m) => m.uuid) };
}

export async function putQueued(db: Db, f: QueuedFixture): Promise<string> {
  const { doc, uuid } = queuedDoc(f);
  await db.put(doc);
  return uuid;
}

/** The administrator's user name, as the server sees it (the basic auth user). */
export function adminName(server: Pick<TestServer, 'adminAuth'>): string {
  return (
    Buffer.from(server.adminAuth.replace(/^Basic /, ''), 'base64')
      .toString('utf8')
      .split(':')[0] ?? ''
  );
}

export interface ChannelView {
  paused: boolean;
  reason: string | null;
  by: string | null;
  at: string | null;
  circuit: { state: string };
}

type Target = Pick<TestServer, 'url' | 'adminAuth'>;

export async function setPaused(server: Target, paused: boolean, reason?: string): Promise<ChannelView> {
  const res = await api(server, 'PUT', '/api/v1/sms/channel', { paused, ...(reason ? { reason } : {}) });
  if (res.status !== 200) throw new Error(`PUT /api/v1/sms/channel: ${res.status} ${res.text}`);
  return res.body as ChannelView;
}

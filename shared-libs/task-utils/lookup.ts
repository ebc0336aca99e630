import type { MessageDoc, Task } from './types.js';

/**
 * The task holding the message with this uuid. Searches `tasks` then `scheduled_tasks`, the order
 * CHT's messaging service uses when applying state updates
 * (https://github.com/medic/cht-core/blob/master/api/src/services/messaging.js).
 */
export function findTask(doc: Pick<MessageDoc, 'tasks' | 'scheduled_tasks'>, uuid: string): Task | undefined {
  for (const list of [doc.tasks, doc.scheduled_tasks]) {
    const found = list?.find((task) => task.messages?.some((m) => m.uuid === uuid));
    if (found) return found;
  }
  return undefined;
}

/**
 * Whether the outgoing queue should offer this task: the states CHT's `messages_by_state` view
 * groups as `pending-or-forwarded`, with a message that has uuid, to and text (our copy of the view:
 * shared-libs/couch/ddocs/medic/views/messages_by_state/map.js).
 */
export function isSendable(task: Task): boolean {
  if (task.state !== 'pending' && task.state !== 'forwarded-to-gateway') return false;
  return (task.messages ?? []).some((m) => Boolean(m.uuid && m.to && m.message));
}

/**
 * True when a doc has a task the outbox may still have to act on: one it may send, or one
 * scheduled for later (CHT's `scheduled_tasks`, or a task in state `scheduled`).
 */
export function hasOpenWork(doc: Pick<MessageDoc, 'tasks' | 'scheduled_tasks'>): boolean {
  return [...(doc.tasks ?? []), ...(doc.scheduled_tasks ?? [])].some((t) => isSendable(t) || t.state === 'scheduled');
}

/**
 * What an administrator may do to one queued message, decided on the task as stored, and the
 * task changes each action makes. Pure: the CAS updater may run them more than once.
 *
 * CHT's admin "Outgoing messages" page can only look (https://github.com/medic/cht-core/issues/3180,
 * https://github.com/medic/cht-core/issues/10428); these are the actions it lacks. `cleared` is
 * CHT's state for a message that will not be sent
 * (https://docs.communityhealthtoolkit.org/building/messaging/sms-states/).
 */
import type { TruncatedMessage } from '../../../shared-libs/message-utils/index.js';
import { setTaskState } from '../../../shared-libs/task-utils/index.js';
import type { MessageState, OutgoingMessage, StateDetails, Task } from '../../../shared-libs/task-utils/types.js';

export type QueueAction = 'retry' | 'cancel' | 'edit';

/** The states each action can apply to (retry of `pending` only while it waits between attempts). */
export const ACTION_STATES = {
  retry: ['failed', 'pending'],
  cancel: ['pending', 'scheduled'],
  edit: ['pending', 'scheduled'],
} as const satisfies Record<QueueAction, readonly MessageState[]>;

/** A provider request for this task is in flight: its claim (lease) has not run out. */
export function leaseHeld(task: Task, now: Date): boolean {
  return !!task.lease && Date.parse(task.lease.until) > now.getTime();
}

/** Pending after a failed attempt, or held back until `next_attempt_at`. */
export function backingOff(task: Task, now: Date): boolean {
  if (task.state !== 'pending') return false;
  const waiting = !!task.next_attempt_at && Date.parse(task.next_attempt_at) > now.getTime();
  return waiting || (task.attempts ?? 0) > 0;
}

/** Why `action` does not apply to this task now, in words for the operator; undefined when it does. */
export function refusal(action: QueueAction, task: Task, now: Date): string | undefined {
  const state = task.state ?? 'without a state';
  if (leaseHeld(task, now)) {
    return 'it is being sent now (a request to the provider is in flight); try again once its result is in';
  }
  switch (action) {
    case 'retry':
      if (state === 'failed' || backingOff(task, now)) return undefined;
      if (state === 'pending') return 'it is already waiting to go out, with no failed attempt to retry';
      return `retry applies to failed messages and to pending ones waiting between attempts; this one is ${state}`;
    case 'cancel':
    case 'edit':
      if (state === 'pending' || state === 'scheduled') return undefined;
      if (state === 'forwarded-to-gateway') return 'it has been handed to the gateway app, which may be sending it';
      return `${action} applies to pending or scheduled messages; this one is ${state}`;
  }
}

/** A history entry naming the user: a state change through CHT's setTaskState, else appended as is. */
function recordByUser(task: Task, state: MessageState, details: StateDetails, user: string, now: Date): void {
  if (!setTaskState(task, state, details, undefined, now)) {
    // Same state and details as the last entry (e.g. a second retry): the action still gets its line.
    const entry = { state, state_details: details, timestamp: now.toISOString() };
    task.state_history = [...(task.state_history ?? []), entry];
  }
  const last = task.state_history?.at(-1);
  if (last) last.user = user;
}

/** Goes out at once: attempts reset, no backoff; the old provider reference no longer applies. */
export function retryTask(task: Task, user: string, now: Date, note = ''): void {
  task.attempts = 0;
  delete task.next_attempt_at;
  delete task.lease;
  if (task.gateway_ref) {
    // A late report for the earlier attempt must not fail the new one (reports/status-updates.ts).
    task.previous_gateway_refs = [...(task.previous_gateway_refs ?? []), task.gateway_ref];
    delete task.gateway_ref;
  }
  recordByUser(task, 'pending', `Retried by ${user}${note}`, user, now);
}

/** Will not be sent. */
export function cancelTask(task: Task, user: string, now: Date, note = ''): void {
  delete task.next_attempt_at;
  delete task.lease;
  recordByUser(task, 'cleared', `Cancelled by ${user}${note}`, user, now);
}

/** New text (already truncated to the part limit); the state does not change, the history says who. */
export function editText(task: Task, msg: OutgoingMessage, text: TruncatedMessage, user: string, now: Date): void {
  msg.message = text.message;
  if (text.original_message !== undefined) {
    msg.original_message = text.original_message;
  } else {
    delete msg.original_message;
  }
  const state = task.state ?? 'pending';
  const entry = { state, state_details: `Text edited by ${user}`, timestamp: now.toISOString(), user };
  task.state_history = [...(task.state_history ?? []), entry];
}

/**
 * CHT's task state primitive, setTaskState
 * (https://github.com/medic/cht-core/blob/master/shared-libs/task-utils/src/task-utils.js).
 */
import type { MessageState, StateDetails, StateHistoryEntry, Task } from './types.js';

function lastHistoryStateIs(task: Task, state: MessageState): boolean {
  const history = task.state_history ?? [];
  return history.length > 0 && history[history.length - 1]?.state === state;
}

/**
 * Sets the task state and appends to `state_history`. Returns false (and changes nothing but
 * creating an empty history) exactly when CHT does: same state, last history entry has that state,
 * no details or identical (`===`, so object details never match) and no gatewayRef or identical.
 * No ordering is enforced here; see applyReportedState for the lattice.
 *
 * Deliberate deviation: CHT assigns `task.gateway_ref = gatewayRef` unconditionally, so
 * medic-gateway status updates (which carry no ref) wipe the AT message id and later delivery
 * reports cannot find the task (https://github.com/medic/cht-core/blob/master/api/src/controllers/sms-gateway.js
 * passes none). We only overwrite it when a gatewayRef is given.
 *
 * `now` is a parameter so callers and tests control the history timestamp.
 */
export function setTaskState(
  task: Task,
  state: MessageState,
  details?: StateDetails,
  gatewayRef?: string,
  now: Date = new Date(),
): boolean {
  task.state_history = task.state_history ?? [];

  if (
    task.state === state &&
    lastHistoryStateIs(task, state) &&
    (!details || task.state_details === details) &&
    (!gatewayRef || task.gateway_ref === gatewayRef)
  ) {
    return false;
  }

  task.state = state;
  // CHT assigns undefined here; JSON drops undefined keys, so deleting is the same stored doc.
  if (details === undefined) {
    delete task.state_details;
  } else {
    task.state_details = details;
  }
  if (gatewayRef !== undefined) {
    task.gateway_ref = gatewayRef;
  }
  const entry: StateHistoryEntry = { state, timestamp: now.toISOString() };
  if (details !== undefined) {
    entry.state_details = details;
  }
  task.state_history.push(entry);
  return true;
}

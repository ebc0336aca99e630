/**
 * Monotonic message state machine for provider reports (AT send results and delivery reports,
 * gateway status updates). CHT applies every report with setTaskState, so a late `Sent` after
 * `Success` moves `delivered` back to `forwarded-by-gateway` and replays re-add history
 * (updateMessageTaskStates in https://github.com/medic/cht-core/blob/master/api/src/services/messaging.js).
 * Here reports only move a task forward, final states stick, and replays change nothing, so a
 * webhook replayed with the right key does no harm. Every report carrying a raw provider `status`
 * is kept in `delivery_reports` for audit, applied or not.
 */
import { setTaskState } from './set-task-state.js';
import type { DeliveryReportRecord, MessageState, Task } from './types.js';

/** Position along the delivery path (https://docs.communityhealthtoolkit.org/building/guides/messaging/sms-states/). */
const PATH_RANK: Partial<Record<MessageState, number>> = {
  scheduled: 0,
  pending: 1,
  'forwarded-to-gateway': 2,
  'received-by-gateway': 3,
  'forwarded-by-gateway': 4,
  sent: 5,
  delivered: 6,
};

/** States nothing moves out of through reports. `sent` is not final: it can still be delivered/failed. */
const FINAL_STATES: ReadonlySet<MessageState> = new Set<MessageState>([
  'failed',
  'delivered',
  'denied',
  'cleared',
  'muted',
  'duplicate',
]);

export type ReportOutcome = 'applied' | 'duplicate' | 'stale';

export interface ReportedState {
  state: MessageState;
  details?: string | Record<string, unknown>;
  gatewayRef?: string;
  /** The provider's raw status (e.g. AT `Success`); when given, the report is audited. */
  status?: string;
}

/** Rank on the delivery path, or undefined for states off it (failed, denied, unrecognised, ...). */
export function stateRank(state: MessageState): number | undefined {
  return PATH_RANK[state];
}

export function isFinalState(state: MessageState | undefined): boolean {
  return state !== undefined && FINAL_STATES.has(state);
}

/** Structural equality for JSON-like details (CHT's `===` never matches objects). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && sameJson(ra[k], rb[k]));
}

function detailsString(details: ReportedState['details']): string | undefined {
  if (details === undefined) return undefined;
  return typeof details === 'string' ? details : JSON.stringify(details);
}

/** Decides the outcome of a report without touching the task. */
export function classifyReport(task: Task, next: ReportedState): ReportOutcome {
  const current = task.state;
  if (current === next.state) {
    // No details means "same as before", as in CHT's no-op rule.
    const sameDetails = next.details === undefined || sameJson(task.state_details, next.details);
    if (isFinalState(current)) return sameDetails ? 'duplicate' : 'stale';
    const sameRef = next.gatewayRef === undefined || task.gateway_ref === next.gatewayRef;
    return sameDetails && sameRef ? 'duplicate' : 'applied';
  }
  if (current === undefined) return 'applied';
  if (isFinalState(current)) return 'stale';
  // Below: current is non-final. Final states and "unknown status" may be reached from any of them.
  if (isFinalState(next.state) || next.state === 'unrecognised') return 'applied';
  const from = stateRank(current);
  const to = stateRank(next.state);
  if (to === undefined) {
    // 'received'/'clear' are not report states; accept them only where no ordering is known.
    return from === undefined ? 'applied' : 'stale';
  }
  // 'unrecognised', 'clear' or 'received' have no rank: any known path state replaces them.
  if (from === undefined) return 'applied';
  return to > from ? 'applied' : 'stale';
}

/** Appends a report to the task's audit trail (once per status and details). */
export function recordReport(task: Task, next: ReportedState, outcome: ReportOutcome, now: Date): void {
  if (next.status === undefined) return;
  const details = detailsString(next.details);
  const reports = task.delivery_reports ?? [];
  // A replayed webhook must not grow the audit trail.
  if (reports.some((r) => r.status === next.status && r.details === details)) return;
  const record: DeliveryReportRecord = {
    status: next.status,
    state: next.state,
    timestamp: now.toISOString(),
    applied: outcome === 'applied',
  };
  if (details !== undefined) record.details = details;
  reports.push(record);
  task.delivery_reports = reports;
}

/**
 * Applies a provider report through the lattice. 'applied' reports go through setTaskState (so
 * `state_history` gets the entry); 'stale' ones leave state alone; 'duplicate' changes nothing.
 */
export function applyReportedState(task: Task, next: ReportedState, now: Date = new Date()): ReportOutcome {
  const outcome = classifyReport(task, next);
  if (outcome === 'applied') {
    setTaskState(task, next.state, next.details, next.gatewayRef, now);
  }
  recordReport(task, next, outcome, now);
  return outcome;
}

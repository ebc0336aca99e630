/** Outgoing task state handling (cht-sms.md §1.6, §2). */
export { setTaskState } from './set-task-state.js';
export { applyReportedState, classifyReport, isFinalState, recordReport, stateRank } from './lattice.js';
export type { ReportOutcome, ReportedState } from './lattice.js';
export { findTask, isSendable } from './lookup.js';
export * from './types.js';

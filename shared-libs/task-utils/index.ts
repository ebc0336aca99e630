/**
 * Outgoing task state handling: CHT's states
 * (https://docs.communityhealthtoolkit.org/building/guides/messaging/sms-states/) and its
 * primitive (https://github.com/medic/cht-core/blob/master/shared-libs/task-utils/src/task-utils.js).
 */
export { setTaskState } from './set-task-state.js';
export { applyReportedState, classifyReport, isFinalState, recordReport, stateRank } from './lattice.js';
export type { ReportOutcome, ReportedState } from './lattice.js';
export { findTask, hasOpenWork, isSendable } from './lookup.js';
export * from './types.js';

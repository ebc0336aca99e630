/** Offline Africa's Talking SMS API simulator (see README.md). */
export { startSimulator } from './simulator.js';
export { defaultConfig, DEFAULT_ACCOUNT } from './config.js';
export { messageParts } from './sms-parts.js';
export { REFUSAL_NAMES, reportPlan } from './outcomes.js';
export type {
  AcceptCode,
  Account,
  CallbackResult,
  FailNext,
  FetchRecord,
  InboxMessage,
  InboxSeed,
  InboxSeedMessage,
  IncomingCallbackIds,
  IncomingCallbacks,
  IncomingMessage,
  IncomingRecord,
  IncomingResult,
  OptOutRecord,
  OptOutRequest,
  RecipientResult,
  ReportModes,
  ReportRecord,
  ReportStatus,
  SentRecord,
  Simulator,
  SimulatorControls,
  SimulatorConfig,
  SimulatorConfigPatch,
  SimulatorOptions,
} from './types.js';

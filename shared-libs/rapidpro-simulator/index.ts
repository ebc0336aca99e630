/** Offline RapidPro API v2 simulator (see README.md). */
export { startRapidProSimulator } from './simulator.js';
export { DEFAULT_TOKEN, defaultConfig } from './config.js';
export { statusPlan } from './plans.js';
export type {
  AdvanceRequest,
  Broadcast,
  BroadcastView,
  CallbackResult,
  FailNext,
  IncomingMessage,
  IncomingRecord,
  IncomingResult,
  Message,
  MessageStatus,
  RapidProConfig,
  RapidProConfigPatch,
  RapidProControls,
  RapidProSimulator,
  RapidProSimulatorOptions,
  RequestRecord,
} from './types.js';

/**
 * What the outbox's parts share: their dependencies, the clock, and the current policy. Kept apart
 * from outbox.ts so that the intake and the sender do not import the facade that builds them.
 */
import type { Logger } from 'pino';
import type { Dispatcher as HttpDispatcher } from 'undici';
import type { Db } from '../../../shared-libs/couch/index.js';
import type { CredentialReader, OutgoingService, SendOutcome, ServiceEnv } from '../sms/types.js';
import type { ServiceRegistry } from '../sms/registry.js';
import type { SettingsService } from '../settings/settings.js';
import type { DocUpdater } from '../store/doc-updater.js';
import type { AwaitingStatusIndex } from '../reports/awaiting-status.js';
import type { StatusUpdates } from '../reports/status-updates.js';
import type { ChannelSwitchReader } from './channel-switch.js';
import type { ChannelState, ReopenGate } from './circuit.js';
import type { OpenWork } from './open-work.js';
import type { RecordKind } from './mutations.js';
import type { DispatchPolicy } from './policy.js';

export interface OutboxObserver {
  onClaimed?(uuid: string, docId: string): void;
  onSendResult?(serviceId: string, outcome: SendOutcome, ms: number, message?: { id: string; to: string }): void;
  onRecorded?(uuid: string, kind: RecordKind): void;
  onChannel?(state: ChannelState): void;
}

export interface OutboxDeps {
  /** This process's claim owner: `<instance id>:<boot id>`. */
  owner: string;
  /** Leases this process may take back at once: held by a previous life of this instance. */
  deadLease?: (lease: { owner: string }) => boolean;
  db: Db;
  registry: ServiceRegistry;
  settings: SettingsService;
  credentials: CredentialReader;
  updater: DocUpdater;
  /** Messages whose status a polling service (`pollsStatus`) has still to read. */
  awaiting?: AwaitingStatusIndex;
  statusUpdates: StatusUpdates;
  openWork: OpenWork;
  http: HttpDispatcher;
  logger: Logger;
  /** The environment variables each service declared. */
  serviceEnv: (service: OutgoingService) => ServiceEnv;
  /** The operator's pause switch (channel-switch.ts); absent = never paused. */
  channelSwitch?: ChannelSwitchReader;
  now?: () => Date;
  random?: () => number;
  observer?: OutboxObserver;
  /** The last check before a request: the ids returned end `denied` with those details, unsent. */
  screen?: (messages: ReadonlyArray<{ id: string; to: string }>) => Promise<ReadonlyMap<string, string>>;
  /** Asked before a paused channel probes again (e.g. is there credit now?). */
  reopenGate?: ReopenGate;
}

/** What the queue and the sender share: the deps, the clock, and the current settings. */
export interface DispatchContext {
  deps: OutboxDeps;
  now: () => Date;
  random: () => number;
  running(): boolean;
  /** An operator paused all sending: claim nothing. */
  paused(): boolean;
  policy(): DispatchPolicy;
  /** The selected service, if it sends (push mode). */
  service(): OutgoingService | undefined;
}

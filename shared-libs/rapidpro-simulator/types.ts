/**
 * Public types of the RapidPro simulator. Wire shapes follow RapidPro's API v2 as CHT uses it
 * (https://rapidpro.io/api/v2/, https://github.com/medic/cht-core/blob/master/api/src/services/rapidpro.js):
 * broadcasts, and the messages each broadcast creates.
 */
import type { CallbackResult } from '../at-simulator/callbacks.js';
import type { FailNextLike } from '../at-simulator/faults.js';

export type { CallbackResult } from '../at-simulator/callbacks.js';

/** Outgoing message statuses of RapidPro's messages endpoint. */
export type MessageStatus = 'queued' | 'wired' | 'sent' | 'delivered' | 'resent' | 'errored' | 'failed';

/** The next `count` API requests are answered with HTTP `status` (e.g. 400, 429, 500). */
export type FailNext = FailNextLike;

export interface RapidProConfig {
  /** API tokens accepted in `Authorization: Token <token>`. */
  tokens: string[];
  /** Delay before answering an API request. */
  latencyMs: number;
  failNext: FailNext | null;
  /** Fraction (0..1) of authenticated API requests throttled with 429 and `Retry-After`. */
  rate429: number;
  /** `Retry-After` of 429 answers, in seconds. */
  retryAfterSeconds: number;
  /** Time between a message's status steps; null = they only move on POST /simulator/advance. */
  stepDelayMs: number | null;
  /** Results per page of the list endpoints (RapidPro's PAGE_SIZE is 250). */
  pageSize: number;
  /** Where incoming messages are posted (CHT's /api/v2/sms/rapidpro/incoming-messages). */
  incomingUrl: string | null;
  /** Sent as `Authorization: Token <incomingToken>` with incoming messages. */
  incomingToken: string | null;
  /** Seed of the fault PRNG; null = random seed. */
  seed: number | null;
  /** Bound of each record list and of the stored broadcasts and messages; the oldest are dropped. */
  maxRecords: number;
}

export type RapidProConfigPatch = Partial<RapidProConfig>;

/** A broadcast as `POST/GET /api/v2/broadcasts.json` return it. */
export interface Broadcast {
  id: number;
  urns: string[];
  contacts: Array<{ uuid: string; name: string | null }>;
  groups: Array<{ uuid: string; name: string }>;
  text: string;
  status: 'queued' | 'sent' | 'failed';
  created_on: string;
}

/** A message as `GET /api/v2/messages.json` returns it. */
export interface Message {
  id: number;
  broadcast: number | null;
  contact: { uuid: string; name: string | null };
  urn: string;
  channel: { uuid: string; name: string };
  direction: 'out';
  type: 'text';
  status: MessageStatus;
  visibility: 'visible';
  text: string;
  labels: Array<{ uuid: string; name: string }>;
  attachments: string[];
  created_on: string;
  sent_on: string | null;
  modified_on: string;
}

/** A broadcast with its messages as they are now (GET /simulator/broadcasts). */
export interface BroadcastView extends Broadcast {
  messages: Message[];
}

/** An API request as received, and the status answered. The token is never kept. */
export interface RequestRecord {
  at: number;
  method: string;
  /** Path with query. */
  url: string;
  /** Whether an Authorization header came, and with an accepted token. */
  auth: 'none' | 'valid' | 'invalid';
  httpStatus: number;
  /** The JSON body of a POST, as received. */
  body?: unknown;
}

/** What `injectIncoming` posts (CHT's RapidPro webhook body), plus how many times. */
export interface IncomingMessage {
  from: string;
  text: string;
  /** Default: a UUID, as CHT's documented flow sends `run.uuid`. */
  id?: string;
  copies?: number;
  concurrent?: boolean;
}

export interface IncomingResult extends CallbackResult {
  id: string;
}

export interface IncomingRecord extends IncomingResult {
  at: number;
  from: string;
  content: string;
  /** 1-based index among the copies of this injection. */
  copy: number;
}

/** Moves messages on by `steps` (default 1) now; `broadcast` limits it to one broadcast. */
export interface AdvanceRequest {
  broadcast?: number;
  steps?: number;
}

export interface RapidProSimulatorOptions extends RapidProConfigPatch {
  port?: number;
  host?: string;
  /** First broadcast and message id. Default: the clock in milliseconds (no reuse across runs). */
  firstId?: number;
  /** One line per request received and callback posted; tokens never appear. */
  onLog?: (line: string) => void;
}

export interface RapidProSimulator extends RapidProControls {
  /** e.g. http://127.0.0.1:43123 */
  readonly url: string;
  readonly port: number;
  /** Stops the server, drops every connection, aborts callbacks in flight. */
  close(): Promise<void>;
}

/** What the control endpoints call: everything but the server itself. */
export interface RapidProControls {
  /** Validates and applies a change; throws an Error naming the bad field. Returns config(). */
  configure(patch: RapidProConfigPatch): RapidProConfig;
  /** A copy of the current config, tokens masked. */
  config(): RapidProConfig;
  broadcasts(): BroadcastView[];
  requests(): RequestRecord[];
  incoming(): IncomingRecord[];
  injectIncoming(msg: IncomingMessage): Promise<IncomingResult[]>;
  /** Returns the messages moved, as they are now. */
  advance(req?: AdvanceRequest): Message[];
  /** Clears broadcasts, messages and records; restores latency, fault and seed settings. */
  reset(): void;
}

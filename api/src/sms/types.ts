/**
 * The plugin contract for SMS services (docs/architecture.md, "The plugin contract"). A service
 * folder under sms/services/ owns everything about its provider: its settings slice, the
 * environment variables it reads, its routes with their body schemas, its status tables, its
 * background jobs. Plugins translate; the core decides (persistence, dedupe, retries,
 * scheduling and the state lattice live in outbox/, reports/ and messages/).
 */
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import type { MessageState } from '../../../shared-libs/task-utils/types.js';
import type { AppSettings } from '../settings/schema.js';

/** One message handed to a service's `send`. */
export interface OutboundMessage {
  /** The CHT message uuid. */
  id: string;
  to: string;
  content: string;
}

export type SendOutcome =
  | {
      id: string;
      ok: true;
      state: MessageState;
      gatewayRef?: string;
      details?: string;
      cost?: string;
      parts?: number;
      /** The provider's per-recipient status code, for metrics. */
      providerCode?: string;
    }
  | {
      id: string;
      ok: false;
      error: SendError;
      /**
       * The provider refused because the recipient blocked this sender (AT: 406
       * UserInBlacklist): the core adds the number to the opt-out list for the sender id.
       */
      recipientOptedOut?: boolean;
    };

/**
 * Why a send failed, classified so the core knows what to do:
 * - final: the message fails now (optionally with a CHT state such as `denied`);
 * - retryable: try again later with backoff, up to a limit;
 * - account: the whole channel is refused (bad key, no credit, sender id): pause it.
 */
export class SendError extends Error {
  constructor(
    readonly kind: 'final' | 'retryable' | 'account',
    readonly code: string,
    message: string,
    readonly state: MessageState = 'failed',
  ) {
    super(message);
    this.name = 'SendError';
  }
}

/** Every message of a batch failing for the same reason. */
export function failAll(batch: ReadonlyArray<{ id: string }>, error: SendError): SendOutcome[] {
  return batch.map((m) => ({ id: m.id, ok: false as const, error }));
}

export interface CredentialReader {
  /** Decrypted secret, or undefined when not set. Read per use: rotation needs no restart. */
  get(key: string): Promise<string | undefined>;
}

/** The environment variables a service declared (`env` below), as set; unset ones are absent. */
export type ServiceEnv = Readonly<Record<string, string | undefined>>;

/** What every provider call gets from the core. */
export interface ServiceContext<S> {
  settings: S;
  credentials: CredentialReader;
  /**
   * The HTTP dispatcher for provider calls. It records every exchange in the exchange log
   * (redacted); wrap a call in `aboutMessages(ids, fn)` (sms/exchange-scope.ts) to tie it to
   * the messages it concerns.
   */
  http: Dispatcher;
  logger: Logger;
  now(): Date;
  /** Whole-request timeout for one provider call. */
  timeoutMs: number;
  env: ServiceEnv;
}

/** What a route's `handle` returns for the core to persist. */
export interface IncomingInput {
  /** The provider's own id for the message: the dedupe key. */
  gatewayId: string;
  from: string;
  content: string;
  /** Provider extras kept on sms_message (AT: to, date, linkId, networkCode). */
  extra?: Record<string, string>;
  /**
   * A second identity, for providers that deliver one message by two ways in (a callback and
   * an inbox fetch) under ids of different forms. `key` names the message's content (such as
   * from|to|text|date), `source` the way in. A message whose key matches one stored from
   * another source, and not yet matched from this source, is that message; messages with equal
   * keys from one source are told apart by `gatewayId`.
   */
  secondaryKey?: { key: string; source: string };
}

export interface StatusUpdateInput {
  /** Either the provider's reference (AT messageId) or our message uuid (medic-gateway). */
  gatewayRef?: string;
  messageId?: string;
  /** The provider's raw status, kept for audit. */
  status: string;
  /** Mapped CHT state; undefined when the status is unknown (recorded, not applied). */
  state?: MessageState;
  details?: string | Record<string, unknown>;
}

/** A subscriber who no longer wants messages from a sender id (or from any sender). */
export interface OptOutInput {
  number: string;
  /** Absent: every sender. */
  senderId?: string;
  /** What reported it, shown in the opt-out list (e.g. "opt-out callback"). */
  source: string;
}

/** The account balance a service read from its provider. */
export interface BalanceReport {
  amount: number;
  /** ISO 4217, as the provider reports it. */
  currency: string;
  /** At or below the service's low-balance threshold. */
  low: boolean;
  threshold?: number;
}

/** A channel paused by an account-level refusal (the SendError's code and message). */
export interface ChannelPause {
  code?: string;
  reason?: string;
}

export interface ResumeDecision {
  resume: boolean;
  /** Why not, for the monitoring figures and the log. */
  reason?: string;
}

/** A message handed to a pull gateway (medic-gateway's poll answer). */
export interface HandedOutMessage {
  id: string;
  to: string;
  content: string;
}

/** A position a service keeps in the store (an inbox cursor), held under a lease. */
export interface LeasedCursor {
  /** What the service saved last; undefined before the first save. */
  readonly data: Readonly<Record<string, unknown>> | undefined;
  /** Stores a new position and renews the lease; throws when another holder took the lease. */
  save(data: Record<string, unknown>): Promise<void>;
}

export type CursorRun<R> = { ran: true; result: R } | { ran: false; heldUntil: string };

/** The name of a service job that fetches incoming messages the provider kept (its runs are counted). */
export const INBOX_SYNC_JOB = 'inbox-sync';

/** What an inbox sync job returns; `skipped` says why it did not run (another instance syncing). */
export interface InboxSyncResult {
  fetched: number;
  saved: number;
  skipped?: string;
}

/**
 * A message sent through a service that polls for statuses (`OutgoingService.pollsStatus`),
 * whose final status the service has not seen yet.
 */
export interface AwaitingStatus {
  /** Opaque: ordered by when the message was sent; give it back to `stopAwaiting`. */
  key: string;
  gatewayRef: string;
  /** The CHT message uuid. */
  messageId: string;
  /** When the send result was recorded (ISO 8601). */
  since: string;
}

/** The core operations a service's routes and jobs may ask for. */
export interface SmsCore {
  /** Stores incoming messages, deduped by `gatewayId` (race-free). */
  saveIncoming(list: IncomingInput[]): Promise<{ saved: number }>;
  /** Applies status updates through the state lattice, in the order given per message. */
  applyStatusUpdates(list: StatusUpdateInput[]): Promise<{ saved: number }>;
  /** Marks up to `limit` waiting messages forwarded-to-gateway and returns them (pull services). */
  handOut(limit: number): Promise<HandedOutMessage[]>;
  /** Whether this service is the selected `sms.outgoing_service`. */
  isSelected(): boolean;
  /** Adds numbers to the opt-out list; `saved` counts the ones not already there. */
  optOut(list: OptOutInput[]): Promise<{ saved: number }>;
  /** The account balance now (monitoring, metrics, a log line when it crosses the threshold). */
  reportBalance(balance: BalanceReport): void;
  /**
   * Runs `fn` holding the lease on this service's cursor `name` (one stored doc, shared by every
   * instance on one database; the lease is taken and renewed by compare-and-swap). When another
   * instance holds an unexpired lease, `fn` does not run.
   */
  withCursor<R>(name: string, leaseMs: number, fn: (cursor: LeasedCursor) => Promise<R>): Promise<CursorRun<R>>;
  /**
   * Messages awaiting a status (services with `pollsStatus`), oldest first: sent at or after
   * `sentAfter` (ISO), after the key `startAfter`, at most `limit`.
   */
  awaitingStatus(opts: { limit: number; startAfter?: string; sentAfter?: string }): Promise<AwaitingStatus[]>;
  /** Stops listing these (their final status was seen, or the service gave up on them). */
  stopAwaiting(keys: readonly string[]): Promise<void>;
}

/** Masks phone numbers and hides texts in logs unless `sms.log_full_content` is set. */
export interface PrivacyFilter {
  phone(value: unknown): unknown;
  text(value: unknown): unknown;
}

/** What a route's `handle` gets: the core, the provider context, and the request's logger. */
export interface RouteContext<S> extends Omit<ServiceContext<S | undefined>, 'timeoutMs'> {
  core: SmsCore;
  appSettings: AppSettings;
  privacy: PrivacyFilter;
  /** Runs one of this service's jobs now (joining a run in progress) and returns its result. */
  runJob(name: string): Promise<unknown>;
}

export type RouteAuth =
  /** `?key=` equal to the credential (constant time, never logged, failures throttled). */
  | { kind: 'query-key'; credentialKey: string }
  /** A header such as `Authorization: Token <secret>` equal to the credential (same checks). */
  | { kind: 'header-token'; header: string; scheme: string; credentialKey: string }
  /** The server's administrators (HTTP basic auth). */
  | { kind: 'admin' };

export interface RouteBody<B> {
  schema: z.ZodType<B>;
  contentTypes: readonly string[];
  /** Accept gzip/deflate request bodies (medic-gateway may compress). */
  compressed?: boolean;
  /** Body absent → this JSON value instead of a 400. */
  whenEmpty?: unknown;
  /** Named item schemas the body refers to, published under the OpenAPI document's components. */
  components?: Readonly<Record<string, z.ZodType>>;
}

export interface ServiceRoute<B = unknown, S = unknown> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Absolute path, Fastify syntax. Use `webhookPath()` for CHT's `/api/v1/sms/<prefix>/…`. */
  url: string;
  summary: string;
  auth: RouteAuth;
  /** Validated by the core before `handle` (400 naming the field); also the OpenAPI schema. */
  body?: RouteBody<B>;
  /** Parses and maps; asks the core to persist. Returns the response body. */
  handle(req: { body: B; query: Record<string, unknown> }, ctx: RouteContext<S>): Promise<unknown>;
}

/** A background job of a service (inbox sync, balance watch, status polling). */
export interface ServiceJob<S = unknown> {
  name: string;
  /** Milliseconds between runs for these settings; 0 = off. Runs once at start-up when on. */
  intervalMs(settings: S, appSettings: AppSettings): number;
  /** Runs of one job never overlap within a process; the result goes to an on-demand caller. */
  run(ctx: JobContext<S>): Promise<unknown>;
}

export interface JobContext<S> extends ServiceContext<S> {
  core: SmsCore;
  appSettings: AppSettings;
}

/** One environment variable a service reads (env.ts reads it; nothing else touches process.env). */
export interface ServiceEnvVar {
  name: string;
  description: string;
  /** Validated as an http(s) URL; a trailing slash is dropped. */
  url?: boolean;
}

export interface OutgoingService<S = unknown> {
  id: string;
  /** URL slug of CHT's `/api/v1/sms/<routePrefix>/…` callbacks. */
  routePrefix: string;
  /** push: the core outbox calls send(); pull: a gateway fetches messages itself. */
  mode: 'push' | 'pull';
  credentialKeys: readonly string[];
  /** This service's slice of `app_settings.sms` (`sms.<key>`), composed into the settings validator. */
  settingsSlice?: { key: string; schema: z.ZodType };
  env?: readonly ServiceEnvVar[];
  /** Validates what the service needs to send; returns typed settings or throws with a clear message. */
  parseSettings(sms: AppSettings['sms']): S;
  /** Exactly one outcome per message; never throws for one message's failure. */
  send?(batch: OutboundMessage[], ctx: ServiceContext<S>): Promise<SendOutcome[]>;
  /** Largest batch `send` takes (recipients sharing one text go in one request). */
  maxBatch?: number;
  /**
   * The provider never calls back with statuses; the service's jobs read them from its API. The
   * core then lists every message sent with a `gatewayRef` in a non-final state
   * (`SmsCore.awaitingStatus`) until the service stops awaiting it.
   */
  pollsStatus?: boolean;
  routes: readonly ServiceRoute<never, S>[];
  jobs?: readonly ServiceJob<S>[];
  /**
   * Asked when a pause after an account-level refusal ends, before a message probes the channel:
   * `resume: false` keeps it paused for another pause (AT: the balance is still too low).
   */
  mayResume?(pause: ChannelPause, ctx: JobContext<S>): Promise<ResumeDecision>;
}

/** CHT's callback URL for a service: `/api/v1/sms/<routePrefix>/<path>`. */
export function webhookPath(routePrefix: string, path: string): string {
  return `/api/v1/sms/${routePrefix}/${path}`;
}

/** Helper for service folders: keeps `handle`'s body type tied to its schema. */
export function defineRoute<B, S>(route: ServiceRoute<B, S>): ServiceRoute<never, S> {
  return route as unknown as ServiceRoute<never, S>;
}

/**
 * The plugin contract for SMS services (DESIGN.md "The plugin contract"). Plugins translate;
 * the core decides (persistence, dedupe, retries, scheduling live in api/src/services/messaging).
 */
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
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
  | { id: string; ok: false; error: SendError };

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

export interface CredentialReader {
  /** Decrypted secret, or undefined when not set. Read per use: rotation needs no restart. */
  get(key: string): Promise<string | undefined>;
}

export interface ServiceContext<S> {
  settings: S;
  credentials: CredentialReader;
  http: Dispatcher;
  logger: Logger;
  now(): Date;
  /** Whole-request timeout for one provider call. */
  timeoutMs: number;
  /** Base URL overrides from the environment (AT_API_URL). */
  env: { atApiUrl?: string };
}

/** What a webhook's `handle` returns for the core to persist. */
export interface IncomingInput {
  /** The provider's own id for the message: the dedupe key. */
  gatewayId: string;
  from: string;
  content: string;
  /** Provider extras kept on sms_message (AT: to, date, linkId, networkCode). */
  extra?: Record<string, string>;
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

export interface WebhookResult {
  incoming?: IncomingInput[];
  statusUpdates?: StatusUpdateInput[];
}

export interface WebhookRoute {
  method: 'POST' | 'GET';
  /** Under /api/v1/sms/<routePrefix>/ */
  path: string;
  /** query-key: `?key=` must equal the credential `credentialKey` (compared in constant time). */
  auth: { kind: 'query-key'; credentialKey: string };
  /** Parses and maps only; throws WebhookInputError naming the field on bad input. */
  handle(body: Record<string, unknown>): WebhookResult;
}

export class WebhookInputError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

export interface OutgoingService<S = unknown> {
  id: string;
  routePrefix: string;
  /** push: the core dispatcher calls send(); pull: a gateway fetches messages itself. */
  mode: 'push' | 'pull';
  credentialKeys: readonly string[];
  /** Validates this service's slice of app_settings.sms; returns typed settings or throws with a clear message. */
  parseSettings(sms: AppSettings['sms']): S;
  /** Exactly one outcome per message; never throws for one message's failure. */
  send?(batch: OutboundMessage[], ctx: ServiceContext<S>): Promise<SendOutcome[]>;
  /** Largest batch `send` takes (recipients sharing one text go in one request). */
  maxBatch?: number;
  webhooks: readonly WebhookRoute[];
}

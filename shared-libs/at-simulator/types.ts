/**
 * Public types of the Africa's Talking (AT) SMS simulator: its config and its interface. The
 * records it keeps, in AT's wire shapes, are in record-types.ts.
 */
import type {
  CallbackResult,
  FetchRecord,
  InboxMessage,
  InboxSeed,
  IncomingMessage,
  IncomingRecord,
  IncomingResult,
  OptOutRecord,
  OptOutRequest,
  ReportRecord,
  SentRecord,
} from './record-types.js';

export type * from './record-types.js';

/** Accepted per-recipient codes: 100 Processed, 101 Sent, 102 Queued. */
export type AcceptCode = 100 | 101 | 102;

/** One AT application: the username goes in the form body, the key in the `apiKey` header. */
export interface Account {
  username: string;
  apiKey: string;
}

/** How delivery reports are posted: AT re-posts unacknowledged callbacks and promises no order. */
export interface ReportModes {
  /** Post reports at all (only when `dlrUrl` is set). */
  enabled: boolean;
  /** Post every report twice, as AT does when it missed an acknowledgement. */
  duplicate: boolean;
  /** Post the final status first, then the intermediate ones. */
  outOfOrder: boolean;
  /** Post the whole sequence, and wait for the answers, before the send's 201 goes out. */
  beforeResponse: boolean;
}

/** The next `count` messaging requests are answered with HTTP `status`. */
export interface FailNext {
  status: number;
  count: number;
}

/** 'deliver': post incoming messages to `incomingUrl`; 'fail': the server is down, only the inbox has them. */
export type IncomingCallbacks = 'deliver' | 'fail';

/**
 * 'inbox': the callback carries the inbox id (an integer as a string). 'uuid': a UUID, as live
 * callbacks do (https://github.com/nyaruka/courier/blob/main/handlers/africastalking/handler_test.go),
 * while the fetch API keeps the integer, so only (from, to, text, date) ties the two together.
 */
export type IncomingCallbackIds = 'inbox' | 'uuid';

export interface SimulatorConfig {
  accounts: Account[];
  /** Delay before answering a messaging request. */
  latencyMs: number;
  /** Fraction (0..1) of messaging requests answered HTTP 500. */
  failRate: number;
  /** Fraction (0..1) of messaging requests answered HTTP 429. */
  rate429: number;
  /** Accept messaging requests and never answer (the sandbox does this sometimes, see CHT's AT e2e probe). */
  hang: boolean;
  /** Answer 201 with an HTML body, as a misbehaving proxy would. */
  nonJson: boolean;
  failNext: FailNext | null;
  acceptCode: AcceptCode;
  /** Allowed `from` values; null = any. */
  senders: string[] | null;
  /** Remaining credit, in `currency`; null = unlimited (the balance API then shows 1000000). */
  balance: number | null;
  /** ISO 4217 code of costs and balance, e.g. KES, TZS, UGX. */
  currency: string;
  /** Delivery-report callback, full URL including any `?key=`. */
  dlrUrl: string | null;
  /** Bulk SMS opt-out callback, full URL including any `?key=`. */
  optOutUrl: string | null;
  /** Incoming-message callback, full URL including any `?key=`. */
  incomingUrl: string | null;
  incomingCallbacks: IncomingCallbacks;
  incomingCallbackIds: IncomingCallbackIds;
  /** Messages per page of the inbox fetch API (AT's own sample code reads 100 at a time). */
  inboxPageSize: number;
  /** The next `count` GETs to the inbox or balance API are answered with HTTP `status`. */
  fetchFailNext: FailNext | null;
  /** Gap between successive delivery reports of one message. */
  reportDelayMs: number;
  reports: ReportModes;
  /** Seed of the fault PRNG; null = random seed. */
  seed: number | null;
  /** Bound of each record list; the oldest records are dropped. */
  maxRecords: number;
}

/** A config change: any top-level field, and any subset of `reports`. */
export type SimulatorConfigPatch = Partial<Omit<SimulatorConfig, 'reports'>> & {
  reports?: Partial<ReportModes>;
};

export interface SimulatorOptions extends SimulatorConfigPatch {
  port?: number;
  host?: string;
  /**
   * The first inbox id. Default: the clock in milliseconds, so a restarted simulator never reuses
   * an id a server may have stored as its `lastReceivedId`.
   */
  firstInboxId?: number;
  /** One line per request received and callback posted; secrets already redacted. */
  onLog?: (line: string) => void;
}

export interface Simulator extends SimulatorControls {
  /** e.g. http://127.0.0.1:43123 */
  readonly url: string;
  readonly port: number;
  /** Stops the server, drops keep-alive and held sockets, cancels pending reports. */
  close(): Promise<void>;
}

/** What the control endpoints call: everything but the server itself. */
export interface SimulatorControls {
  /** Validates and applies a change; throws an Error naming the bad field. Returns config(). */
  configure(patch: SimulatorConfigPatch): SimulatorConfig;
  /** A copy of the current config, api keys masked. */
  config(): SimulatorConfig;
  sent(): SentRecord[];
  reports(): ReportRecord[];
  incoming(): IncomingRecord[];
  /** GETs to the inbox fetch and balance APIs. */
  fetches(): FetchRecord[];
  /** Every message in the inbox, oldest first. */
  inbox(): InboxMessage[];
  /**
   * Clears records, opt-outs and the inbox (ids keep counting up), cancels pending reports, drops
   * held requests, restores fault settings.
   */
  reset(): void;
  /**
   * Adds the message to the inbox, then posts it to `incomingUrl` (or not, when
   * `incomingCallbacks` is 'fail'). Throws when it should post and no `incomingUrl` is set.
   */
  injectIncoming(msg: IncomingMessage): Promise<IncomingResult[]>;
  /** Puts old messages in the inbox without any callback. */
  seedInbox(seed: InboxSeed): InboxMessage[];
  /**
   * Records an opt-out, so later sends from that sender (none given: any sender) to that number
   * get 406 UserInBlacklist, and posts it to `optOutUrl` when set.
   */
  optOut(req: OptOutRequest): Promise<CallbackResult>;
  optOuts(): OptOutRecord[];
  /** Resolves when no delivery report is scheduled or in flight. */
  idle(): Promise<void>;
}

/**
 * Public types of the Africa's Talking (AT) SMS simulator. Field names follow AT's wire format:
 * https://developers.africastalking.com/docs/sms/sending/bulk (send response) and
 * https://developers.africastalking.com/docs/sms/notifications (delivery reports, incoming messages).
 */

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
  /** Remaining credit in KES; null = unlimited. */
  balance: number | null;
  /** Delivery-report callback, full URL including any `?key=`. */
  dlrUrl: string | null;
  /** Incoming-message callback, full URL including any `?key=`. */
  incomingUrl: string | null;
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

/** One entry of `SMSMessageData.Recipients`; keys in the alphabetical order of live responses. */
export interface RecipientResult {
  cost: string;
  messageId: string;
  messageParts?: number;
  number: string;
  status: string;
  statusCode: number;
}

/** A messaging request as received, and what the simulator answered. */
export interface SentRecord {
  /** Date.now() when the request arrived. */
  at: number;
  username: string;
  to: string[];
  message: string;
  from?: string;
  /** Request headers, lower-cased names; the apiKey value is replaced by '***'. */
  headers: Record<string, string>;
  /** HTTP status answered; 0 when the request was held (hang mode). */
  httpStatus: number;
  recipients: RecipientResult[];
}

/** Delivery-report statuses the simulator emits (a subset of AT's). */
export type ReportStatus = 'Sent' | 'Submitted' | 'Success' | 'Failed' | 'Rejected';

/** One delivery-report POST attempt and its outcome. */
export interface ReportRecord {
  at: number;
  id: string;
  status: ReportStatus;
  phoneNumber: string;
  failureReason?: string;
  httpStatus?: number;
  /** The receiver's answer body, when it answered. */
  body?: string;
  error?: string;
  /** 1 for the first post, 2..4 for retries of an unacknowledged post. */
  attempt: number;
}

/** What `injectIncoming` posts (AT's incoming-message fields), plus how many times. */
export interface IncomingMessage {
  from: string;
  text: string;
  to?: string;
  id?: string;
  linkId?: string;
  date?: string;
  networkCode?: string;
  /** Post the same message (same id) this many times, as AT retries do. Default 1. */
  copies?: number;
  /** Post the copies at the same time instead of one after the other. */
  concurrent?: boolean;
}

export interface IncomingResult {
  id: string;
  /** 0 when the connection failed (see `error`). */
  httpStatus: number;
  body: string;
  error?: string;
}

export interface IncomingRecord {
  at: number;
  id: string;
  from: string;
  to: string;
  text: string;
  date: string;
  linkId?: string;
  networkCode: string;
  /** 1-based index among the copies of this injection. */
  copy: number;
  httpStatus: number;
  body: string;
  error?: string;
}

export interface SimulatorOptions extends SimulatorConfigPatch {
  port?: number;
  host?: string;
  /** One line per request received and callback posted; secrets already redacted. */
  onLog?: (line: string) => void;
}

export interface Simulator {
  /** e.g. http://127.0.0.1:43123 */
  readonly url: string;
  readonly port: number;
  /** Stops the server, drops keep-alive and held sockets, cancels pending reports. */
  close(): Promise<void>;
  /** Validates and applies a change; throws an Error naming the bad field. Returns config(). */
  configure(patch: SimulatorConfigPatch): SimulatorConfig;
  /** A copy of the current config, api keys masked. */
  config(): SimulatorConfig;
  sent(): SentRecord[];
  reports(): ReportRecord[];
  incoming(): IncomingRecord[];
  /** Clears records, cancels pending reports, drops held requests, restores fault settings. */
  reset(): void;
  injectIncoming(msg: IncomingMessage): Promise<IncomingResult[]>;
  /** Resolves when no delivery report is scheduled or in flight. */
  idle(): Promise<void>;
}

/**
 * The mutable state of one simulator: config, fault PRNG, record lists, and the abort signals
 * that cancel pending work on reset (generation) and on close (lifetime).
 */
import { setMaxListeners } from 'node:events';
import type { ServerResponse } from 'node:http';
import { BoundedLog } from './bounded-log.js';
import { applyPatch, cloneConfig, parseConfigPatch } from './config.js';
import { Inbox } from './inbox.js';
import { OptOutList } from './opt-out-list.js';
import { makeRandom, type Random } from './random.js';
import type {
  FetchRecord,
  IncomingRecord,
  OptOutRecord,
  ReportRecord,
  SentRecord,
  SimulatorConfig,
  SimulatorConfigPatch,
} from './types.js';

/** Fields that `reset()` restores to their start-up values. */
const FAULT_FIELDS = [
  'latencyMs',
  'failRate',
  'rate429',
  'hang',
  'nonJson',
  'failNext',
  'fetchFailNext',
  'balance',
  'seed',
] as const;

export class SimulatorState {
  cfg: SimulatorConfig;
  random: Random;
  readonly sentLog: BoundedLog<SentRecord>;
  readonly reportLog: BoundedLog<ReportRecord>;
  readonly incomingLog: BoundedLog<IncomingRecord>;
  readonly fetchLog: BoundedLog<FetchRecord>;
  readonly optOutLog: BoundedLog<OptOutRecord>;
  /** Opt-outs recorded; sends they cover are refused with 406. */
  readonly optOuts = new OptOutList();
  /** Incoming messages for the fetch API; cleared on reset, but ids keep counting up. */
  readonly inbox: Inbox;
  /** Numbers ending in 599 that already had their transient failure. */
  readonly transientSeen = new Set<string>();
  /** Requests held open by `hang`; destroyed on reset and close. */
  private readonly held = new Set<ServerResponse>();
  private readonly initial: SimulatorConfig;
  private lifetime = unboundedController();
  private generation = unboundedController();

  constructor(cfg: SimulatorConfig, firstInboxId: number) {
    this.cfg = cloneConfig(cfg);
    this.initial = cloneConfig(cfg);
    this.random = makeRandom(cfg.seed);
    this.sentLog = new BoundedLog(cfg.maxRecords);
    this.reportLog = new BoundedLog(cfg.maxRecords);
    this.incomingLog = new BoundedLog(cfg.maxRecords);
    this.fetchLog = new BoundedLog(cfg.maxRecords);
    this.optOutLog = new BoundedLog(cfg.maxRecords);
    this.inbox = new Inbox(firstInboxId, cfg.maxRecords);
  }

  /** Aborts on reset and on close: pending delivery reports. */
  get generationSignal(): AbortSignal {
    return this.generation.signal;
  }

  /** Aborts on close only: latency waits of requests in progress. */
  get lifetimeSignal(): AbortSignal {
    return this.lifetime.signal;
  }

  configure(patch: SimulatorConfigPatch): void {
    const clean = parseConfigPatch(patch);
    this.cfg = applyPatch(this.cfg, clean);
    if ('seed' in clean) this.random = makeRandom(this.cfg.seed);
    if (clean.maxRecords !== undefined) {
      const bounded = [this.sentLog, this.reportLog, this.incomingLog, this.fetchLog, this.optOutLog, this.inbox];
      for (const log of bounded) log.setMax(clean.maxRecords);
    }
    // Turning hang off releases nothing: held requests stay held until reset or close.
  }

  hold(res: ServerResponse): void {
    this.held.add(res);
    res.on('close', () => this.held.delete(res));
  }

  reset(): void {
    this.sentLog.clear();
    this.reportLog.clear();
    this.incomingLog.clear();
    this.fetchLog.clear();
    this.optOutLog.clear();
    this.optOuts.clear();
    this.inbox.clear();
    this.transientSeen.clear();
    this.releaseHeld();
    this.generation.abort();
    this.generation = unboundedController();
    const restore: Record<string, unknown> = {};
    for (const f of FAULT_FIELDS) restore[f] = this.initial[f];
    this.cfg = applyPatch(this.cfg, restore as SimulatorConfigPatch);
    this.random = makeRandom(this.cfg.seed);
  }

  close(): void {
    this.releaseHeld();
    this.generation.abort();
    this.lifetime.abort();
  }

  private releaseHeld(): void {
    for (const res of this.held) res.destroy();
    this.held.clear();
  }
}

/** Every pending report and request listens on these signals; thousands at once is normal. */
export function unboundedController(): AbortController {
  const c = new AbortController();
  setMaxListeners(0, c.signal);
  return c;
}

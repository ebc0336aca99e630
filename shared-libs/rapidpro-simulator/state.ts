/**
 * The mutable state of one RapidPro simulator: config, fault PRNG, stored broadcasts, record
 * lists, and the signal that cancels waits and callbacks on close.
 */
import { BoundedLog } from '../at-simulator/bounded-log.js';
import { makeRandom, type Random } from '../at-simulator/random.js';
import { unboundedController } from '../at-simulator/state.js';
import { applyPatch, cloneConfig, parseConfigPatch } from './config.js';
import { Store } from './store.js';
import type { IncomingRecord, RapidProConfig, RapidProConfigPatch, RequestRecord } from './types.js';

/** Fields that `reset()` restores to their start-up values. */
const FAULT_FIELDS = ['latencyMs', 'failNext', 'rate429', 'seed'] as const;

export class RapidProState {
  cfg: RapidProConfig;
  random: Random;
  readonly store: Store;
  readonly requestLog: BoundedLog<RequestRecord>;
  readonly incomingLog: BoundedLog<IncomingRecord>;
  private readonly initial: RapidProConfig;
  private readonly lifetime = unboundedController();

  constructor(cfg: RapidProConfig, firstId: number) {
    this.cfg = cloneConfig(cfg);
    this.initial = cloneConfig(cfg);
    this.random = makeRandom(cfg.seed);
    this.store = new Store(firstId, cfg.maxRecords);
    this.requestLog = new BoundedLog(cfg.maxRecords);
    this.incomingLog = new BoundedLog(cfg.maxRecords);
  }

  /** Aborts on close: latency waits and callbacks in flight. */
  get lifetimeSignal(): AbortSignal {
    return this.lifetime.signal;
  }

  configure(patch: RapidProConfigPatch): void {
    const clean = parseConfigPatch(patch);
    this.cfg = applyPatch(this.cfg, clean);
    if ('seed' in clean) this.random = makeRandom(this.cfg.seed);
    if (clean.maxRecords !== undefined) {
      for (const bounded of [this.store, this.requestLog, this.incomingLog]) bounded.setMax(clean.maxRecords);
    }
  }

  reset(): void {
    this.store.clear();
    this.requestLog.clear();
    this.incomingLog.clear();
    const restore: RapidProConfigPatch = {};
    for (const f of FAULT_FIELDS) Object.assign(restore, { [f]: this.initial[f] });
    this.cfg = applyPatch(this.cfg, restore);
    this.random = makeRandom(this.cfg.seed);
  }

  close(): void {
    this.lifetime.abort();
  }
}

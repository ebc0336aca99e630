/**
 * What the provider actually charged, per destination country and day, kept small so an estimate
 * reads at most 31 docs instead of scanning messages: `sms-cost-samples:<calling code>:<UTC day>`
 * holds, per currency, the total charged (in 1/10000 units, exact), the parts and the messages.
 * Charges are added up in memory as send results are recorded and written about once a second
 * (a compare-and-swap per doc, so instances sharing a CouchDB add up too); an estimate writes
 * what is pending first. A crash loses at most that second of samples, which an average over
 * 30 days does not notice.
 */
import type { Logger } from 'pino';
import type { Db } from '../../../shared-libs/couch/index.js';
import { parseAtCost, type CostSample } from '../../../shared-libs/message-utils/index.js';
import { callingCode } from '../../../shared-libs/phone-number/index.js';
import type { SendOutcome } from '../sms/types.js';
import { KeyedDocs, type KeyedDoc, type KeyedUpdate } from '../store/keyed-docs.js';

const PREFIX = 'sms-cost-samples:';
const UNITS = 10_000;
const DAY_MS = 86_400_000;
/** How far back estimates look. */
export const SAMPLE_DAYS = 30;

interface Totals {
  units: number;
  parts: number;
  messages: number;
}

export interface CostSamplesDoc extends KeyedDoc {
  type: 'sms_cost_samples';
  calling_code: string;
  day: string;
  by_currency: Record<string, Totals>;
}

const dayOf = (t: number): string => new Date(t).toISOString().slice(0, 10);
const docId = (code: string, day: string): string => `${PREFIX}${code}:${day}`;

export class CostSamples {
  private readonly docs: KeyedDocs;
  private pending = new Map<string, { code: string; day: string; totals: Map<string, Totals> }>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
    private readonly flushMs = 1000,
  ) {
    this.docs = new KeyedDocs(db);
  }

  /** One accepted message: its recipient, the provider's cost string ("KES 0.8000") and parts. */
  add(to: string, cost: string | undefined, parts: number | undefined): void {
    const charged = parseAtCost(cost);
    const code = callingCode(to);
    if (!charged || !code || !parts || parts <= 0) return;
    const day = dayOf(this.now().getTime());
    const id = docId(code, day);
    const entry = this.pending.get(id) ?? { code, day, totals: new Map<string, Totals>() };
    const t = entry.totals.get(charged.currency) ?? { units: 0, parts: 0, messages: 0 };
    t.units += Math.round(charged.amount * UNITS);
    t.parts += parts;
    t.messages += 1;
    entry.totals.set(charged.currency, t);
    this.pending.set(id, entry);
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes what is pending (after any write already running). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const updates = [...batch].map(([id, e]): KeyedUpdate<CostSamplesDoc, void> => ({
      id,
      apply(current) {
        const by = { ...(current?.by_currency ?? {}) };
        for (const [currency, d] of e.totals) {
          const was = by[currency] ?? { units: 0, parts: 0, messages: 0 };
          by[currency] = {
            units: was.units + d.units,
            parts: was.parts + d.parts,
            messages: was.messages + d.messages,
          };
        }
        return {
          next: { _id: id, type: 'sms_cost_samples', calling_code: e.code, day: e.day, by_currency: by },
          result: undefined,
        };
      },
    }));
    try {
      await this.docs.updateAll(updates);
    } catch (err) {
      this.logger.warn({ err }, 'storing cost samples failed; they are kept for the next write');
      for (const [id, e] of batch) {
        const into = this.pending.get(id) ?? { ...e, totals: new Map<string, Totals>() };
        for (const [currency, d] of e.totals) {
          const t = into.totals.get(currency) ?? { units: 0, parts: 0, messages: 0 };
          into.totals.set(currency, {
            units: t.units + d.units,
            parts: t.parts + d.parts,
            messages: t.messages + d.messages,
          });
        }
        this.pending.set(id, into);
      }
    }
  }

  /** Per-day, per-currency charges for messages to this calling code in the last 30 days. */
  async history(code: string): Promise<CostSample[]> {
    await this.flush();
    const t = this.now().getTime();
    const res = await this.db.allDocs({
      startkey: docId(code, dayOf(t - SAMPLE_DAYS * DAY_MS)),
      endkey: docId(code, dayOf(t)),
      include_docs: true,
    });
    return res.rows.flatMap((row) => {
      const doc = row.doc as unknown as CostSamplesDoc | undefined;
      return Object.entries(doc?.by_currency ?? {}).map(([currency, s]) => ({
        currency,
        amount: s.units / UNITS,
        parts: s.parts,
      }));
    });
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}

/** Feeds accepted send results (with the provider's cost and parts) into the samples. */
export function costSampleObserver(samples: CostSamples): {
  onSendResult(serviceId: string, outcome: SendOutcome, ms: number, message?: { to: string }): void;
} {
  return {
    onSendResult: (_serviceId, outcome, _ms, message) => {
      if (outcome.ok && message) samples.add(message.to, outcome.cost, outcome.parts);
    },
  };
}

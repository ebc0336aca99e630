/**
 * What sending some messages would take, without storing or sending anything: per message the
 * encoding, characters and parts of the text that would go out (after CHT's truncation to
 * `multipart_sms_limit` and, unless `sms.smart_encoding` is false, smart encoding), and a cost
 * from what the provider charged per part for that country in the last 30 days (null without
 * such history: a guess would look like a price).
 */
import { estimateCost, truncateToParts, type Cost } from '../../../shared-libs/message-utils/index.js';
import { callingCode, normalize } from '../../../shared-libs/phone-number/index.js';
import { InvalidInputError } from '../errors.js';
import { describeForSending } from '../outbox/encoding.js';
import type { AppSettings } from '../settings/schema.js';
import type { CostSamples } from './cost-samples.js';

export interface EstimateItem {
  to: string;
  encoding: 'GSM-7' | 'UCS-2';
  characters: number;
  parts: number;
  smart_encoded: boolean;
  estimated_cost: Cost | null;
}

export interface EstimateTotals {
  messages: number;
  parts: number;
  /** One sum per currency. */
  estimated_cost: Cost[];
  /** Messages without an estimate (no charges to their country in the last 30 days). */
  without_estimate: number;
}

const UNITS = 10_000;

export async function estimateMessages(
  items: ReadonlyArray<{ to: string; message: string }>,
  settings: AppSettings,
  samples: CostSamples,
  field: (i: number) => string,
): Promise<{ messages: EstimateItem[]; totals: EstimateTotals }> {
  const limit = settings.multipart_sms_limit ?? 10;
  const described = items.map((item, i) => {
    const to = normalize(settings, item.to);
    if (!to) throw new InvalidInputError(`${field(i)}to`, `${field(i)}to: "${item.to}" is not a usable phone number`);
    return { to, text: describeForSending(truncateToParts(item.message, limit).message, settings) };
  });
  // One history read per country, however many messages go there.
  const histories = new Map<string, ReturnType<CostSamples['history']>>();
  const messages = await Promise.all(
    described.map(async ({ to, text }): Promise<EstimateItem> => {
      const code = callingCode(to);
      let cost: Cost | null = null;
      if (code) {
        if (!histories.has(code)) histories.set(code, samples.history(code));
        cost = estimateCost(text.parts, await (histories.get(code) as ReturnType<CostSamples['history']>));
      }
      const { encoding, characters, parts, smart_encoded } = text;
      return { to, encoding, characters, parts, smart_encoded, estimated_cost: cost };
    }),
  );
  const sums = new Map<string, number>();
  for (const m of messages) {
    if (m.estimated_cost) {
      const c = m.estimated_cost;
      sums.set(c.currency, (sums.get(c.currency) ?? 0) + Math.round(c.amount * UNITS));
    }
  }
  return {
    messages,
    totals: {
      messages: messages.length,
      parts: messages.reduce((n, m) => n + m.parts, 0),
      estimated_cost: [...sums]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([currency, units]) => ({ currency, amount: units / UNITS })),
      without_estimate: messages.filter((m) => m.estimated_cost === null).length,
    },
  };
}

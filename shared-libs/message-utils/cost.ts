/**
 * SMS costs as providers report them and tasks keep them (`task.cost`): "<ISO 4217 code>
 * <decimal>" ("KES 0.8000", "KES 1.00"), or a bare "0" when the message was refused and nothing
 * was charged (the format of the AT service, whose folder under api/src/sms/services/ cites its docs).
 *
 * Amounts are handled as integer ten-thousandths of the currency unit (the 4 decimals AT
 * reports), so sums and averages never pick up binary floating-point drift (0.1 + 0.2).
 */

export interface Cost {
  /** Upper-case ISO 4217 code as AT reports it ("KES", "UGX", "USD"). */
  currency: string;
  /** In currency units, at most 4 decimals. */
  amount: number;
}

/** What one send was charged, and for how many parts. */
export interface CostSample extends Cost {
  parts: number;
}

const DECIMALS = 4;
const SCALE = 10 ** DECIMALS;
const AT_COST = /^([A-Za-z]{3})\s+(\d+)(?:\.(\d+))?$/;

/** "0.80005" → 8001 (half-up beyond the 4th decimal); null when the amount is unsafely large. */
function decimalToUnits(whole: string, fraction: string): number | null {
  const kept = Number(fraction.slice(0, DECIMALS).padEnd(DECIMALS, '0'));
  const roundUp = fraction.length > DECIMALS && Number(fraction[DECIMALS]) >= 5 ? 1 : 0;
  const units = Number(whole) * SCALE + kept + roundUp;
  return Number.isSafeInteger(units) ? units : null;
}

function amountToUnits(amount: number): number {
  return Math.round(amount * SCALE);
}

/**
 * Parses AT's `cost`. Returns null for AT's uncharged "0" (it names no currency, so it is not a
 * price) and for anything that is not "<3-letter code> <non-negative decimal>".
 */
export function parseAtCost(raw: unknown): Cost | null {
  if (typeof raw !== 'string') {
    return null;
  }
  const match = AT_COST.exec(raw.trim());
  if (!match) {
    return null;
  }
  const units = decimalToUnits(match[2] ?? '0', match[3] ?? '');
  if (units === null) {
    return null;
  }
  return { currency: (match[1] ?? '').toUpperCase(), amount: units / SCALE };
}

/** The inverse of parseAtCost, in AT's 4-decimal form: { KES, 0.8 } → "KES 0.8000". */
export function formatCost(cost: Cost): string {
  const units = amountToUnits(cost.amount);
  const whole = Math.floor(units / SCALE);
  const fraction = String(units % SCALE).padStart(DECIMALS, '0');
  return `${cost.currency} ${whole}.${fraction}`;
}

function isUsable(sample: CostSample): boolean {
  return (
    typeof sample.currency === 'string' &&
    sample.currency.trim() !== '' &&
    Number.isFinite(sample.amount) &&
    sample.amount >= 0 &&
    Number.isSafeInteger(sample.parts) &&
    sample.parts > 0
  );
}

interface Totals {
  units: bigint;
  parts: bigint;
}

/** Integer division rounded half up, for non-negative operands. */
function divideRounded(numerator: bigint, denominator: bigint): bigint {
  return (numerator * 2n + denominator) / (denominator * 2n);
}

/**
 * Estimates what `parts` SMS parts will cost from what earlier sends were charged: the average
 * price per part (total charged / total parts) in one currency, times `parts`, rounded to 4
 * decimals. The currency is `currency` when given, otherwise the one with the most parts in the
 * history (ties: alphabetical, so the answer does not depend on sample order).
 *
 * Null when there is no usable sample in that currency, or `parts` is not a non-negative integer.
 * Samples with no parts, a negative or non-finite amount, or no currency are skipped.
 */
export function estimateCost(parts: number, history: readonly CostSample[], currency?: string): Cost | null {
  if (!Number.isSafeInteger(parts) || parts < 0) {
    return null;
  }
  const byCurrency = new Map<string, Totals>();
  for (const sample of history) {
    if (!isUsable(sample)) {
      continue;
    }
    const code = sample.currency.trim().toUpperCase();
    const totals = byCurrency.get(code) ?? { units: 0n, parts: 0n };
    totals.units += BigInt(amountToUnits(sample.amount));
    totals.parts += BigInt(sample.parts);
    byCurrency.set(code, totals);
  }
  const chosen = currency === undefined ? busiest(byCurrency) : currency.trim().toUpperCase();
  const totals = chosen === undefined ? undefined : byCurrency.get(chosen);
  if (chosen === undefined || totals === undefined) {
    return null;
  }
  const units = divideRounded(totals.units * BigInt(parts), totals.parts);
  return { currency: chosen, amount: Number(units) / SCALE };
}

function busiest(byCurrency: ReadonlyMap<string, Totals>): string | undefined {
  let best: string | undefined;
  let bestParts = -1n;
  for (const code of [...byCurrency.keys()].sort()) {
    const parts = byCurrency.get(code)?.parts ?? 0n;
    if (parts > bestParts) {
      best = code;
      bestParts = parts;
    }
  }
  return best;
}

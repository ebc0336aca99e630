import { expect } from 'chai';
import {
  describeText,
  estimateCost,
  formatCost,
  parseAtCost,
  type Cost,
  type CostSample,
} from '../../../shared-libs/message-utils/index.js';

const APOSTROPHE_160 = `${'a'.repeat(80)}’${'b'.repeat(79)}`;

describe('shared-libs/message-utils parseAtCost / formatCost', () => {
  const rows: Array<{ name: string; raw: unknown; expected: Cost | null }> = [
    { name: 'live format, 4 decimals', raw: 'KES 0.8000', expected: { currency: 'KES', amount: 0.8 } },
    { name: 'US dollars', raw: 'USD 0.0100', expected: { currency: 'USD', amount: 0.01 } },
    { name: 'larger amount', raw: 'TZS 44.0000', expected: { currency: 'TZS', amount: 44 } },
    { name: 'docs format, 2 decimals', raw: 'KES 1.00', expected: { currency: 'KES', amount: 1 } },
    { name: 'no decimals', raw: 'UGX 30', expected: { currency: 'UGX', amount: 30 } },
    { name: 'surrounding whitespace', raw: '  NGN 2.5000 ', expected: { currency: 'NGN', amount: 2.5 } },
    { name: 'lower-case code is upper-cased', raw: 'kes 0.8', expected: { currency: 'KES', amount: 0.8 } },
    { name: 'zero with a currency', raw: 'KES 0.0000', expected: { currency: 'KES', amount: 0 } },
    { name: '5th decimal rounds half up', raw: 'KES 0.00005', expected: { currency: 'KES', amount: 0.0001 } },
    { name: '5th decimal below 5 rounds down', raw: 'KES 0.80004', expected: { currency: 'KES', amount: 0.8 } },
    { name: "refused recipient's bare 0", raw: '0', expected: null },
    { name: 'empty string', raw: '', expected: null },
    { name: 'currency only', raw: 'KES', expected: null },
    { name: 'amount only', raw: '0.8000', expected: null },
    { name: 'negative amount', raw: 'KES -1.0000', expected: null },
    { name: 'thousands separator', raw: 'KES 1,000.00', expected: null },
    { name: 'two-letter code', raw: 'KE 0.8', expected: null },
    { name: 'unsafely large amount', raw: 'KES 9999999999999999', expected: null },
    { name: 'a number, not a string', raw: 0.8, expected: null },
    { name: 'undefined', raw: undefined, expected: null },
  ];
  for (const row of rows) {
    it(`parse: ${row.name}`, () => {
      expect(parseAtCost(row.raw)).to.deep.equal(row.expected);
    });
  }

  const formats: Array<{ name: string; cost: Cost; expected: string }> = [
    { name: 'sub-unit amount', cost: { currency: 'KES', amount: 0.8 }, expected: 'KES 0.8000' },
    { name: 'cents', cost: { currency: 'USD', amount: 0.01 }, expected: 'USD 0.0100' },
    { name: 'whole amount', cost: { currency: 'TZS', amount: 44 }, expected: 'TZS 44.0000' },
    { name: 'float sum 0.1 + 0.2', cost: { currency: 'USD', amount: 0.1 + 0.2 }, expected: 'USD 0.3000' },
    { name: 'zero', cost: { currency: 'KES', amount: 0 }, expected: 'KES 0.0000' },
  ];
  for (const row of formats) {
    it(`format: ${row.name}`, () => {
      expect(formatCost(row.cost)).to.equal(row.expected);
    });
  }

  it('format inverts parse for AT strings', () => {
    for (const raw of ['KES 0.8000', 'USD 0.0100', 'TZS 44.0000', 'UGX 1234.5678']) {
      expect(formatCost(parseAtCost(raw) as Cost)).to.equal(raw);
    }
  });
});

describe('shared-libs/message-utils estimateCost', () => {
  const kes = (amount: number, parts: number): CostSample => ({ currency: 'KES', amount, parts });
  const usd = (amount: number, parts: number): CostSample => ({ currency: 'USD', amount, parts });
  const kesCost = (amount: number): Cost => ({ currency: 'KES', amount });

  const rows: Array<{ name: string; parts: number; history: CostSample[]; currency?: string; expected: Cost | null }> =
    [
      { name: 'no history', parts: 1, history: [], expected: null },
      { name: 'one sample, same parts', parts: 1, history: [kes(0.8, 1)], expected: { currency: 'KES', amount: 0.8 } },
      // 0.8 * 3 is 2.4000000000000004 in floating point.
      { name: '3 parts at 0.8, no float drift', parts: 3, history: [kes(0.8, 1)], expected: kesCost(2.4) },
      // (0.1 + 0.2) / 2 * 2 is 0.30000000000000004 in floating point.
      {
        name: 'average of 0.1 and 0.2, two parts, no float drift',
        parts: 2,
        history: [usd(0.1, 1), usd(0.2, 1)],
        expected: { currency: 'USD', amount: 0.3 },
      },
      {
        name: 'average per part, weighted by parts',
        parts: 10,
        history: [kes(1.6, 2), kes(0.8, 1), kes(2.4, 3)],
        expected: { currency: 'KES', amount: 8 },
      },
      { name: 'rounds to 4 decimals (1/3)', parts: 1, history: [kes(1, 3)], expected: kesCost(0.3333) },
      { name: 'rounds half up (2/3)', parts: 2, history: [kes(1, 3)], expected: { currency: 'KES', amount: 0.6667 } },
      { name: 'zero parts cost nothing', parts: 0, history: [kes(0.8, 1)], expected: { currency: 'KES', amount: 0 } },
      {
        name: 'mixed currencies: the one with the most parts',
        parts: 2,
        history: [usd(0.01, 1), kes(0.8, 1), kes(0.8, 1)],
        expected: { currency: 'KES', amount: 1.6 },
      },
      {
        name: 'mixed currencies, tie: alphabetical',
        parts: 1,
        history: [usd(0.01, 1), kes(0.8, 1)],
        expected: { currency: 'KES', amount: 0.8 },
      },
      {
        name: 'explicit currency',
        parts: 3,
        history: [usd(0.01, 1), kes(0.8, 5)],
        currency: 'usd',
        expected: { currency: 'USD', amount: 0.03 },
      },
      { name: 'explicit currency with no samples', parts: 1, history: [kes(0.8, 1)], currency: 'UGX', expected: null },
      {
        name: 'unusable samples are skipped',
        parts: 1,
        history: [
          kes(0.8, 0),
          kes(-1, 1),
          kes(Number.NaN, 1),
          kes(0.8, 1.5),
          { currency: ' ', amount: 1, parts: 1 },
          kes(0.5, 1),
        ],
        expected: { currency: 'KES', amount: 0.5 },
      },
      { name: 'only unusable samples', parts: 1, history: [kes(0.8, 0)], expected: null },
      { name: 'negative parts', parts: -1, history: [kes(0.8, 1)], expected: null },
      { name: 'fractional parts', parts: 1.5, history: [kes(0.8, 1)], expected: null },
    ];
  for (const row of rows) {
    it(row.name, () => {
      expect(estimateCost(row.parts, row.history, row.currency)).to.deep.equal(row.expected);
    });
  }

  it('estimates from parsed AT costs and describeText parts', () => {
    const history: CostSample[] = [{ ...(parseAtCost('KES 0.8000') as Cost), parts: 1 }];
    const { parts } = describeText(APOSTROPHE_160, { smartEncoding: false });
    expect(estimateCost(parts, history)).to.deep.equal({ currency: 'KES', amount: 2.4 });
    const smart = describeText(APOSTROPHE_160, { smartEncoding: true });
    expect(estimateCost(smart.parts, history)).to.deep.equal({ currency: 'KES', amount: 0.8 });
  });
});

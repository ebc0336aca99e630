import { expect } from 'chai';
import {
  DEFAULT_DUPLICATE_LIMIT,
  DUPLICATE_WINDOW_MS,
  duplicateKey,
  duplicateLimit,
  isDuplicate,
  parseRecipientLimit,
  recipientLimitReason,
  recipientWindowStart,
  type RecipientLimitResult,
} from '../../../shared-libs/sms-guards/index.js';

describe('shared-libs/sms-guards limits', () => {
  describe('duplicateKey', () => {
    it('is 32 lower-case hex digits and stable', () => {
      const key = duplicateKey('+254712345678', 'Visit tomorrow');
      expect(key).to.match(/^[0-9a-f]{32}$/);
      expect(duplicateKey('+254712345678', 'Visit tomorrow')).to.equal(key);
    });

    const pairs: Array<{ name: string; a: [string, string]; b: [string, string] }> = [
      { name: 'different recipient', a: ['+254700000001', 'Hi'], b: ['+254700000002', 'Hi'] },
      { name: 'different text', a: ['+254700000001', 'Hi'], b: ['+254700000001', 'Hi!'] },
      { name: 'text case matters', a: ['+254700000001', 'hi'], b: ['+254700000001', 'Hi'] },
      // CHT's `${to}-${msg}` key makes these two pairs the same.
      { name: 'no ambiguity where to ends and text begins', a: ['+1-2', '3'], b: ['+1', '2-3'] },
    ];
    for (const row of pairs) {
      it(`differs: ${row.name}`, () => {
        expect(duplicateKey(...row.a)).to.not.equal(duplicateKey(...row.b));
      });
    }
  });

  describe('duplicateLimit (sms.duplicate_limit)', () => {
    type Settings = { duplicate_limit?: unknown } | null | undefined;
    const rows: Array<{ name: string; settings: Settings; limit: number }> = [
      { name: 'no sms settings', settings: undefined, limit: 5 },
      { name: 'null sms settings', settings: null, limit: 5 },
      { name: 'unset', settings: {}, limit: 5 },
      { name: 'number', settings: { duplicate_limit: 2 }, limit: 2 },
      { name: 'numeric string, as in the CHT docs sample', settings: { duplicate_limit: '2' }, limit: 2 },
      { name: 'the cap itself', settings: { duplicate_limit: 20 }, limit: 20 },
      { name: 'above the cap', settings: { duplicate_limit: 21 }, limit: 20 },
      { name: 'far above the cap (string)', settings: { duplicate_limit: '1000' }, limit: 20 },
      { name: 'fraction is truncated', settings: { duplicate_limit: 2.7 }, limit: 2 },
      { name: 'fraction string is truncated', settings: { duplicate_limit: '2.7' }, limit: 2 },
      { name: 'zero', settings: { duplicate_limit: 0 }, limit: 5 },
      { name: 'negative', settings: { duplicate_limit: -3 }, limit: 5 },
      { name: 'between 0 and 1 (CHT would make it 0)', settings: { duplicate_limit: 0.5 }, limit: 5 },
      { name: 'non-numeric string', settings: { duplicate_limit: 'abc' }, limit: 5 },
      { name: 'number followed by text (CHT: isNaN)', settings: { duplicate_limit: '5abc' }, limit: 5 },
      { name: 'empty string', settings: { duplicate_limit: '' }, limit: 5 },
      { name: 'boolean', settings: { duplicate_limit: true }, limit: 5 },
      { name: 'infinity', settings: { duplicate_limit: Number.POSITIVE_INFINITY }, limit: 5 },
    ];
    for (const row of rows) {
      it(row.name, () => {
        expect(duplicateLimit(row.settings)).to.equal(row.limit);
      });
    }

    it('window is 30 minutes; default is 5', () => {
      expect(DUPLICATE_WINDOW_MS).to.equal(30 * 60 * 1000);
      expect(DEFAULT_DUPLICATE_LIMIT).to.equal(5);
    });
  });

  describe('isDuplicate', () => {
    const rows: Array<{ name: string; earlier: number; limit: number; expected: boolean }> = [
      { name: 'first message', earlier: 0, limit: 5, expected: false },
      { name: 'fifth message with limit 5', earlier: 4, limit: 5, expected: false },
      { name: 'sixth message with limit 5 is the first duplicate', earlier: 5, limit: 5, expected: true },
      { name: 'second message with limit 1', earlier: 1, limit: 1, expected: true },
    ];
    for (const row of rows) {
      it(row.name, () => {
        expect(isDuplicate(row.earlier, row.limit)).to.equal(row.expected);
      });
    }
  });

  describe('parseRecipientLimit (sms.recipient_limit)', () => {
    const F = 'sms.recipient_limit';
    const NOT_OBJECT = `${F} must be an object like { "max": 10, "window_minutes": 60 }`;
    const rows: Array<{ name: string; value: unknown; expected: RecipientLimitResult }> = [
      { name: 'unset is off', value: undefined, expected: { ok: true, limit: null } },
      { name: 'null is off', value: null, expected: { ok: true, limit: null } },
      {
        name: 'valid',
        value: { max: 10, window_minutes: 60 },
        expected: { ok: true, limit: { max: 10, window_minutes: 60 } },
      },
      {
        name: 'bounds',
        value: { max: 10000, window_minutes: 10080 },
        expected: { ok: true, limit: { max: 10000, window_minutes: 10080 } },
      },
      {
        name: 'missing fields',
        value: {},
        expected: { ok: false, errors: [`${F}.max is required`, `${F}.window_minutes is required`] },
      },
      {
        name: 'zero max',
        value: { max: 0, window_minutes: 60 },
        expected: { ok: false, errors: [`${F}.max must be at least 1`] },
      },
      {
        name: 'fractional window',
        value: { max: 3, window_minutes: 1.5 },
        expected: { ok: false, errors: [`${F}.window_minutes must be a whole number`] },
      },
      {
        name: 'string max',
        value: { max: '10', window_minutes: 60 },
        expected: { ok: false, errors: [`${F}.max must be a number`] },
      },
      {
        name: 'window over a week',
        value: { max: 3, window_minutes: 10081 },
        expected: { ok: false, errors: [`${F}.window_minutes must be at most 10080 (7 days)`] },
      },
      {
        name: 'max over 10000',
        value: { max: 10001, window_minutes: 60 },
        expected: { ok: false, errors: [`${F}.max must be at most 10000`] },
      },
      {
        name: 'unknown key',
        value: { max: 3, window_minutes: 60, window: 5 },
        expected: { ok: false, errors: [`${F} accepts only max and window_minutes, not window`] },
      },
      { name: 'a number', value: 10, expected: { ok: false, errors: [NOT_OBJECT] } },
      { name: 'an array', value: [10, 60], expected: { ok: false, errors: [NOT_OBJECT] } },
    ];
    for (const row of rows) {
      it(row.name, () => {
        expect(parseRecipientLimit(row.value)).to.deep.equal(row.expected);
      });
    }
  });

  describe('recipientLimitReason', () => {
    const limit = { max: 3, window_minutes: 60 };
    const rows: Array<{ name: string; sent: number; limit: typeof limit | null; reason: string | null }> = [
      { name: 'off', sent: 1000, limit: null, reason: null },
      { name: 'below the cap', sent: 2, limit, reason: null },
      {
        name: 'at the cap',
        sent: 3,
        limit,
        reason: 'recipient already has 3 messages in the last 60 minutes (sms.recipient_limit.max 3)',
      },
      {
        name: 'above the cap',
        sent: 7,
        limit,
        reason: 'recipient already has 7 messages in the last 60 minutes (sms.recipient_limit.max 3)',
      },
    ];
    for (const row of rows) {
      it(row.name, () => {
        expect(recipientLimitReason(row.sent, row.limit)).to.equal(row.reason);
      });
    }

    it('window start is window_minutes before now', () => {
      expect(recipientWindowStart(10_000_000, limit)).to.equal(10_000_000 - 60 * 60_000);
    });
  });
});

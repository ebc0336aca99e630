import { expect } from 'chai';
import {
  duplicateCount,
  recipientCount,
  type DuplicateWindowDoc,
  type RecipientWindowDoc,
} from '../../../api/src/consent/windows.js';

const MIN = 60_000;
const T0 = Date.parse('2026-12-01T10:00:00Z');

/** Runs updates one after another on one doc, as the store would. */
function run<D, R>(updates: Array<{ apply(d: D | undefined): { next?: D; result: R } }>): R[] {
  let doc: D | undefined;
  return updates.map((u) => {
    const { next, result } = u.apply(doc === undefined ? undefined : structuredClone(doc));
    if (next) doc = next;
    return result;
  });
}

describe('duplicate windows (CHT: 30 minutes since the last identical message)', function () {
  const rows: Array<{ name: string; minutes: number[]; want: number[] }> = [
    { name: 'six within a minute count 1..6', minutes: [0, 0, 0, 0, 0, 1], want: [1, 2, 3, 4, 5, 6] },
    { name: 'each within 30 minutes of the previous keeps counting', minutes: [0, 25, 50, 75], want: [1, 2, 3, 4] },
    { name: 'more than 30 minutes after the last starts again', minutes: [0, 10, 41, 42], want: [1, 2, 1, 2] },
    { name: 'exactly 30 minutes after is still in the window', minutes: [0, 30], want: [1, 2] },
  ];
  for (const row of rows) {
    it(row.name, function () {
      const counts = run<DuplicateWindowDoc, number>(
        row.minutes.map((m) => duplicateCount('+254711000001', 'Hi', T0 + m * MIN)),
      );
      expect(counts).to.deep.equal(row.want);
    });
  }

  it('the key is per number and text: another number or text is another doc', function () {
    const ids = [
      duplicateCount('+254711000001', 'Hi', T0).id,
      duplicateCount('+254711000002', 'Hi', T0).id,
      duplicateCount('+254711000001', 'Hi!', T0).id,
    ];
    expect(new Set(ids).size).to.equal(3);
    expect(ids[0]).to.match(/^sms-duplicate-window:[0-9a-f]{32}$/);
  });
});

describe('per-recipient windows (sms.recipient_limit)', function () {
  const limit = { max: 3, window_minutes: 60 };
  const REFUSED = 'recipient already has 3 messages in the last 60 minutes (sms.recipient_limit.max 3)';
  const rows: Array<{ name: string; minutes: number[]; want: Array<string | null> }> = [
    { name: 'the fourth within the hour is refused', minutes: [0, 1, 2, 3], want: [null, null, null, REFUSED] },
    {
      name: 'refused messages do not count: an hour after the first, one goes again',
      minutes: [0, 1, 2, 3, 61],
      want: [null, null, null, REFUSED, null],
    },
    {
      name: 'spread over more than the window, all go',
      minutes: [0, 40, 80, 120, 160],
      want: [null, null, null, null, null],
    },
  ];
  for (const row of rows) {
    it(row.name, function () {
      const out = run<RecipientWindowDoc, string | null>(
        row.minutes.map((m) => recipientCount('+254711000001', limit, T0 + m * MIN)),
      );
      expect(out).to.deep.equal(row.want);
    });
  }

  it('a refusal writes nothing; times older than the window are dropped on the next write', function () {
    let doc: RecipientWindowDoc | undefined;
    const step = (minute: number): boolean => {
      const { next } = recipientCount('+254711000001', { max: 2, window_minutes: 60 }, T0 + minute * MIN).apply(doc);
      if (next) doc = next;
      return next !== undefined;
    };
    expect([step(0), step(1), step(2)]).to.deep.equal([true, true, false]);
    expect(step(70)).to.equal(true);
    expect(doc?.times).to.deep.equal([T0 + 70 * MIN]);
  });
});

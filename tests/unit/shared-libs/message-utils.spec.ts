import { expect } from 'chai';
import { countParts, truncateToParts } from '../../../shared-libs/message-utils/index.js';

const GSM_1000 = 'a'.repeat(1000);
const UNICODE_1000 = 'ᚠ'.repeat(1000);

describe('shared-libs/message-utils', () => {
  // Rows ported from CHT's generate tests:
  // https://github.com/medic/cht-core/blob/master/shared-libs/message-utils/test/index.js.
  describe('truncateToParts (cht-core message-utils generate)', () => {
    const rows: Array<{ name: string; text: string; limit?: number; message: string; truncated: boolean }> = [
      // CHT test: multipart_sms_limit 1 + 1000 GSM chars → first 150 chars + '...'
      {
        name: 'GSM, limit 1: 150 chars + ...',
        text: GSM_1000,
        limit: 1,
        message: `${'a'.repeat(150)}...`,
        truncated: true,
      },
      // CHT test: unicode → first 64 chars + '...'
      {
        name: 'unicode, limit 1: 64 chars + ...',
        text: UNICODE_1000,
        limit: 1,
        message: `${'ᚠ'.repeat(64)}...`,
        truncated: true,
      },
      {
        name: 'GSM, limit 2: 303 chars + ...',
        text: GSM_1000,
        limit: 2,
        message: `${'a'.repeat(303)}...`,
        truncated: true,
      },
      { name: 'GSM, default limit 10 fits 1000 chars', text: GSM_1000, message: GSM_1000, truncated: false },
      {
        name: 'GSM, default limit 10 cuts 2000 chars',
        text: 'a'.repeat(2000),
        message: `${'a'.repeat(1527)}...`,
        truncated: true,
      },
      {
        name: 'short message untouched',
        text: 'Thanks, report received',
        limit: 1,
        message: 'Thanks, report received',
        truncated: false,
      },
      {
        name: 'exactly 160 GSM chars is one part',
        text: 'b'.repeat(160),
        limit: 1,
        message: 'b'.repeat(160),
        truncated: false,
      },
      {
        name: '161 GSM chars with limit 1 is cut to 153',
        text: 'b'.repeat(161),
        limit: 1,
        message: `${'b'.repeat(150)}...`,
        truncated: true,
      },
      {
        name: 'exactly 70 unicode chars is one part',
        text: 'ᚠ'.repeat(70),
        limit: 1,
        message: 'ᚠ'.repeat(70),
        truncated: false,
      },
      { name: 'empty text untouched', text: '', limit: 1, message: '', truncated: false },
      { name: 'limit 0 falls back to 10 (CHT: || 10)', text: GSM_1000, limit: 0, message: GSM_1000, truncated: false },
      { name: 'NaN limit falls back to 10', text: GSM_1000, limit: Number.NaN, message: GSM_1000, truncated: false },
      {
        name: 'does not split a surrogate pair at the cut',
        text: `${'ᚠ'.repeat(63)}😀${'ᚠ'.repeat(100)}`,
        limit: 1,
        // gsm part 1 = 63 'ᚠ' + 😀 (2 code units) + 2 'ᚠ'; dropping the last 3 units leaves 63 'ᚠ' + half
        // of the emoji, which is removed instead of being sent as a lone surrogate (CHT would keep it).
        message: `${'ᚠ'.repeat(63)}...`,
        truncated: true,
      },
    ];
    for (const row of rows) {
      it(row.name, () => {
        const result = row.limit === undefined ? truncateToParts(row.text) : truncateToParts(row.text, row.limit);
        expect(result.message).to.equal(row.message);
        if (row.truncated) {
          expect(result.original_message).to.equal(row.text);
        } else {
          expect(result).to.not.have.property('original_message');
        }
      });
    }

    it('truncated output fits within the limit', () => {
      for (const limit of [1, 2, 3, 10]) {
        expect(countParts(truncateToParts(GSM_1000.repeat(2), limit).message).parts).to.be.at.most(limit);
        expect(countParts(truncateToParts(UNICODE_1000, limit).message).parts).to.be.at.most(limit);
      }
    });
  });

  describe('countParts', () => {
    const rows: Array<{ name: string; text: string; parts: number; encoding: string }> = [
      { name: 'empty', text: '', parts: 0, encoding: 'GSM_7BIT' },
      { name: '160 GSM', text: 'a'.repeat(160), parts: 1, encoding: 'GSM_7BIT' },
      { name: '161 GSM', text: 'a'.repeat(161), parts: 2, encoding: 'GSM_7BIT' },
      { name: '306 GSM', text: 'a'.repeat(306), parts: 2, encoding: 'GSM_7BIT' },
      { name: 'extended chars count double', text: '€'.repeat(80), parts: 1, encoding: 'GSM_7BIT' },
      { name: '70 unicode', text: 'ᚠ'.repeat(70), parts: 1, encoding: 'UCS2' },
      { name: '71 unicode', text: 'ᚠ'.repeat(71), parts: 2, encoding: 'UCS2' },
      { name: 'one non-GSM char switches the whole text', text: `${'a'.repeat(100)}ł`, parts: 2, encoding: 'UCS2' },
    ];
    for (const row of rows) {
      it(row.name, () => {
        expect(countParts(row.text)).to.deep.equal({ parts: row.parts, encoding: row.encoding });
      });
    }
  });
});

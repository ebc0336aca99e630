/**
 * The content key tying an AT callback to its copy in the inbox fetch API: the callback's date
 * lacks milliseconds, numbers may be formatted differently; anything else must differ.
 */
import { expect } from 'chai';
import { contentKey, secondOf } from '../../../../api/src/sms/services/africas-talking/content-key.js';

const base = { from: '+254711000001', to: '20414', text: 'REG 1', date: '2025-03-19T08:34:18.445Z' };

describe('AT content key', function () {
  const same: Array<[string, Partial<typeof base>]> = [
    ['callback date without milliseconds', { date: '2025-03-19T08:34:18Z' }],
    ['date without a zone (UTC)', { date: '2025-03-19 08:34:18' }],
    ['date with an offset', { date: '2025-03-19T11:34:18.9+03:00' }],
    ['number without +', { from: '254711000001' }],
  ];
  for (const [name, change] of same) {
    it(`same message: ${name}`, function () {
      expect(contentKey({ ...base, ...change })).to.equal(contentKey(base));
    });
  }

  const different: Array<[string, Partial<typeof base>]> = [
    ['another second', { date: '2025-03-19T08:34:19.001Z' }],
    ['another text', { text: 'REG 2' }],
    ['text differing in case', { text: 'reg 1' }],
    ['another sender', { from: '+254711000002' }],
    ['another short code', { to: '20415' }],
  ];
  for (const [name, change] of different) {
    it(`different message: ${name}`, function () {
      expect(contentKey({ ...base, ...change })).to.not.equal(contentKey(base));
    });
  }

  const none: Array<[string, { from: string; text: string; to?: string; date?: string }]> = [
    ['no to', { from: base.from, text: base.text, date: base.date }],
    ['no date', { from: base.from, text: base.text, to: base.to }],
    ['unreadable date', { ...base, date: 'yesterday' }],
  ];
  for (const [name, m] of none) {
    it(`no key: ${name}`, function () {
      expect(contentKey(m)).to.equal(undefined);
    });
  }

  it('counts dates to the second, in UTC', function () {
    expect(secondOf('2025-03-19T08:34:18.999Z')).to.equal('2025-03-19T08:34:18.000Z');
  });
});

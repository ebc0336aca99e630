import { expect } from 'chai';
import { isWellFormed, nonEmptyValue, providerId } from '../../../api/src/sms/fields.js';

describe('provider id fields', () => {
  const rows: Array<[string, unknown, boolean, RegExp?]> = [
    ['an ASCII id', 'ATXid_abc123', true],
    ['an id with a paired surrogate (emoji)', 'id-\ud83d\ude00', true],
    ['a lone high surrogate', '\ud800', false, /well-formed/],
    ['a lone low surrogate after text', 'abc\udfff', false, /well-formed/],
    ['a high surrogate followed by text', '\ud83dx', false, /well-formed/],
    ['blank', '   ', false, /must not be empty/],
    ['empty', '', false, /must not be empty/],
  ];
  for (const [name, value, ok, message] of rows) {
    it(`${name} → ${ok ? 'accepted' : 'refused'}`, () => {
      for (const schema of [providerId, nonEmptyValue]) {
        const r = schema.safeParse(value);
        expect(r.success, name).to.equal(ok);
        if (!r.success && message) expect(r.error.issues.map((i) => i.message).join('; ')).to.match(message);
      }
    });
  }

  it('numbers stay accepted where JSON senders may use them', () => {
    expect(nonEmptyValue.safeParse(12345).success).to.equal(true);
    expect(providerId.safeParse(12345).success).to.equal(false);
  });

  it('isWellFormed agrees with the round trip through UTF-8', () => {
    for (const s of ['plain', '\ud83d\ude00', '\ud800', 'a\udc00b']) {
      const roundTrip = Buffer.from(s, 'utf8').toString('utf8');
      expect(isWellFormed(s), JSON.stringify(s)).to.equal(roundTrip === s);
    }
  });
});

import { expect } from 'chai';
import {
  SMART_ENCODING_REPLACEMENTS,
  countParts,
  isGsm7,
  smartEncode,
} from '../../../shared-libs/message-utils/index.js';

const hex = (ch: string): string => `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

describe('shared-libs/message-utils smartEncode', () => {
  describe('replaces look-alikes when the result is GSM-7', () => {
    const rows: Array<{ name: string; text: string; expected: string }> = [
      { name: 'right single quote as apostrophe', text: 'Your child’s visit', expected: "Your child's visit" },
      { name: 'curly single quotes', text: '‘ANC’ reminder', expected: "'ANC' reminder" },
      { name: 'curly double quotes', text: 'Reply “YES” to confirm', expected: 'Reply "YES" to confirm' },
      { name: 'low-9 and reversed quotes', text: '„Termin‟ ‚heute‛', expected: `"Termin" 'heute'` },
      { name: 'guillemets', text: '«Rendez-vous» demain', expected: '"Rendez-vous" demain' },
      { name: 'prime and double prime', text: '5′ 11″', expected: `5' 11"` },
      { name: 'en dash in a range', text: 'Open 8–17 h', expected: 'Open 8-17 h' },
      { name: 'em dash', text: 'Visit today — bring the card', expected: 'Visit today - bring the card' },
      { name: 'hyphen, non-breaking hyphen, figure dash, bar', text: 'a‐b‑c‒d―e', expected: 'a-b-c-d-e' },
      { name: 'minus sign', text: 'Temp −2 C', expected: 'Temp -2 C' },
      { name: 'ellipsis', text: 'Please wait…', expected: 'Please wait...' },
      { name: 'no-break space', text: '50\u00A0mg', expected: '50 mg' },
      { name: 'narrow no-break, thin, em, CJK spaces', text: 'a\u202Fb\u2009c\u2003d\u3000e', expected: 'a b c d e' },
      { name: 'zero-width space and joiners removed', text: 'Cl\u200Binic\u200C da\u200Dy', expected: 'Clinic day' },
      { name: 'byte order mark and word joiner removed', text: '\uFEFFHello\u2060 there', expected: 'Hello there' },
      { name: 'soft hyphen removed', text: 'immuni\u00ADsation', expected: 'immunisation' },
      { name: 'bullets', text: '• ORS\n• Zinc', expected: '- ORS\n- Zinc' },
      { name: 'backtick and acute accent used as apostrophes', text: 'don`t won´t', expected: "don't won't" },
      { name: 'modifier letter apostrophe', text: 'Hausa ʼyaʼya', expected: "Hausa 'ya'ya" },
      { name: 'fullwidth punctuation', text: 'OK！Yes？a，b：c；d', expected: 'OK!Yes?a,b:c;d' },
      { name: 'GSM-7 accented letters kept', text: 'Zürich — ¿Qué?', expected: 'Zürich - ¿Qué?' },
      { name: 'extension characters kept', text: '{Dose} [2] ~ €5 – ok', expected: '{Dose} [2] ~ €5 - ok' },
      { name: 'decomposed é composed to the GSM-7 é (NFC)', text: 'Cafe\u0301 ’ok’', expected: "Café 'ok'" },
      { name: 'several kinds at once', text: '“Hi” – it’s 8\u00A0am…', expected: `"Hi" - it's 8 am...` },
    ];
    for (const row of rows) {
      it(row.name, () => {
        const result = smartEncode(row.text);
        expect(result).to.deep.equal({ text: row.expected, changed: true });
        expect(isGsm7(result.text)).to.equal(true);
      });
    }
  });

  describe('keeps the original', () => {
    const rows: Array<{ name: string; text: string }> = [
      { name: 'empty text', text: '' },
      { name: 'plain GSM-7 text', text: 'Hello, your next visit is on 12/03.' },
      { name: 'GSM-7 accents and Greek capitals', text: 'Ñandú Øre Å ß É Δ Φ Γ Λ Ω Π Ψ Σ Θ Ξ' },
      { name: 'GSM-7 with extension characters', text: 'Cost: €5 {approx} [ok] ~ | ^ \\' },
      { name: 'Amharic', text: 'ሰላም፣ የክትባት ቀን ነገ ነው' },
      { name: 'Amharic with curly quotes', text: '“ሰላም” – ነገ’' },
      { name: 'Arabic', text: 'مرحبا، موعدك غدا' },
      { name: 'Arabic with an en dash', text: 'مرحبا – موعدك غدا…' },
      { name: 'Chinese with curly quotes', text: '“你好” 明天见…' },
      { name: 'emoji', text: 'Thanks 👍' },
      { name: 'emoji with curly quotes and a dash', text: '“Thanks” 👍 – see you' },
      { name: 'emoji joined by zero-width joiners', text: 'Family 👨\u200D👩\u200D👧 day’s plan' },
      { name: 'Romanian ă and ț are real letters', text: 'Bună ziua — mulțumesc’' },
      { name: 'Hungarian ő is a real letter', text: 'Szőlő – „jó”' },
      { name: 'lower-case ç is not GSM-7 (only Ç is)', text: 'Garçon’s' },
      { name: 'Swahili with a Cyrillic look-alike letter', text: 'Habari – а' },
      { name: 'only invisible characters (would become empty)', text: '\u200B\uFEFF' },
      { name: 'ellipses that would need more parts as GSM-7', text: '…'.repeat(70) },
    ];
    for (const row of rows) {
      it(row.name, () => {
        expect(smartEncode(row.text)).to.deep.equal({ text: row.text, changed: false });
      });
    }
  });

  it('a 160-character GSM-7 SMS with one typographic apostrophe goes from 3 UCS-2 parts to 1 GSM-7 part', () => {
    const text = `${'a'.repeat(80)}’${'b'.repeat(79)}`;
    expect(text).to.have.length(160);
    expect(countParts(text)).to.deep.equal({ parts: 3, encoding: 'UCS2' });
    const result = smartEncode(text);
    expect(result.changed).to.equal(true);
    expect(result.text).to.equal(`${'a'.repeat(80)}'${'b'.repeat(79)}`);
    expect(countParts(result.text)).to.deep.equal({ parts: 1, encoding: 'GSM_7BIT' });
  });

  it('applies ellipses while they do not add parts', () => {
    const text = '…'.repeat(50);
    expect(smartEncode(text)).to.deep.equal({ text: '...'.repeat(50), changed: true });
  });

  describe('every table entry', () => {
    for (const [ch, replacement] of SMART_ENCODING_REPLACEMENTS) {
      it(`${hex(ch)} → ${JSON.stringify(replacement)}`, () => {
        expect(isGsm7(ch), 'the character itself needs UCS-2').to.equal(false);
        expect(isGsm7(replacement), 'its replacement is GSM-7').to.equal(true);
        expect(smartEncode(`a${ch}b`)).to.deep.equal({ text: `a${replacement}b`, changed: true });
      });
    }
  });
});

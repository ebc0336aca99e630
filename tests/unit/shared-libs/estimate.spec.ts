import { expect } from 'chai';
import gsm from 'gsm';
import { countParts, describeText, type TextDescription } from '../../../shared-libs/message-utils/index.js';

const APOSTROPHE_160 = `${'a'.repeat(80)}’${'b'.repeat(79)}`;

describe('shared-libs/message-utils describeText', () => {
  type Expected = Omit<TextDescription, 'sent_text'>;
  type Row = { name: string; text: string; smart?: boolean; expected: Expected; sent?: string };
  const gsm7 = (characters: number, parts: number): Expected => ({
    encoding: 'GSM-7',
    characters,
    parts,
    smart_encoded: false,
  });
  const ucs2 = (characters: number, parts: number): Expected => ({
    encoding: 'UCS-2',
    characters,
    parts,
    smart_encoded: false,
  });

  const rows: Row[] = [
    { name: 'empty text', text: '', expected: gsm7(0, 0) },
    { name: 'short GSM-7', text: 'Visit tomorrow', expected: gsm7(14, 1) },
    { name: '160 GSM-7 characters: 1 part', text: 'a'.repeat(160), expected: gsm7(160, 1) },
    { name: '161 GSM-7 characters: 2 parts', text: 'a'.repeat(161), expected: gsm7(161, 2) },
    { name: '306 GSM-7 characters (2 x 153): 2 parts', text: 'a'.repeat(306), expected: gsm7(306, 2) },
    { name: '307 GSM-7 characters: 3 parts', text: 'a'.repeat(307), expected: gsm7(307, 3) },
    { name: 'GSM-7 accented letters count 1', text: 'éèùìòÇØøÅåÄäÖöÑñÜüàßÉÆæ¿¡§£¥', expected: gsm7(28, 1) },
    { name: 'extension character counts 2', text: '€', expected: gsm7(2, 1) },
    { name: 'every extension character counts 2', text: '^{}\\[~]|€\f', expected: gsm7(20, 1) },
    { name: '80 euro signs are 160 septets: 1 part', text: '€'.repeat(80), expected: gsm7(160, 1) },
    { name: '80 euro signs + 1 are 161 septets: 2 parts', text: `${'€'.repeat(80)}a`, expected: gsm7(161, 2) },
    {
      // 306 septets, but the escape pair cannot straddle parts: 152 | € + 151 | 1.
      name: 'an extension character never straddles a part boundary',
      text: `${'a'.repeat(152)}€${'a'.repeat(152)}`,
      expected: gsm7(306, 3),
    },
    { name: '70 UCS-2 units: 1 part', text: 'ᚠ'.repeat(70), expected: ucs2(70, 1) },
    { name: '71 UCS-2 units: 2 parts', text: 'ᚠ'.repeat(71), expected: ucs2(71, 2) },
    { name: '134 UCS-2 units (2 x 67): 2 parts', text: 'ᚠ'.repeat(134), expected: ucs2(134, 2) },
    { name: '135 UCS-2 units: 3 parts', text: 'ᚠ'.repeat(135), expected: ucs2(135, 3) },
    { name: 'one non-GSM character makes the whole text UCS-2', text: `${'a'.repeat(69)}ă`, expected: ucs2(70, 1) },
    { name: 'extension characters count 1 in UCS-2', text: '€{}ă', expected: ucs2(4, 1) },
    { name: 'an emoji is 2 UTF-16 units', text: 'Hi 👍', expected: ucs2(5, 1) },
    { name: 'Amharic', text: 'ሰላም ነገ', expected: ucs2(6, 1) },
    {
      name: 'issue case without smart encoding: 160 characters with one ’ are 3 UCS-2 parts',
      text: APOSTROPHE_160,
      expected: ucs2(160, 3),
    },
    {
      name: 'issue case with smart encoding: the same text is 1 GSM-7 part',
      text: APOSTROPHE_160,
      smart: true,
      expected: { ...gsm7(160, 1), smart_encoded: true },
      sent: `${'a'.repeat(80)}'${'b'.repeat(79)}`,
    },
    {
      name: 'smart encoding can add septets: … becomes ...',
      text: 'Wait…',
      smart: true,
      expected: { ...gsm7(7, 1), smart_encoded: true },
      sent: 'Wait...',
    },
    { name: 'smart encoding leaves GSM-7 text alone', text: 'Hello', smart: true, expected: gsm7(5, 1) },
    { name: 'smart encoding leaves Arabic with a ’ alone', text: 'مرحبا ’', smart: true, expected: ucs2(7, 1) },
  ];

  for (const row of rows) {
    it(row.name, () => {
      const result = describeText(row.text, { smartEncoding: row.smart ?? false });
      expect(result).to.deep.equal({ ...row.expected, sent_text: row.sent ?? row.text });
    });
  }

  it('agrees with countParts and with the gsm package on every row', () => {
    for (const row of rows) {
      const result = describeText(row.text, { smartEncoding: row.smart ?? false });
      expect(result.parts, row.name).to.equal(countParts(result.sent_text).parts);
      const counted = gsm(result.sent_text);
      if (counted.sms_count === 1) {
        const capacity = result.encoding === 'GSM-7' ? 160 : 70;
        expect(result.characters, row.name).to.equal(capacity - counted.chars_left);
      }
    }
  });
});

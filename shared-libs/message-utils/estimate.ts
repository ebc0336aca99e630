/**
 * What a text costs to send: its encoding, the characters the carrier counts and the parts it
 * bills. Parts come from `countParts` (the `gsm` package CHT uses), so the figures agree with
 * CHT's truncation: 160 GSM-7 septets or 70 UCS-2 units in one part, 153 / 67 per part when
 * concatenated (the rest of each part carries the concatenation header).
 */
import { countParts } from './length.js';
import { septetCount } from './gsm7.js';
import { smartEncode } from './smart-encoding.js';

export type TextEncoding = 'GSM-7' | 'UCS-2';

export interface TextDescription {
  encoding: TextEncoding;
  /** GSM-7: septets (extension-table characters count 2). UCS-2: UTF-16 code units (emoji count 2). */
  characters: number;
  parts: number;
  /** True when smart encoding replaced characters, i.e. `sent_text` differs from the input. */
  smart_encoded: boolean;
  /** The text that would go to the provider. */
  sent_text: string;
}

export interface DescribeOptions {
  smartEncoding: boolean;
}

export function describeText(text: string, options: DescribeOptions): TextDescription {
  const encoded = options.smartEncoding ? smartEncode(text) : { text, changed: false };
  const sent = encoded.text;
  const { parts, encoding } = countParts(sent);
  const ucs2 = encoding === 'UCS2';
  return {
    encoding: ucs2 ? 'UCS-2' : 'GSM-7',
    characters: ucs2 ? sent.length : septetCount(sent),
    parts,
    smart_encoded: encoded.changed,
    sent_text: sent,
  };
}

/**
 * GSM 03.38 (3GPP TS 23.038) alphabet checks, using the same `gsm` package as `countParts` so an
 * encoding decision here always agrees with the part count there.
 */
import gsm from 'gsm';

/**
 * The extension table characters: each is sent as ESC + character, so it costs two septets
 * (3GPP TS 23.038 §6.2.1.1). Identical to the characters the `gsm` package counts as 2.
 */
const EXTENSION = new Set(['\f', '^', '{', '}', '\\', '[', '~', ']', '|', '€']);

/** True when every character is in the GSM-7 basic or extension table (the empty text is). */
export function isGsm7(text: string): boolean {
  return gsm(text).char_set !== 'Unicode';
}

/** Septets a GSM-7 text occupies: one per basic-table character, two per extension character. */
export function septetCount(text: string): number {
  let count = 0;
  for (const ch of text) {
    count += EXTENSION.has(ch) ? 2 : 1;
  }
  return count;
}

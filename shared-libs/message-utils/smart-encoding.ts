/**
 * "Smart encoding": a single typographic look-alike (a curly apostrophe pasted from a word
 * processor, an en dash, a non-breaking space) forces the whole SMS into UCS-2, which fits 70
 * characters per part instead of 160, so one ’ can triple the parts billed. Replacing such
 * characters with their GSM-7 equivalents is what Twilio's Smart Encoding does
 * (https://www.twilio.com/docs/messaging/services/smart-encoding-char-list); this table is a
 * subset of that list plus the Unicode spaces, dashes and invisible characters that commonly
 * arrive in copied text.
 *
 * All or nothing: the replacement is used only when the whole result is GSM-7. A text that needs
 * UCS-2 for real letters (Amharic, Arabic, Chinese, emoji, ă, ő, ç…) keeps every character as
 * written, curly quotes included, because replacing some of them would not change the encoding.
 */
import { countParts } from './length.js';
import { isGsm7 } from './gsm7.js';

export interface SmartEncoded {
  /** The text to send: the replacement, or the original when nothing was replaced. */
  text: string;
  /** True when `text` differs from the input. */
  changed: boolean;
}

function entries(chars: string, replacement: string): Array<[string, string]> {
  return [...chars].map((ch) => [ch, replacement]);
}

const DOUBLE_QUOTES =
  '\u00AB\u00BB' + // « »
  '\u201C\u201D\u201E\u201F' + // “ ” „ ‟
  '\u2033\u02BA\u02EE' + // ″ ʺ ˮ (double prime, modifier double prime/apostrophe)
  '\u275D\u275E\u301D\u301E\uFF02'; // ❝ ❞ 〝 〞 ＂
const SINGLE_QUOTES =
  '\u2018\u2019\u201A\u201B' + // ‘ ’ ‚ ‛
  '\u2032\u2039\u203A' + // ′ ‹ ›
  '\u02B9\u02BB\u02BC\u02BD\u02C8\u02CA\u02CB' + // ʹ ʻ ʼ ʽ ˈ ˊ ˋ (modifier-letter apostrophes and primes)
  '\u00B4\u0060' + // ´ ` (acute and grave accents typed as apostrophes; ` is not in GSM-7)
  '\u275B\u275C\uFF07'; // ❛ ❜ ＇
const DASHES =
  '\u2010\u2011\u2012\u2013\u2014\u2015' + // ‐ ‑ ‒ – — ―
  '\u2043\u2212\uFE58\uFE63\uFF0D'; // ⁃ − ﹘ ﹣ －
const BULLETS = '\u2022\u2023\u2219\u25E6'; // • ‣ ∙ ◦
const SPACES =
  '\u00A0' + // no-break space
  '\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A' + // en quad … hair space
  '\u202F\u205F\u3000'; // narrow no-break, medium mathematical, ideographic space
const INVISIBLE =
  '\u00AD' + // soft hyphen
  '\u200B\u200C\u200D' + // zero-width space, non-joiner, joiner
  '\u2060\uFEFF'; // word joiner, zero-width no-break space (byte order mark)

const REPLACEMENTS: ReadonlyMap<string, string> = new Map([
  ...entries(DOUBLE_QUOTES, '"'),
  ...entries(SINGLE_QUOTES, "'"),
  ...entries(DASHES, '-'),
  ...entries(BULLETS, '-'),
  ...entries(SPACES, ' '),
  ...entries(INVISIBLE, ''),
  ['\u2026', '...'], // … horizontal ellipsis
  ['\u2024', '.'], // ․ one dot leader
  ['\u2025', '..'], // ‥ two dot leader
  ['\u2044', '/'], // ⁄ fraction slash
  ['\u2215', '/'], // ∕ division slash
  ['\uFF0C', ','], // ， fullwidth comma
  ['\uFF1A', ':'], // ： fullwidth colon
  ['\uFF1B', ';'], // ； fullwidth semicolon
  ['\uFF01', '!'], // ！ fullwidth exclamation mark
  ['\uFF1F', '?'], // ？ fullwidth question mark
]);

/** Every character smartEncode may replace, with its replacement ('' = removed). */
export const SMART_ENCODING_REPLACEMENTS = REPLACEMENTS;

function replaceLookAlikes(text: string): string {
  let out = '';
  for (const ch of text) {
    out += REPLACEMENTS.get(ch) ?? ch;
  }
  return out;
}

/**
 * Replaces typographic look-alikes with GSM-7 characters when that makes the whole text GSM-7.
 *
 * The text is first put in Unicode NFC form, which only composes canonically equivalent
 * sequences: an "é" typed as e + U+0301 becomes the single GSM-7 "é" it displays as.
 *
 * The original is kept (changed: false) when the text is already GSM-7, when anything outside
 * GSM-7 remains after replacement, when the result would be empty, or when the result would need
 * more parts than the original (a text of mostly '…' grows three septets per ellipsis).
 */
export function smartEncode(text: string): SmartEncoded {
  if (isGsm7(text)) {
    return { text, changed: false };
  }
  const replaced = replaceLookAlikes(text.normalize('NFC'));
  if (replaced === '' || !isGsm7(replaced) || countParts(replaced).parts > countParts(text).parts) {
    return { text, changed: false };
  }
  return { text: replaced, changed: true };
}

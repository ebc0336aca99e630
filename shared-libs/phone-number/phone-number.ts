/**
 * CHT's phone-number wrapper
 * (https://github.com/medic/cht-core/blob/master/shared-libs/phone-number/src/phone-number.js)
 * on libphonenumber-js "max" metadata, the closest match to google-libphonenumber's validation.
 */
import { parsePhoneNumberWithError, type PhoneNumber } from 'libphonenumber-js/max';
import { regionForCallingCode } from './region.js';

export type PhoneValidation = 'full' | 'partial' | 'none';

export interface PhoneSettings {
  default_country_code?: string | number;
  phone_validation?: PhoneValidation;
}

/** CHT rejects any ASCII letter: libphonenumber accepts vanity numbers like 1-800-MICROSOFT. */
const LETTERS = /[a-z]/i;
/**
 * Characters a typed phone number may contain: digits of any script, whitespace and the
 * punctuation libphonenumber strips. Stricter than google-libphonenumber, which extracts a number
 * out of surrounding junk ('<0275552636>'); CHT's tests expect '<>'-style input to fail.
 */
const ALLOWED =
  /^[\p{Nd}\s+\-.()[\]/~\u00AD\u2010-\u2015\u2212\u2053\u223C\u30FC\uFF08\uFF09\uFF0D\uFF0F\uFF3B\uFF3D\uFF5E]*$/u;
const DIGIT = /\p{Nd}/u;

function cleanInput(phone: unknown): string | undefined {
  if (typeof phone !== 'string') {
    return undefined;
  }
  if (LETTERS.test(phone) || !ALLOWED.test(phone) || !DIGIT.test(phone)) {
    return undefined;
  }
  return phone;
}

function mode(settings: PhoneSettings | undefined): string {
  // CHT lower-cases the setting; anything unknown falls through to full validation.
  return String(settings?.phone_validation ?? '').toLowerCase();
}

function parse(settings: PhoneSettings | undefined, phone: string): PhoneNumber | undefined {
  try {
    const region = regionForCallingCode(settings?.default_country_code);
    return parsePhoneNumberWithError(phone, region ? { defaultCountry: region } : {});
  } catch {
    return undefined;
  }
}

function isAcceptable(settings: PhoneSettings | undefined, parsed: PhoneNumber | undefined): boolean {
  const validation = mode(settings);
  if (validation === 'none') {
    return true;
  }
  if (!parsed) {
    return false;
  }
  return validation === 'partial' ? parsed.isPossible() : parsed.isValid();
}

/** Digits (and a leading '+') of a number that libphonenumber cannot make sense of. */
function cleaned(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return phone.trim().startsWith('+') ? `+${digits}` : digits;
}

/**
 * E.164 form of a valid number, or false. With `phone_validation: 'none'` numbers that are not
 * even possible (short codes like '4234') come back as their cleaned digits: CHT returns valid
 * short numbers in national form rather than a made-up '+644234' (cht-core
 * shared-libs/phone-number/test/libphonenumber.spec.js).
 */
export function normalize(settings: PhoneSettings | undefined, phone: unknown): string | false {
  if (typeof phone !== 'string') return false;
  const key = `${String(settings?.default_country_code ?? '')}\u0000${mode(settings)}\u0000${phone}`;
  const known = normalized.get(key);
  if (known !== undefined) return known;
  const result = normalizeUncached(settings, phone);
  if (normalized.size >= NORMALIZED_CACHE) normalized.clear();
  normalized.set(key, result);
  return result;
}

/**
 * The numbers normalized lately, by settings and input: a message's number is normalized when it
 * is created and again when it is sent, and a programme writes to the same numbers every day. The
 * answer depends only on the key (libphonenumber's metadata is fixed), so an entry never goes stale.
 */
const NORMALIZED_CACHE = 4096;
const normalized = new Map<string, string | false>();

function normalizeUncached(settings: PhoneSettings | undefined, phone: string): string | false {
  try {
    const input = cleanInput(phone);
    if (input === undefined) {
      return false;
    }
    const parsed = parse(settings, input);
    if (!isAcceptable(settings, parsed)) {
      return false;
    }
    if (parsed && (mode(settings) !== 'none' || parsed.isPossible())) {
      return parsed.number;
    }
    return cleaned(input);
  } catch {
    return false;
  }
}

export function validate(settings: PhoneSettings | undefined, phone: unknown): boolean {
  try {
    const input = cleanInput(phone);
    return input !== undefined && isAcceptable(settings, parse(settings, input));
  } catch {
    return false;
  }
}

function parseInternational(phone: string, defaultCallingCode?: string): PhoneNumber | undefined {
  try {
    return parsePhoneNumberWithError(phone, defaultCallingCode ? { defaultCallingCode } : {});
  } catch {
    return undefined;
  }
}

/**
 * CHT's `same` is google's isNumberMatch accepting NSN_MATCH or EXACT_MATCH, with no region
 * context: two international numbers match on calling code + national number; when only one
 * carries a calling code the other is read in that code (so '+41446681800' matches
 * '446681800'); when neither does, the digits must be identical.
 */
/**
 * Two numbers whose last four digits differ are not one number: parsing takes country codes,
 * trunk prefixes and carrier codes off the front or the middle of a number, never digits off its
 * end. Answers without parsing in the usual case (a recipient against the gateway's own number).
 */
const NON_ASCII = /[^\x20-\x7e]/;

function lastDigitsDiffer(x: string, y: string): boolean {
  // Digits of other scripts are left to libphonenumber, which reads them as their ASCII values.
  if (NON_ASCII.test(x) || NON_ASCII.test(y)) return false;
  const dx = x.replace(/\D/g, '');
  const dy = y.replace(/\D/g, '');
  return dx.length >= 4 && dy.length >= 4 && dx.slice(-4) !== dy.slice(-4);
}

export function same(a: unknown, b: unknown): boolean {
  try {
    const x = cleanInput(a);
    const y = cleanInput(b);
    if (x === undefined || y === undefined) {
      return false;
    }
    if (lastDigitsDiffer(x, y)) {
      return false;
    }
    const px = parseInternational(x);
    const py = parseInternational(y);
    if (px && py) {
      return px.countryCallingCode === py.countryCallingCode && px.nationalNumber === py.nationalNumber;
    }
    if (px || py) {
      const known = (px ?? py) as PhoneNumber;
      const other = parseInternational(px ? y : x, known.countryCallingCode);
      return other !== undefined && other.nationalNumber === known.nationalNumber;
    }
    return cleaned(x) === cleaned(y);
  } catch {
    return false;
  }
}

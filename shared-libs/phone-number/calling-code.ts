import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * The country calling code of an international number ('+254711000001' → '254'), or undefined
 * when the number has no recognisable one (a short code, a local number without '+'). Prices
 * are set per destination country, so costs are grouped by it.
 */
export function callingCode(number: string): string | undefined {
  const input = number.trim();
  if (!input.startsWith('+')) return undefined;
  try {
    return parsePhoneNumberFromString(input)?.countryCallingCode;
  } catch {
    return undefined;
  }
}

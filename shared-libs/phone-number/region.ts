import type { CountryCode } from 'libphonenumber-js/max';
import metadata from 'libphonenumber-js/metadata.max.json';

/**
 * Region for CHT's `default_country_code` (a calling code such as 254 or '+254').
 * CHT uses google-libphonenumber's getRegionCodeForCountryCode, which returns the "main country"
 * of a shared calling code (1 → US, 44 → GB, 7 → RU). libphonenumber-js keeps the same order in
 * its metadata: `country_calling_codes[code][0]` is the main country, so no hand-kept table is
 * needed. Unknown or missing codes give undefined (numbers then need a leading '+').
 */
export function regionForCallingCode(code: unknown): CountryCode | undefined {
  if (typeof code !== 'string' && typeof code !== 'number') {
    return undefined;
  }
  const digits = String(code).replace(/\D/g, '');
  if (!digits) {
    return undefined;
  }
  return metadata.country_calling_codes[digits]?.[0];
}

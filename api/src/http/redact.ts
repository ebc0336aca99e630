/**
 * Secrets must never reach a log line. AT can only authenticate its callbacks with a `key`
 * query parameter (reference: africastalking-api.md §2.9), so every URL we log goes through here.
 */
const SECRET_PARAMS = /([?&](?:key|apikey|api_key|token|password)=)[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1***');
}

/** Masks a phone number for logs, keeping the country prefix and the last two digits. */
export function maskPhone(phone: unknown): string {
  if (typeof phone !== 'string' || phone.length === 0) return '';
  const digits = phone.replace(/\s/g, '');
  if (digits.length <= 6) return '*'.repeat(digits.length);
  return `${digits.slice(0, 4)}${'*'.repeat(digits.length - 6)}${digits.slice(-2)}`;
}

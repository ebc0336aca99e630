/**
 * Secrets must never reach a log line. Some providers can only authenticate their callbacks with
 * a `key` query parameter in the callback URL, so every URL we log goes through here.
 */
const SECRET_NAMES = new Set(['key', 'apikey', 'api_key', 'token', 'password']);

/** Masks secret query values, matching names as the query parser will decode them (`%6Bey` is `key`). */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  const masked = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // undecodable: compare as is
      }
      return eq >= 0 && SECRET_NAMES.has(name.trim().toLowerCase()) ? `${rawName}=***` : pair;
    })
    .join('&');
  return `${url.slice(0, q)}?${masked}${hash < 0 ? '' : url.slice(hash)}`;
}

/** Masks a phone number for logs, keeping the country prefix and the last two digits. */
export function maskPhone(phone: unknown): string {
  if (typeof phone !== 'string' || phone.length === 0) return '';
  const digits = phone.replace(/\s/g, '');
  if (digits.length <= 6) return '*'.repeat(digits.length);
  return `${digits.slice(0, 4)}${'*'.repeat(digits.length - 6)}${digits.slice(-2)}`;
}

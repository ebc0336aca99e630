/**
 * What of an exchange may be stored: the URL without its `key` parameter (the webhook secret
 * of callback URLs), and every stored secret (provider API keys, webhook keys) replaced by
 * `***` wherever it appears, plain or URL-encoded. Bodies are cut to a bounded size.
 */
export const MAX_BODY_CHARS = 16 * 1024;
export const REDACTED = '***';

/** Secrets shorter than this are not searched for: they would match ordinary text. */
const MIN_SECRET_LENGTH = 4;

function encodings(secret: string): string[] {
  const form = new URLSearchParams({ s: secret }).toString().slice(2);
  return [...new Set([secret, encodeURIComponent(secret), form])];
}

/**
 * A function replacing every occurrence of each secret (longest first, so one inside another goes
 * whole); the strings to look for are worked out once for all the texts it is given.
 */
function secretRedactor(secrets: readonly string[]): (text: string) => string {
  const needles = secrets
    .filter((s) => s.length >= MIN_SECRET_LENGTH)
    .flatMap(encodings)
    .sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const n of needles) out = out.split(n).join(REDACTED);
    return out;
  };
}

/** Replaces every occurrence of each secret (longest first, so one inside another goes whole). */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  return secretRedactor(secrets)(text);
}

function decodedName(part: string): string {
  const name = part.split('=')[0] ?? '';
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/** The URL without its `key` query parameter; the rest keeps its encoding exactly. */
export function withoutKeyParam(url: string): string {
  const hashAt = url.indexOf('#');
  const hash = hashAt >= 0 ? url.slice(hashAt) : '';
  const bare = hashAt >= 0 ? url.slice(0, hashAt) : url;
  const q = bare.indexOf('?');
  if (q < 0) return url;
  const kept = bare
    .slice(q + 1)
    .split('&')
    .filter((part) => part !== '' && decodedName(part) !== 'key');
  return `${bare.slice(0, q)}${kept.length ? `?${kept.join('&')}` : ''}${hash}`;
}

function bounded(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (text.length <= MAX_BODY_CHARS) return text;
  return `${text.slice(0, MAX_BODY_CHARS)}…[${text.length - MAX_BODY_CHARS} more characters]`;
}

export function redactExchange(
  input: { url: string; requestBody?: string; responseBody?: string; error?: string },
  secrets: readonly string[],
): { url: string; requestBody?: string; responseBody?: string; error?: string } {
  const redact = secretRedactor(secrets);
  const clean = (t: string | undefined): string | undefined => (t === undefined ? undefined : redact(t));
  return {
    url: redact(withoutKeyParam(input.url)),
    ...(input.requestBody !== undefined ? { requestBody: bounded(clean(input.requestBody)) } : {}),
    ...(input.responseBody !== undefined ? { responseBody: bounded(clean(input.responseBody)) } : {}),
    ...(input.error !== undefined ? { error: clean(input.error) } : {}),
  };
}

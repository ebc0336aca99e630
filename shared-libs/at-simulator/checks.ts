/**
 * Hand-written validation of untrusted simulator input (PUT /simulator/config bodies, control
 * requests), so a bad request answers 400 naming the bad field. Shared by every simulator here.
 */

/** Bad input from a client of a simulator: control endpoints answer it with 400 `{ error }`. */
export class InputError extends Error {}

export class ConfigError extends InputError {}

export type Check = (value: unknown, field: string) => unknown;

export const fail = (field: string, what: string): never => {
  throw new ConfigError(`invalid config field '${field}': ${what}`);
};

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const nonNegative: Check = (v, f) =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fail(f, 'must be a number >= 0');

export const fraction: Check = (v, f) =>
  typeof v === 'number' && v >= 0 && v <= 1 ? v : fail(f, 'must be a number between 0 and 1');

export const bool: Check = (v, f) => (typeof v === 'boolean' ? v : fail(f, 'must be true or false'));

export const nonEmptyString: Check = (v, f) =>
  typeof v === 'string' && v !== '' ? v : fail(f, 'must be a non-empty string');

export const nullable =
  (inner: Check): Check =>
  (v, f) =>
    v === null ? null : inner(v, f);

export const integer =
  (min: number): Check =>
  (v, f) =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= min ? v : fail(f, `must be an integer >= ${min}`);

export const oneOf =
  (...values: readonly string[]): Check =>
  (v, f) =>
    typeof v === 'string' && values.includes(v) ? v : fail(f, `must be one of ${values.join(', ')}`);

export const seed: Check = (v, f) =>
  typeof v === 'number' && Number.isInteger(v) ? v : fail(f, 'must be an integer or null');

export const httpUrl: Check = (v, f) => {
  if (typeof v !== 'string') return fail(f, 'must be an http(s) URL string or null');
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return fail(f, 'must be an http(s) URL string or null');
  }
  return u.protocol === 'http:' || u.protocol === 'https:' ? v : fail(f, 'must use http or https');
};

/** `{ status, count }`: the next `count` API requests are answered with HTTP `status`. */
export const failNext: Check = (v, f) => {
  if (!isObject(v)) return fail(f, 'must be { status, count } or null');
  const { status, count } = v;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599)
    return fail(`${f}.status`, 'must be an HTTP status 100..599');
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0)
    return fail(`${f}.count`, 'must be an integer >= 0');
  return { status, count };
};

/**
 * Validates an untrusted patch against a table of checks and returns a clean one. Unknown fields
 * are refused rather than ignored, so a typo is not silently a no-op.
 */
export function parsePatch<T extends object>(input: unknown, checks: Record<keyof T, Check>): Partial<T> {
  if (!isObject(input)) throw new ConfigError('config patch must be a JSON object');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined) continue;
    if (!Object.hasOwn(checks, k)) throw new ConfigError(`unknown config field '${k}'`);
    out[k] = checks[k as keyof T](v, k);
  }
  return out as Partial<T>;
}

/**
 * A start-up id option: an integer >= 1, or by default the clock in milliseconds, so a restarted
 * simulator never hands out an id a server stored from an earlier run.
 */
export function firstIdOption(value: number | undefined, name: string): number {
  if (value === undefined) return Date.now();
  if (!Number.isSafeInteger(value) || value < 1) throw new InputError(`${name} must be an integer >= 1`);
  return value;
}

/** A string field of a control request: absent or null → undefined; anything else must be a string. */
export function optionalString(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new InputError(`'${field}' must be a string`);
  return v;
}

/** A string field a control request must carry (`allowEmpty`: '' is fine). */
export function requiredString(o: Record<string, unknown>, field: string, allowEmpty = false): string {
  const v = optionalString(o[field], field);
  if (v === undefined || (v === '' && !allowEmpty)) throw new InputError(`'${field}' is required`);
  return v;
}

/** The body of a control request, which must be a JSON object. */
export function requestObject(input: unknown, what: string): Record<string, unknown> {
  if (!isObject(input)) throw new InputError(`${what} must be a JSON object`);
  return input;
}

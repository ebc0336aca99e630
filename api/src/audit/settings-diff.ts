/**
 * What a settings change changed, for the audit log: one entry per changed path, walking nested
 * objects (arrays and scalars are compared whole). Values under names that look secret are
 * never copied; long values are summarised so one big `forms` change cannot bloat the log.
 */
export interface SettingsChange {
  /** Dotted path, e.g. `sms.dispatch.concurrency`. */
  path: string;
  before?: unknown;
  after?: unknown;
  /** Set instead of the values when they are secret or too long to keep. */
  omitted?: 'secret' | 'too long';
}

const SECRET_NAME = /pass(word)?|secret|token|api_?key|^key$|credential/i;
const MAX_VALUE_CHARS = 500;
const MAX_CHANGES = 200;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const same = (a: unknown, b: unknown): boolean => a === b || JSON.stringify(a) === JSON.stringify(b);

function entry(path: string, key: string, before: unknown, after: unknown): SettingsChange {
  if (SECRET_NAME.test(key)) return { path, omitted: 'secret' };
  const tooLong = (v: unknown): boolean => v !== undefined && (JSON.stringify(v)?.length ?? 0) > MAX_VALUE_CHARS;
  if (tooLong(before) || tooLong(after)) return { path, omitted: 'too long' };
  return { path, ...(before === undefined ? {} : { before }), ...(after === undefined ? {} : { after }) };
}

/** The changed paths between two settings objects, at most MAX_CHANGES (then one `…` entry). */
export function diffSettings(before: unknown, after: unknown): SettingsChange[] {
  const out: SettingsChange[] = [];
  const walk = (a: unknown, b: unknown, path: string[]): void => {
    if (isPlainObject(a) && isPlainObject(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (out.length > MAX_CHANGES) return;
        walk(a[key], b[key], [...path, key]);
      }
      return;
    }
    if (same(a, b)) return;
    const key = path[path.length - 1] ?? '';
    out.push(entry(path.join('.') || '(all)', key, a, b));
  };
  walk(before, after, []);
  if (out.length > MAX_CHANGES) out.splice(MAX_CHANGES, out.length - MAX_CHANGES, { path: '…', omitted: 'too long' });
  return out;
}

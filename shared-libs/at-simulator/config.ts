/**
 * Simulator configuration: defaults, hand-written validation of patches (so a bad PUT names the
 * bad field), and masking of api keys for anything that leaves the process.
 */
import {
  bool,
  type Check,
  fail,
  failNext,
  fraction,
  httpUrl,
  integer,
  isObject,
  nonNegative,
  nullable,
  oneOf,
  parsePatch,
  seed,
} from './checks.js';
import type { Account, ReportModes, SimulatorConfig, SimulatorConfigPatch } from './types.js';

export { ConfigError } from './checks.js';

/** The sandbox application: its username is always `sandbox` (AT's SDK READMEs). */
export const DEFAULT_ACCOUNT: Account = { username: 'sandbox', apiKey: 'sandbox-api-key' };

export const MASK = '***';

export function defaultConfig(): SimulatorConfig {
  return {
    accounts: [{ ...DEFAULT_ACCOUNT }],
    latencyMs: 0,
    failRate: 0,
    rate429: 0,
    hang: false,
    nonJson: false,
    failNext: null,
    acceptCode: 101,
    senders: null,
    balance: null,
    currency: 'KES',
    dlrUrl: null,
    optOutUrl: null,
    incomingUrl: null,
    incomingCallbacks: 'deliver',
    incomingCallbackIds: 'inbox',
    inboxPageSize: 100,
    fetchFailNext: null,
    reportDelayMs: 20,
    reports: { enabled: true, duplicate: false, outOfOrder: false, beforeResponse: false },
    seed: null,
    maxRecords: 100_000,
  };
}

export function cloneConfig(cfg: SimulatorConfig): SimulatorConfig {
  return {
    ...cfg,
    accounts: cfg.accounts.map((a) => ({ ...a })),
    failNext: cfg.failNext ? { ...cfg.failNext } : null,
    fetchFailNext: cfg.fetchFailNext ? { ...cfg.fetchFailNext } : null,
    senders: cfg.senders ? [...cfg.senders] : null,
    reports: { ...cfg.reports },
  };
}

/** A copy safe to print or return over HTTP: api keys become '***'. */
export function maskedConfig(cfg: SimulatorConfig): SimulatorConfig {
  const copy = cloneConfig(cfg);
  copy.accounts = copy.accounts.map((a) => ({ username: a.username, apiKey: MASK }));
  return copy;
}

const accounts: Check = (v, f) => {
  if (!Array.isArray(v)) return fail(f, 'must be an array of { username, apiKey }');
  return v.map((a: unknown, i): Account => {
    if (!isObject(a) || typeof a.username !== 'string' || a.username === '')
      return fail(`${f}[${i}].username`, 'must be a non-empty string');
    if (typeof a.apiKey !== 'string' || a.apiKey === '') return fail(`${f}[${i}].apiKey`, 'must be a non-empty string');
    return { username: a.username, apiKey: a.apiKey };
  });
};

const senders: Check = (v, f) => {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s !== ''))
    return fail(f, 'must be an array of non-empty strings or null');
  return [...v];
};

const currency: Check = (v, f) =>
  typeof v === 'string' && /^[A-Z]{3}$/.test(v) ? v : fail(f, 'must be a 3-letter currency code like KES');

const acceptCode: Check = (v, f) => (v === 100 || v === 101 || v === 102 ? v : fail(f, 'must be 100, 101 or 102'));

const reportKeys: ReadonlyArray<keyof ReportModes> = ['enabled', 'duplicate', 'outOfOrder', 'beforeResponse'];

const reports: Check = (v, f) => {
  if (!isObject(v)) return fail(f, 'must be an object');
  const out: Partial<ReportModes> = {};
  for (const [k, val] of Object.entries(v)) {
    const key = reportKeys.find((r) => r === k);
    if (!key) return fail(`${f}.${k}`, 'unknown field');
    out[key] = bool(val, `${f}.${k}`) as boolean;
  }
  return out;
};

const CHECKS: Record<keyof SimulatorConfig, Check> = {
  accounts,
  latencyMs: nonNegative,
  failRate: fraction,
  rate429: fraction,
  hang: bool,
  nonJson: bool,
  failNext: nullable(failNext),
  acceptCode,
  senders: nullable(senders),
  balance: nullable(nonNegative),
  currency,
  dlrUrl: nullable(httpUrl),
  optOutUrl: nullable(httpUrl),
  incomingUrl: nullable(httpUrl),
  incomingCallbacks: oneOf('deliver', 'fail'),
  incomingCallbackIds: oneOf('inbox', 'uuid'),
  inboxPageSize: integer(1),
  fetchFailNext: nullable(failNext),
  reportDelayMs: nonNegative,
  reports,
  seed: nullable(seed),
  maxRecords: integer(1),
};

/** Validates an untrusted patch (a PUT body, or a typed patch from code). */
export function parseConfigPatch(input: unknown): SimulatorConfigPatch {
  return parsePatch<SimulatorConfig>(input, CHECKS) as SimulatorConfigPatch;
}

/**
 * Applies a validated patch. An account whose apiKey is the mask keeps its current key, so a
 * masked config read back from GET can be PUT again without wiping the keys.
 */
export function applyPatch(cfg: SimulatorConfig, patch: SimulatorConfigPatch): SimulatorConfig {
  const next = cloneConfig(cfg);
  const { reports: reportPatch, accounts: accountPatch, ...rest } = patch;
  Object.assign(next, rest);
  if (reportPatch) next.reports = { ...next.reports, ...reportPatch };
  if (accountPatch) {
    next.accounts = accountPatch.map((a) => {
      const current = cfg.accounts.find((c) => c.username === a.username);
      return a.apiKey === MASK && current ? { ...current } : { ...a };
    });
  }
  return next;
}

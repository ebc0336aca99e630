/** RapidPro simulator configuration: defaults, validation of patches, masking of tokens. */
import * as check from '../at-simulator/checks.js';
import type { RapidProConfig, RapidProConfigPatch } from './types.js';

export const DEFAULT_TOKEN = 'rapidpro-api-token';
export const MASK = '***';

export function defaultConfig(): RapidProConfig {
  return {
    tokens: [DEFAULT_TOKEN],
    latencyMs: 0,
    failNext: null,
    rate429: 0,
    retryAfterSeconds: 1,
    stepDelayMs: 100,
    pageSize: 250,
    incomingUrl: null,
    incomingToken: null,
    seed: null,
    maxRecords: 100_000,
  };
}

export function cloneConfig(cfg: RapidProConfig): RapidProConfig {
  return { ...cfg, tokens: [...cfg.tokens], failNext: cfg.failNext ? { ...cfg.failNext } : null };
}

/** A copy safe to print or return over HTTP: every token becomes '***'. */
export function maskedConfig(cfg: RapidProConfig): RapidProConfig {
  const copy = cloneConfig(cfg);
  copy.tokens = copy.tokens.map(() => MASK);
  if (copy.incomingToken !== null) copy.incomingToken = MASK;
  return copy;
}

const tokens: check.Check = (v, f) => {
  if (!Array.isArray(v) || v.length === 0) return check.fail(f, 'must be a non-empty array of tokens');
  return v.map((t: unknown, i) => check.nonEmptyString(t, `${f}[${i}]`));
};

const CHECKS: Record<keyof RapidProConfig, check.Check> = {
  tokens,
  latencyMs: check.nonNegative,
  failNext: check.nullable(check.failNext),
  rate429: check.fraction,
  retryAfterSeconds: check.integer(0),
  stepDelayMs: check.nullable(check.nonNegative),
  pageSize: check.integer(1),
  incomingUrl: check.nullable(check.httpUrl),
  incomingToken: check.nullable(check.nonEmptyString),
  seed: check.nullable(check.seed),
  maxRecords: check.integer(1),
};

export function parseConfigPatch(input: unknown): RapidProConfigPatch {
  return check.parsePatch<RapidProConfig>(input, CHECKS);
}

/**
 * Applies a validated patch. Masked tokens keep the current ones (by position), so a config read
 * back from GET can be PUT again without wiping them.
 */
export function applyPatch(cfg: RapidProConfig, patch: RapidProConfigPatch): RapidProConfig {
  const next = { ...cloneConfig(cfg), ...patch };
  if (patch.tokens) next.tokens = patch.tokens.map((t, i) => (t === MASK ? (cfg.tokens[i] ?? t) : t));
  if (patch.incomingToken === MASK) next.incomingToken = cfg.incomingToken;
  return next;
}

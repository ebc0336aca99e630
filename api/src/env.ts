/**
 * The only reader of process.env. Validated once, frozen, passed down.
 */
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_SERVICES } from './sms/registry.js';
import type { ServiceEnvVar } from './sms/types.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(5988),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./data'),
  COUCH_URL: z
    .string()
    .url()
    .optional()
    .refine((u) => !u || /^https?:\/\//.test(u), 'COUCH_URL must be an http(s) URL'),
  ADMIN_USER: z.string().min(1).default('admin'),
  ADMIN_PASSWORD: z.string().min(1).optional(),
  CREDENTIALS_SECRET: z.string().min(16, 'CREDENTIALS_SECRET must be at least 16 characters').optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** This instance's identity for its claims; kept under DATA_DIR when unset. */
  INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'INSTANCE_ID: letters, digits, dot, dash or underscore (at most 64)')
    .optional(),
  /** Behind a reverse proxy: trust X-Forwarded-For from it (true, a hop count, or addresses). */
  TRUST_PROXY: z.string().optional(),
});

export interface Env {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly couchUrl?: string;
  readonly adminUser: string;
  readonly adminPassword?: string;
  /** The variables the SMS services declared (e.g. a provider's API URL), as set. */
  readonly serviceEnv: Readonly<Record<string, string>>;
  readonly credentialsSecret?: string;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly instanceId?: string;
  readonly trustProxy: boolean | string;
}

export class EnvError extends Error {
  readonly code = 'invalid_env';
}

export function readEnv(
  source: NodeJS.ProcessEnv = process.env,
  serviceVars: readonly ServiceEnvVar[] = DEFAULT_SERVICES.flatMap((s) => s.env ?? []),
): Env {
  // Empty strings count as unset, as in most shells' `VAR= npm start`.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new EnvError(`Invalid environment: ${problems}`);
  }
  const e = parsed.data;
  return Object.freeze({
    serviceEnv: Object.freeze(readServiceVars(cleaned, serviceVars)),
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    couchUrl: e.COUCH_URL?.replace(/\/+$/, ''),
    adminUser: e.ADMIN_USER,
    adminPassword: e.ADMIN_PASSWORD,
    credentialsSecret: e.CREDENTIALS_SECRET,
    logLevel: e.LOG_LEVEL,
    instanceId: e.INSTANCE_ID,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
  });
}

function readServiceVars(
  source: Record<string, string | undefined>,
  vars: readonly ServiceEnvVar[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of vars) {
    const value = source[v.name];
    if (value === undefined) continue;
    if (v.url) {
      if (!z.url({ protocol: /^https?$/ }).safeParse(value).success) {
        throw new EnvError(`Invalid environment: ${v.name}: must be an http(s) URL`);
      }
      out[v.name] = value.replace(/\/+$/, '');
    } else {
      out[v.name] = value;
    }
  }
  return out;
}

/**
 * TRUST_PROXY: unset/false → off; true; or a comma list of proxy addresses/CIDRs (the safe
 * form). Hop counts are refused: a client reaching the server directly could forge hops.
 */
function parseTrustProxy(v: string | undefined): boolean | string {
  if (v === undefined || v === 'false' || v === '0') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v))
    throw new EnvError('TRUST_PROXY: give the proxy addresses (e.g. 127.0.0.1,10.0.0.0/8) or true, not a hop count');
  return v;
}

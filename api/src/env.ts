/**
 * The only reader of process.env. Validated once, frozen, passed down.
 */
import path from 'node:path';
import { z } from 'zod';

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
  AT_API_URL: z.string().url().optional(),
  CREDENTIALS_SECRET: z.string().min(16, 'CREDENTIALS_SECRET must be at least 16 characters').optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
});

export interface Env {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly couchUrl?: string;
  readonly adminUser: string;
  readonly adminPassword?: string;
  readonly atApiUrl?: string;
  readonly credentialsSecret?: string;
  readonly logLevel: (typeof LOG_LEVELS)[number];
}

export class EnvError extends Error {
  readonly code = 'invalid_env';
}

export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  // Empty strings count as unset, as in most shells' `VAR= npm start`.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new EnvError(`Invalid environment: ${problems}`);
  }
  const e = parsed.data;
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    couchUrl: e.COUCH_URL?.replace(/\/+$/, ''),
    adminUser: e.ADMIN_USER,
    adminPassword: e.ADMIN_PASSWORD,
    atApiUrl: e.AT_API_URL?.replace(/\/+$/, ''),
    credentialsSecret: e.CREDENTIALS_SECRET,
    logLevel: e.LOG_LEVEL,
  });
}

/**
 * The `sms.rapidpro` slice of app settings, and what sending and status polling need from it.
 * `url` is the RapidPro (or TextIt) server CHT talks to, as in CHT
 * (https://docs.communityhealthtoolkit.org/building/messaging/gateways/rapidpro/); the rest bound
 * the status polling that replaces the callbacks RapidPro does not make.
 */
import { z } from 'zod';
import type { AppSettings } from '../../../settings/schema.js';

/** CHT polls every minute (https://github.com/medic/cht-core/blob/master/api/src/services/messaging.js). */
export const DEFAULT_STATUS_POLL_SECONDS = 60;
/**
 * RapidPro throttles its API per token and endpoint (HTTP 429 with Retry-After,
 * https://rapidpro.io/api/v2/); 30 requests a minute stays well under the hourly rates of its
 * messages endpoint while leaving room for other API clients of the workspace.
 */
export const DEFAULT_MAX_REQUESTS_PER_RUN = 30;
/** After a week with no final status a message is left in its last state (listed as stuck). */
export const DEFAULT_STATUS_MAX_AGE_HOURS = 168;

const httpUrl = z.string().refine((v) => {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}, 'must be an http(s) URL such as https://textit.com');

export const rapidProSettingsSlice = z.looseObject({
  url: httpUrl.optional().describe('Your RapidPro server, e.g. https://textit.com (required when selected)'),
  status_poll_seconds: z
    .number()
    .int()
    .min(0)
    .max(86_400)
    .optional()
    .describe('Seconds between status polls (default 60; 0 = off)'),
  max_requests_per_run: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .optional()
    .describe('Most API requests one status poll makes (default 30)'),
  status_max_age_hours: z
    .number()
    .positive()
    .max(24 * 90)
    .optional()
    .describe('Hours a sent message is polled for a final status (default 168)'),
});

export interface RapidProSettings {
  /** Without a trailing slash. */
  url: string;
  statusPollMs: number;
  maxRequestsPerRun: number;
  statusMaxAgeMs: number;
}

export function parseRapidProSettings(sms: AppSettings['sms']): RapidProSettings {
  const slice = (sms as Record<string, unknown> | undefined)?.rapidpro;
  const parsed = rapidProSettingsSlice.safeParse(slice ?? {});
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((i) => `sms.rapidpro.${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const url = parsed.data.url;
  if (url === undefined || url.trim() === '') {
    throw new Error(
      'sms.rapidpro.url is required when sms.outgoing_service is "rapidpro" ' +
        '(the RapidPro server, e.g. https://textit.com)',
    );
  }
  return {
    url: url.trim().replace(/\/+$/, ''),
    statusPollMs: (parsed.data.status_poll_seconds ?? DEFAULT_STATUS_POLL_SECONDS) * 1000,
    maxRequestsPerRun: parsed.data.max_requests_per_run ?? DEFAULT_MAX_REQUESTS_PER_RUN,
    statusMaxAgeMs: (parsed.data.status_max_age_hours ?? DEFAULT_STATUS_MAX_AGE_HOURS) * 3600_000,
  };
}

/**
 * The app settings we read, validated with zod. App settings are an open object (CHT keeps
 * forms, schedules, permissions… there); unknown keys pass through untouched.
 */
import { z } from 'zod';
import { recipientLimitSchema } from '../../../shared-libs/sms-guards/index.js';

const positiveInt = z.number().int().positive();

export const dispatchSchema = z
  .object({
    /** Requests to the provider in flight at once. */
    concurrency: positiveInt.max(256),
    /** Messages per second per channel; unset = no limit. */
    rate_limit_per_second: z.number().positive(),
    /** Attempts before a retryable failure becomes `failed`. */
    max_attempts: positiveInt.max(100),
    backoff_base_seconds: z.number().positive(),
    backoff_max_seconds: z.number().positive(),
    /** How long a claim lasts; must cover the request timeout. */
    lease_seconds: positiveInt,
    request_timeout_seconds: positiveInt.max(300),
    /** Seconds between sweeps for due, retry and abandoned messages. */
    sweep_interval_seconds: positiveInt,
    /** Recipients sharing one text that go in one provider request (1 = one request per message). */
    group_recipients: positiveInt.max(1000),
    /** Pause after an account-level refusal, doubling up to the max. */
    channel_pause_seconds: positiveInt,
    channel_pause_max_seconds: positiveInt,
  })
  .partial()
  .strict();

export type DispatchSettings = z.infer<typeof dispatchSchema>;

const DUPLICATE_LIMIT_ERROR = 'sms.duplicate_limit must be a number or a numeric string such as "5"';

export const smsSchema = z.looseObject({
  outgoing_service: z.string().min(1, 'sms.outgoing_service must not be empty').optional(),
  reply_to: z.string().optional(),
  dispatch: dispatchSchema.optional(),
  /** Messages older than this many hours fail (state `failed`, details "Expired…") instead of going out late. */
  message_ttl_hours: z.number().positive().optional(),
  /** Hours a sent or forwarded-by-gateway message may wait for a report before it is listed as stuck (default 24). */
  stuck_after_hours: z.number().positive().optional(),
  /** Log phone numbers and message text in full (debugging only). */
  log_full_content: z.boolean().optional(),
  /**
   * CHT's limit on identical messages to one number within 30 minutes. A number or a numeric
   * string: CHT's docs show "2" (https://docs.communityhealthtoolkit.org/building/reference/app-settings/sms/).
   */
  duplicate_limit: z
    .union([z.number(), z.string().regex(/^\s*\d+(\.\d+)?\s*$/, DUPLICATE_LIMIT_ERROR)], {
      error: DUPLICATE_LIMIT_ERROR,
    })
    .optional(),
  /** Replace typographic look-alikes (curly quotes, dashes…) so a text is billed as GSM-7. Default true. */
  smart_encoding: z.boolean().optional(),
  /** At most `max` messages to one recipient within `window_minutes`; off when unset. */
  recipient_limit: recipientLimitSchema.nullable().optional(),
  /** Days provider exchanges are kept in the exchange log (0 = record none). */
  exchange_log_days: z
    .number({ error: 'must be a number of days' })
    .min(0, 'must be 0 (off) or more')
    .max(365, 'must be at most 365')
    .optional(),
});

export const appSettingsSchema = z.looseObject({
  sms: smsSchema.optional(),
  default_country_code: z
    .union([
      z.string().regex(/^\d{1,4}$/, 'default_country_code must be a calling code such as "254"'),
      z.number().int().positive(),
    ])
    .optional(),
  phone_validation: z.enum(['full', 'partial', 'none']).optional(),
  multipart_sms_limit: z.number().int().positive().optional(),
  forms: z.record(z.string(), z.unknown()).optional(),
  schedule_morning_hours: z.number().int().min(0).max(23).optional(),
  schedule_morning_minutes: z.number().int().min(0).max(59).optional(),
  schedule_evening_hours: z.number().int().min(0).max(23).optional(),
  schedule_evening_minutes: z.number().int().min(0).max(59).optional(),
  // CHT's outgoing deny rules (https://docs.communityhealthtoolkit.org/building/reference/app-settings/),
  // as loose as CHT reads them.
  outgoing_deny_list: z.string().nullable().optional(),
  outgoing_deny_with_alphas: z.union([z.boolean(), z.string()]).nullable().optional(),
  outgoing_deny_shorter_than: z.union([z.number(), z.string()]).nullable().optional(),
  gateway_number: z.string().nullable().optional(),
  /** Days the audit log (GET /api/v1/audit) keeps its entries. */
  audit_log_days: z.number().int().positive().max(36_500).optional(),
});

export type AppSettings = z.infer<typeof appSettingsSchema>;

/**
 * Kept for api/src/sms/registry.ts, which still imports it from here; the one copy lives in
 * api/src/validation.ts, where new code should import it from.
 */
export { describeZodError } from '../validation.js';

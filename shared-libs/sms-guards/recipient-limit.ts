/**
 * `sms.recipient_limit: { max, window_minutes }`: at most `max` messages to one recipient within
 * any `window_minutes`, a cap against message loops and runaway schedules that CHT does not have
 * (its only guards are the deny rules and the identical-text duplicate limit). Off when unset.
 */
import { z } from 'zod';

const FIELD = 'sms.recipient_limit';
/** Upper bounds that catch typos (an extra zero, seconds for minutes) rather than set a policy. */
const MAX_WINDOW_MINUTES = 7 * 24 * 60;
const MAX_MESSAGES = 10_000;

/** A whole number in [1, maximum], with messages that name `sms.recipient_limit.<name>`. */
function countField(name: string, maximum: number, unit = ''): z.ZodNumber {
  const field = `${FIELD}.${name}`;
  return z
    .number({ error: (issue) => (issue.input === undefined ? `${field} is required` : `${field} must be a number`) })
    .int(`${field} must be a whole number`)
    .min(1, `${field} must be at least 1`)
    .max(maximum, `${field} must be at most ${maximum}${unit}`);
}

export const recipientLimitSchema = z.strictObject(
  {
    max: countField('max', MAX_MESSAGES),
    window_minutes: countField('window_minutes', MAX_WINDOW_MINUTES, ' (7 days)'),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `${FIELD} accepts only max and window_minutes, not ${issue.keys.join(', ')}`
        : `${FIELD} must be an object like { "max": 10, "window_minutes": 60 }`,
  },
);

export type RecipientLimit = z.infer<typeof recipientLimitSchema>;

export type RecipientLimitResult = { ok: true; limit: RecipientLimit | null } | { ok: false; errors: string[] };

/**
 * Validates the `sms.recipient_limit` setting. Unset (undefined or null) is valid and means no
 * cap (`limit: null`); otherwise every problem is reported, each message naming the field.
 */
export function parseRecipientLimit(value: unknown): RecipientLimitResult {
  if (value === undefined || value === null) {
    return { ok: true, limit: null };
  }
  const parsed = recipientLimitSchema.safeParse(value);
  if (parsed.success) {
    return { ok: true, limit: parsed.data };
  }
  return { ok: false, errors: parsed.error.issues.map((issue) => issue.message) };
}

/** Start (epoch ms) of the window that ends at `nowMs`. */
export function recipientWindowStart(nowMs: number, limit: RecipientLimit): number {
  return nowMs - limit.window_minutes * 60_000;
}

/**
 * Why one more message to a recipient would exceed the cap, or null when it may go.
 * `sentInWindow` counts the messages to that recipient since `recipientWindowStart`.
 */
export function recipientLimitReason(sentInWindow: number, limit: RecipientLimit | null): string | null {
  if (limit === null || sentInWindow < limit.max) {
    return null;
  }
  return (
    `recipient already has ${sentInWindow} messages in the last ${limit.window_minutes} minutes ` +
    `(${FIELD}.max ${limit.max})`
  );
}

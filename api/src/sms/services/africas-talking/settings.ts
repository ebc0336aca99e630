/**
 * The `sms.africas_talking` slice of app settings, and what sending needs from it.
 * AT's API keys are per application username; `sandbox` is AT's test account
 * (https://developers.africastalking.com/docs/sms/overview).
 */
import { z } from 'zod';
import type { AppSettings } from '../../../settings/schema.js';

export const AT_ENV_API_URL = 'AT_API_URL';

/** Default minutes between balance checks. */
export const DEFAULT_BALANCE_CHECK_MINUTES = 15;
/** Minutes between inbox syncs when `inbox_sync_minutes` is unset. */
export const DEFAULT_INBOX_SYNC_MINUTES = 10;

export const atSettingsSlice = z.looseObject({
  username: z.string().optional().describe('Your AT application username, or "sandbox"'),
  balance_check_minutes: z
    .number({ error: 'sms.africas_talking.balance_check_minutes must be a number of minutes (0 = off)' })
    .min(0, 'sms.africas_talking.balance_check_minutes must be 0 (off) or more')
    .optional()
    .describe('Minutes between balance checks (default 15; 0 = off)'),
  low_balance_threshold: z
    .number({ error: 'sms.africas_talking.low_balance_threshold must be an amount in the account currency' })
    .min(0, 'sms.africas_talking.low_balance_threshold must be 0 or more')
    .optional()
    .describe('At or below this balance the account is low; a channel paused for lack of credit stays paused'),
  inbox_sync_minutes: z
    .number({ error: 'must be a number of minutes (0 = off)' })
    .min(0, 'must be 0 (off) or more')
    .max(1440, 'must be at most 1440 (a day)')
    .optional()
    .describe(
      `Minutes between fetches of the messages AT kept in its inbox (missed callbacks); 0 = off; ` +
        `default ${DEFAULT_INBOX_SYNC_MINUTES}`,
    ),
});

export interface AtSettings {
  username: string;
  /** `sms.reply_to`: AT `from`, omitted when unset (CHT sent the string "undefined"). */
  from?: string;
  /** Minutes between balance checks; 0 = off; default 15. */
  balanceCheckMinutes?: number;
  /** In the account currency; default 0 (a zero balance is low). */
  lowBalanceThreshold?: number;
  /** `sms.africas_talking.inbox_sync_minutes`; 0 = off; unset = the default. */
  inboxSyncMinutes?: number;
}

export function parseAtSettings(sms: AppSettings['sms']): AtSettings {
  type Slice = z.infer<typeof atSettingsSlice>;
  const slice = (sms as Record<string, unknown> | undefined)?.africas_talking as Slice | undefined;
  const username = slice?.username;
  if (typeof username !== 'string' || username.trim() === '') {
    throw new Error(
      'sms.africas_talking.username is required when sms.outgoing_service is "africas-talking" ' +
        '(use "sandbox" for AT\'s sandbox)',
    );
  }
  const from = typeof sms?.reply_to === 'string' && sms.reply_to.trim() !== '' ? sms.reply_to.trim() : undefined;
  const minutes = slice?.balance_check_minutes;
  const threshold = slice?.low_balance_threshold;
  const inboxMinutes = slice?.inbox_sync_minutes;
  // Defaults apply where these are read (balance.ts, inbox-sync.ts): unset stays absent.
  return {
    username: username.trim(),
    ...(from ? { from } : {}),
    ...(typeof minutes === 'number' && minutes >= 0 ? { balanceCheckMinutes: minutes } : {}),
    ...(typeof threshold === 'number' && threshold >= 0 ? { lowBalanceThreshold: threshold } : {}),
    ...(typeof inboxMinutes === 'number' && inboxMinutes >= 0 ? { inboxSyncMinutes: inboxMinutes } : {}),
  };
}

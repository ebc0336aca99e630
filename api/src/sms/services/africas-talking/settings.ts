/**
 * The `sms.africas_talking` slice of app settings, and what sending needs from it.
 * AT's API keys are per application username; `sandbox` is AT's test account
 * (https://developers.africastalking.com/docs/sms/overview).
 */
import { z } from 'zod';
import type { AppSettings } from '../../../settings/schema.js';

export const AT_ENV_API_URL = 'AT_API_URL';

export const atSettingsSlice = z.looseObject({
  username: z.string().optional().describe('Your AT application username, or "sandbox"'),
});

export interface AtSettings {
  username: string;
  /** `sms.reply_to`: AT `from`, omitted when unset (CHT sent the string "undefined"). */
  from?: string;
}

export function parseAtSettings(sms: AppSettings['sms']): AtSettings {
  const slice = (sms as Record<string, unknown> | undefined)?.africas_talking as { username?: unknown } | undefined;
  const username = slice?.username;
  if (typeof username !== 'string' || username.trim() === '') {
    throw new Error(
      'sms.africas_talking.username is required when sms.outgoing_service is "africas-talking" ' +
        '(use "sandbox" for AT\'s sandbox)',
    );
  }
  const from = typeof sms?.reply_to === 'string' && sms.reply_to.trim() !== '' ? sms.reply_to.trim() : undefined;
  return { username: username.trim(), ...(from ? { from } : {}) };
}

/**
 * A delivery report failed with `failureReason=UserInBlackList` (AT's spelling in reports; the
 * send status is UserInBlacklist, https://developers.africastalking.com/docs/sms/notifications):
 * the recipient blocked the sender, which is an opt-out for the sender id in use.
 */
import type { RouteContext } from '../../types.js';
import type { AtSettings } from './settings.js';

/** The delivery-report failure reason for a blacklisted recipient (AT spells it with a capital L here). */
export const isBlacklistReason = (reason: string | undefined): boolean =>
  /^UserInBlacklist$/i.test(reason?.trim() ?? '');

/** Adds the recipient of a report AT failed with UserInBlackList, for the sender id in use. */
export async function optOutFromReport(
  phoneNumber: string | undefined,
  failureReason: string | undefined,
  ctx: RouteContext<AtSettings>,
): Promise<void> {
  if (!phoneNumber || !isBlacklistReason(failureReason)) return;
  const senderId = ctx.settings?.from;
  await ctx.core.optOut([
    {
      number: phoneNumber,
      ...(senderId ? { senderId } : {}),
      source: 'africas-talking: delivery report UserInBlackList',
    },
  ]);
}

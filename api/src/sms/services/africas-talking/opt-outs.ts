/**
 * Opt-outs as AT reports them. A subscriber who opts out of a bulk sender id: AT posts
 * `senderId` and `phoneNumber` to the opt-out callback
 * (https://developers.africastalking.com/docs/sms/notifications). A number AT refuses with
 * per-recipient 406 UserInBlacklist, or reports as `failureReason=UserInBlackList`, has blocked
 * the sender too. Each becomes an opt-out entry; the core then stops sending to it.
 */
import { z } from 'zod';
import { defineRoute, webhookPath, type ServiceRoute } from '../../types.js';
import { INCOMING_KEY, ROUTE_PREFIX } from './routes.js';
import type { AtSettings } from './settings.js';

export const atOptOutBody = z.looseObject({
  phoneNumber: z
    .union([z.string().regex(/\S/, 'must not be empty'), z.number()], { error: 'must be a phone number' })
    .describe('The number that opted out'),
  senderId: z
    .union([z.string(), z.number()])
    .optional()
    .describe('The sender id it opted out of; absent: every sender'),
});

export const atOptOutRoutes: readonly ServiceRoute<never, AtSettings>[] = [
  defineRoute<z.infer<typeof atOptOutBody>, AtSettings>({
    method: 'POST',
    url: webhookPath(ROUTE_PREFIX, 'opt-outs'),
    summary: "Africa's Talking bulk SMS opt-out callback (?key=)",
    auth: { kind: 'query-key', credentialKey: INCOMING_KEY },
    body: { schema: atOptOutBody, contentTypes: ['application/x-www-form-urlencoded', 'application/json'] },
    async handle({ body }, ctx) {
      const senderId = body.senderId === undefined ? '' : String(body.senderId).trim();
      return ctx.core.optOut([
        {
          number: String(body.phoneNumber),
          ...(senderId ? { senderId } : {}),
          source: 'africas-talking: opt-out callback',
        },
      ]);
    },
  }),
];

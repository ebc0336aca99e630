/**
 * AT's callbacks, at CHT's URLs, as AT posts them (form fields; JSON accepted too):
 * incoming messages (https://developers.africastalking.com/docs/sms/notifications) and delivery
 * reports (same page). The core checks the key, validates the body with these schemas, and
 * persists; here we only map.
 */
import { z } from 'zod';
import { nonEmptyValue as nonEmpty } from '../../fields.js';
import { defineRoute, webhookPath, type ServiceRoute } from '../../types.js';
import { optOutFromReport } from './blacklist.js';
import { contentKey } from './content-key.js';
import type { AtSettings } from './settings.js';
import { deliveryState } from './status-map.js';

export const INCOMING_KEY = 'africastalking.com:incoming';
export const ROUTE_PREFIX = 'africastalking';

const FORM = ['application/x-www-form-urlencoded', 'application/json'] as const;
/** Form values are strings; JSON senders may use numbers. */
const value = z.union([z.string(), z.number()]);
const text = (v: string | number | undefined): string | undefined => (v === undefined ? undefined : String(v));

export const atIncomingBody = z.looseObject({
  id: nonEmpty.describe("AT's id for the message: the dedupe key"),
  from: nonEmpty,
  // An empty SMS is stored (with CHT's sys.empty error) rather than dropped: AT would not resend it.
  text: value,
  to: value.optional(),
  date: value.optional(),
  linkId: value.optional(),
  networkCode: value.optional(),
});

export const atDeliveryReportBody = z.looseObject({
  id: nonEmpty.describe('The messageId AT gave when the message was sent'),
  status: nonEmpty.describe('Sent | Submitted | Buffered | Success | Rejected | Failed | AbsentSubscriber | Expired'),
  failureReason: value.optional(),
  phoneNumber: value.optional(),
  networkCode: value.optional(),
  retryCount: value.optional(),
});

const AT_EXTRAS = ['to', 'date', 'linkId', 'networkCode'] as const;
const key = { kind: 'query-key', credentialKey: INCOMING_KEY } as const;

export const atRoutes: readonly ServiceRoute<never, AtSettings>[] = [
  defineRoute<z.infer<typeof atIncomingBody>, AtSettings>({
    method: 'POST',
    url: webhookPath(ROUTE_PREFIX, 'incoming-messages'),
    summary: "Africa's Talking incoming SMS callback (?key=)",
    auth: key,
    body: { schema: atIncomingBody, contentTypes: FORM },
    async handle({ body }, ctx) {
      const extra: Record<string, string> = {};
      for (const k of AT_EXTRAS) {
        const v = text(body[k]);
        if (v !== undefined) extra[k] = v;
      }
      const from = String(body.from);
      const content = String(body.text);
      // Ties this callback to the message's copy in AT's inbox (inbox-sync.ts) when their ids differ in form.
      const key = contentKey({ from, text: content, to: extra.to, date: extra.date });
      return ctx.core.saveIncoming([
        {
          gatewayId: String(body.id),
          from,
          content,
          extra,
          ...(key ? { secondaryKey: { key, source: 'callback' } } : {}),
        },
      ]);
    },
  }),
  defineRoute<z.infer<typeof atDeliveryReportBody>, AtSettings>({
    method: 'POST',
    url: webhookPath(ROUTE_PREFIX, 'delivery-reports'),
    summary: "Africa's Talking delivery report callback (?key=)",
    auth: key,
    body: { schema: atDeliveryReportBody, contentTypes: FORM },
    async handle({ body }, ctx) {
      const status = String(body.status);
      const failureReason = text(body.failureReason);
      const saved = await ctx.core.applyStatusUpdates([
        {
          gatewayRef: String(body.id),
          status,
          state: deliveryState(status),
          ...(failureReason ? { details: failureReason } : {}),
        },
      ]);
      await optOutFromReport(text(body.phoneNumber), failureReason, ctx);
      return saved;
    },
  }),
];

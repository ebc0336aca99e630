/**
 * Incoming messages from RapidPro, at CHT's URLs: `POST /api/v2/sms/rapidpro/incoming-messages`
 * and the deprecated `POST /api/v1/sms/radpidpro/incoming-messages` (CHT's spelling, kept for
 * flows set up before CHT 4.1). A RapidPro flow's "Call webhook" action posts
 * `{"id", "from", "content"}` with `Authorization: Token <rapidpro:incoming>`
 * (https://docs.communityhealthtoolkit.org/building/messaging/gateways/rapidpro/). The core checks
 * the token (constant time, before the body is read, failures throttled) and the body; here we map.
 *
 * A message already stored (the flow's webhook retried) answers 200 `{"saved": 0}`. CHT answers
 * 400 "Message was not saved" (https://github.com/medic/cht-core/blob/master/api/src/controllers/rapidpro.js),
 * which a flow takes for a failed call and retries: the 200 ends the retries.
 */
import { z } from 'zod';
import { nonEmptyValue as nonEmpty } from '../../fields.js';
import { defineRoute, type ServiceRoute } from '../../types.js';
import { telUrn } from './refs.js';
import type { RapidProSettings } from './settings.js';

export const INCOMING_KEY = 'rapidpro:incoming';
export const ROUTE_PREFIX = 'rapidpro';
export const INCOMING_URL = '/api/v2/sms/rapidpro/incoming-messages';
export const LEGACY_INCOMING_URL = '/api/v1/sms/radpidpro/incoming-messages';

export const rapidProIncomingBody = z.looseObject({
  id: nonEmpty.describe("The flow run's uuid (`@run.uuid`): the dedupe key"),
  from: nonEmpty.describe("The sender's number, `+254…` or a `tel:` URN"),
  // An empty SMS is stored (with CHT's sys.empty error) rather than dropped: RapidPro would not resend it.
  content: z.union([z.string(), z.number()], { error: 'must be a string' }).describe('The message text'),
});

type Body = z.infer<typeof rapidProIncomingBody>;

/** `tel:+254…` (a flow posting the URN itself) → `+254…`; a number is kept as given. */
export function senderNumber(from: string | number): string {
  const value = String(from).trim();
  return value.toLowerCase().startsWith('tel:') ? telUrn(value.slice(4)).slice(4) : value;
}

const auth = { kind: 'header-token', header: 'authorization', scheme: 'Token', credentialKey: INCOMING_KEY } as const;

const incoming = (url: string, summary: string): ServiceRoute<never, RapidProSettings> =>
  defineRoute<Body, RapidProSettings>({
    method: 'POST',
    url,
    summary,
    auth,
    body: { schema: rapidProIncomingBody, contentTypes: ['application/json'] },
    async handle({ body }, ctx) {
      return ctx.core.saveIncoming([
        { gatewayId: String(body.id), from: senderNumber(body.from), content: String(body.content) },
      ]);
    },
  });

export const rapidProRoutes: readonly ServiceRoute<never, RapidProSettings>[] = [
  incoming(INCOMING_URL, 'RapidPro incoming SMS (a flow webhook, Authorization: Token)'),
  incoming(LEGACY_INCOMING_URL, "RapidPro incoming SMS, CHT's deprecated URL (spelling kept)"),
];

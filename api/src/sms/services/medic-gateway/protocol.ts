/**
 * medic-gateway's (cht-gateway Android app) poll protocol, as CHT's
 * api/src/controllers/sms-gateway.js (https://github.com/medic/cht-core) and the app's README
 * (https://github.com/medic/cht-gateway#api) define it: POST /api/sms {messages?, updates?}.
 * Items are checked one by one, so one bad item is skipped rather than blocking the good ones
 * (CHT's integration test for this endpoint).
 */
import { z } from 'zod';
import { providerId } from '../../fields.js';
import type { MessageState } from '../../../../../shared-libs/task-utils/types.js';
import type { StatusUpdateInput } from '../../types.js';

/** CHT hands out 25 per poll (messaging.getOutgoingMessages). */
export const GATEWAY_BATCH = 25;

export const gatewayIncomingSchema = z.looseObject({
  id: providerId.describe("The gateway's id for the SMS: the dedupe key"),
  from: z.string().min(1),
  content: z.string().min(1),
  sms_sent: z.unknown().optional().describe('ms epoch; ignored, as in CHT'),
  sms_received: z.unknown().optional().describe('ms epoch; ignored, as in CHT'),
});

export const gatewayUpdateSchema = z.looseObject({
  id: providerId.describe('The message uuid handed out earlier'),
  status: z.string().nullish().describe('UNSENT | PENDING | SENT | DELIVERED | FAILED; anything else → unrecognised'),
  reason: z.string().nullish().describe('Failure reason, kept as state_details {reason}'),
});

/** The body as a whole: lists of items, each checked on its own so one bad item is only skipped. */
export const gatewayPollSchema = z.looseObject({
  messages: z.array(z.unknown()).nullish().describe('Incoming SMS; items as GatewayIncomingMessage'),
  updates: z.array(z.unknown()).nullish().describe('Status updates; items as GatewayStatusUpdate'),
});

export type GatewayStatus = 'UNSENT' | 'PENDING' | 'SENT' | 'DELIVERED' | 'FAILED';

/** cht-gateway status → CHT state (CHT's sms-gateway controller). Unlisted → `unrecognised`. */
export const GATEWAY_STATUS_MAP = {
  UNSENT: 'received-by-gateway',
  PENDING: 'forwarded-by-gateway',
  SENT: 'sent',
  DELIVERED: 'delivered',
  FAILED: 'failed',
} as const satisfies Record<GatewayStatus, MessageState>;

export function mapGatewayUpdate(u: z.infer<typeof gatewayUpdateSchema>): StatusUpdateInput {
  const status = u.status ?? undefined;
  const state =
    status !== undefined && Object.hasOwn(GATEWAY_STATUS_MAP, status)
      ? GATEWAY_STATUS_MAP[status as GatewayStatus]
      : undefined;
  if (!state) {
    // CHT stores {gateway_status: <status>}; a missing status is stored as {} (what JSON keeps of
    // CHT's undefined), so a repeated status-less update is a duplicate, not a new history entry.
    return {
      messageId: u.id,
      status: status ?? '(missing)',
      state: 'unrecognised',
      details: status === undefined ? {} : { gateway_status: status },
    };
  }
  return { messageId: u.id, status: status as string, state, ...(u.reason ? { details: { reason: u.reason } } : {}) };
}

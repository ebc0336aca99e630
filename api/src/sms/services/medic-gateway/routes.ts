/**
 * medic-gateway's two routes (https://github.com/medic/cht-gateway#api):
 * - GET  /api/sms → {"medic-gateway": true} (the app's connection test);
 * - POST /api/sms {messages?, updates?} → (1) incoming messages stored, (2) status updates
 *   applied, (3) when medic-gateway is the selected service, up to 25 waiting messages marked
 *   `forwarded-to-gateway` and returned as {messages:[{id, to, content}]}; else {messages: []}.
 * Incoming messages and status updates take the same core paths as every other service.
 */
import type { z } from 'zod';
import { defineRoute, type IncomingInput, type ServiceRoute, type StatusUpdateInput } from '../../types.js';
import {
  GATEWAY_BATCH,
  gatewayIncomingSchema,
  gatewayPollSchema,
  gatewayUpdateSchema,
  mapGatewayUpdate,
} from './protocol.js';

const admin = { kind: 'admin' } as const;

export const gatewayRoutes: readonly ServiceRoute<never, unknown>[] = [
  defineRoute<unknown, unknown>({
    method: 'GET',
    url: '/api/sms',
    summary: 'medic-gateway connection test',
    auth: admin,
    handle: async () => ({ 'medic-gateway': true }),
  }),
  defineRoute<z.infer<typeof gatewayPollSchema>, unknown>({
    method: 'POST',
    url: '/api/sms',
    summary: 'medic-gateway poll: incoming messages, status updates; answers messages to send',
    auth: admin,
    body: {
      schema: gatewayPollSchema,
      contentTypes: ['application/json'],
      compressed: true,
      whenEmpty: {},
      components: { GatewayIncomingMessage: gatewayIncomingSchema, GatewayStatusUpdate: gatewayUpdateSchema },
    },
    async handle({ body }, ctx) {
      const log = ctx.logger;
      const incoming: IncomingInput[] = [];
      for (const [i, item] of (body.messages ?? []).entries()) {
        const m = gatewayIncomingSchema.safeParse(item);
        if (!m.success) {
          const fields = m.error.issues.map((x) => x.path.join('.'));
          log.warn({ index: i, fields }, 'gateway message missing required field; skipped');
          continue;
        }
        log.debug(
          {
            gateway_id: m.data.id,
            sender: ctx.privacy.phone(m.data.from),
            message_text: ctx.privacy.text(m.data.content),
          },
          'gateway incoming message',
        );
        incoming.push({ gatewayId: m.data.id, from: m.data.from, content: m.data.content });
      }
      if (incoming.length) await ctx.core.saveIncoming(incoming);

      const updates: StatusUpdateInput[] = [];
      for (const [i, item] of (body.updates ?? []).entries()) {
        const u = gatewayUpdateSchema.safeParse(item);
        if (!u.success) {
          log.warn({ index: i }, 'gateway status update without a message id; skipped');
          continue;
        }
        updates.push(mapGatewayUpdate(u.data));
      }
      // applyStatusUpdates keeps one message's updates in the order given.
      if (updates.length) await ctx.core.applyStatusUpdates(updates);

      if (!ctx.core.isSelected()) return { messages: [] };
      const messages = await ctx.core.handOut(GATEWAY_BATCH);
      if (messages.length) log.info({ count: messages.length }, 'messages handed to medic-gateway');
      return { messages };
    },
  }),
];

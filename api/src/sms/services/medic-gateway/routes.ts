/**
 * medic-gateway (cht-gateway Android app) pull protocol, as CHT's api/src/controllers/sms-gateway.js
 * (cht-sms.md §1.5, medic/cht-gateway README):
 * - GET  /api/sms → {"medic-gateway": true} (the app's connection test);
 * - POST /api/sms {messages?, updates?} → (1) incoming messages stored, (2) status updates
 *   applied, (3) when medic-gateway is the selected service, up to 25 waiting messages marked
 *   `forwarded-to-gateway` and returned as {messages:[{id, to, content}]}; else {messages: []}.
 * Incoming and status updates go through the same IncomingMessages / StatusUpdates paths as
 * Africa's Talking (one dedupe, one lattice). Items with missing fields are skipped, not
 * rejected (CHT integration test: a bad message must not block the good ones).
 */
import zlib from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../../../../shared-libs/couch/index.js';
import { normalize } from '../../../../../shared-libs/phone-number/index.js';
import { findTask, setTaskState } from '../../../../../shared-libs/task-utils/index.js';
import type { MessageDoc, MessageState } from '../../../../../shared-libs/task-utils/types.js';
import { requireAdmin } from '../../../http/admin.js';
import type { AdminAuthenticator } from '../../../http/auth.js';
import { AppError } from '../../../http/errors.js';
import type { LogPrivacy } from '../../../http/log-privacy.js';
import type { DocUpdater } from '../../../store/doc-updater.js';
import type { IncomingMessages } from '../../../messages/incoming.js';
import type { StatusUpdates } from '../../../reports/status-updates.js';
import type { AppSettings } from '../../../settings/schema.js';
import type { ServiceRegistry } from '../../registry.js';
import type { StatusUpdateInput } from '../../types.js';

/** CHT hands out 25 per poll (messaging.getOutgoingMessages). */
export const GATEWAY_BATCH = 25;

export const gatewayIncomingSchema = z.looseObject({
  id: z.string().min(1).describe("The gateway's id for the SMS: the dedupe key"),
  from: z.string().min(1),
  content: z.string().min(1),
  sms_sent: z.unknown().optional().describe('ms epoch; ignored, as in CHT'),
  sms_received: z.unknown().optional().describe('ms epoch; ignored, as in CHT'),
});

export const gatewayUpdateSchema = z.looseObject({
  id: z.string().min(1).describe('The message uuid handed out earlier'),
  status: z.string().nullish().describe('UNSENT | PENDING | SENT | DELIVERED | FAILED; anything else → unrecognised'),
  reason: z.string().nullish().describe('Failure reason, kept as state_details {reason}'),
});

/** The body as a whole: lists of items, each checked on its own so one bad item is only skipped. */
export const gatewayPollSchema = z.looseObject({
  messages: z.array(z.unknown()).nullish().describe('Incoming SMS; items as GatewayIncomingMessage'),
  updates: z.array(z.unknown()).nullish().describe('Status updates; items as GatewayStatusUpdate'),
});

/** cht-gateway status → CHT state (cht-sms.md §1.5). Unlisted → `unrecognised`. */
export const GATEWAY_STATUS_MAP: Readonly<Record<string, MessageState>> = {
  UNSENT: 'received-by-gateway',
  PENDING: 'forwarded-by-gateway',
  SENT: 'sent',
  DELIVERED: 'delivered',
  FAILED: 'failed',
};

export function mapGatewayUpdate(u: z.infer<typeof gatewayUpdateSchema>): StatusUpdateInput {
  const status = u.status ?? undefined;
  const state = status !== undefined && Object.hasOwn(GATEWAY_STATUS_MAP, status) ? GATEWAY_STATUS_MAP[status] : undefined;
  if (!state) {
    // CHT stores {gateway_status: <status>}; a missing status is stored as {} (what JSON keeps of
    // CHT's undefined), so a repeated status-less update is a duplicate, not a new history entry.
    return { messageId: u.id, status: status ?? '(missing)', state: 'unrecognised', details: status === undefined ? {} : { gateway_status: status } };
  }
  return { messageId: u.id, status: status as string, state, ...(u.reason ? { details: { reason: u.reason } } : {}) };
}

export interface GatewayRouteDeps {
  auth: AdminAuthenticator;
  settings: { get(): AppSettings };
  registry: ServiceRegistry;
  incoming: IncomingMessages;
  statusUpdates: StatusUpdates;
  db: Db;
  updater: DocUpdater;
  privacy: LogPrivacy;
  now: () => Date;
}

/** Picks the oldest-due waiting messages and marks them forwarded-to-gateway (CAS via DocUpdater). */
async function handOut(deps: GatewayRouteDeps, settings: AppSettings): Promise<Array<{ id: string; to: string; content: string }>> {
  const res = await deps.db.query('medic/messages_by_state', {
    startkey: ['pending-or-forwarded', 0],
    endkey: ['pending-or-forwarded', '\ufff0'],
    limit: GATEWAY_BATCH,
  });
  const now = deps.now();
  const out = await Promise.all(
    res.rows.map(async (row) => {
      const v = row.value as { id?: string; to?: string; content?: string };
      if (!v.id || !v.to || !v.content) return undefined;
      const uuid = v.id;
      let offered = false;
      await deps.updater.update({
        docId: row.id,
        apply: (doc: MessageDoc) => {
          const task = findTask(doc, uuid);
          // Re-checked on the fresh doc: a status may have landed since the view was read.
          offered = task?.state === 'pending' || task?.state === 'forwarded-to-gateway';
          return offered && setTaskState(task as NonNullable<typeof task>, 'forwarded-to-gateway', undefined, undefined, now);
        },
      });
      // CHT normalises `to` for the gateway and passes unusable numbers through raw.
      return offered ? { id: uuid, to: normalize(settings, v.to) || v.to, content: v.content } : undefined;
    }),
  );
  return out.filter((m): m is { id: string; to: string; content: string } => !!m);
}

/** cht-gateway may gzip its request (CHT's body-parser inflates it transparently). */
function inflate(encoding: string | undefined, payload: NodeJS.ReadableStream): NodeJS.ReadableStream {
  const enc = (encoding ?? 'identity').toLowerCase();
  if (enc === 'identity') return payload;
  if (enc !== 'gzip' && enc !== 'x-gzip' && enc !== 'deflate') throw new AppError(415, `Unsupported Content-Encoding "${enc}": use gzip, deflate or none`);
  const stream = enc === 'deflate' ? zlib.createInflate() : zlib.createGunzip();
  // fastify compares Content-Length with the bytes received, which are the compressed ones.
  const counted = stream as zlib.Gunzip & { receivedEncodedLength: number };
  counted.receivedEncodedLength = 0;
  payload.on('data', (chunk: Buffer) => {
    counted.receivedEncodedLength += chunk.length;
  });
  stream.on('error', (err: Error & { statusCode?: number }) => {
    err.statusCode = 400;
  });
  payload.pipe(stream);
  return stream;
}

export function gatewayRoutes(app: FastifyInstance, deps: GatewayRouteDeps): void {
  const onRequest = requireAdmin(deps.auth);

  app.get('/api/sms', { onRequest }, async () => ({ 'medic-gateway': true }));

  app.post(
    '/api/sms',
    { onRequest, preParsing: async (req, _reply, payload) => inflate(req.headers['content-encoding'], payload) },
    async (req) => {
      const parsed = gatewayPollSchema.safeParse(req.body ?? {});
      if (!parsed.success) throw new AppError(400, 'Request body must be a JSON object {"messages": [...], "updates": [...]}');
      const log = req.log;
      const settings = deps.settings.get();

      const incoming = [];
      for (const [i, item] of (parsed.data.messages ?? []).entries()) {
        const m = gatewayIncomingSchema.safeParse(item);
        if (!m.success) {
          log.warn({ index: i, fields: m.error.issues.map((x) => x.path.join('.')) }, 'gateway message missing required field; skipped');
          continue;
        }
        log.debug({ gateway_id: m.data.id, sender: deps.privacy.phone(m.data.from), message_text: deps.privacy.text(m.data.content) }, 'gateway incoming message');
        incoming.push({ gatewayId: m.data.id, from: m.data.from, content: m.data.content });
      }
      if (incoming.length) await deps.incoming.save(incoming);

      const updates: StatusUpdateInput[] = [];
      for (const [i, item] of (parsed.data.updates ?? []).entries()) {
        const u = gatewayUpdateSchema.safeParse(item);
        if (!u.success) {
          log.warn({ index: i }, 'gateway status update without a message id; skipped');
          continue;
        }
        updates.push(mapGatewayUpdate(u.data));
      }
      // StatusUpdates.apply keeps one message's updates in the order given.
      if (updates.length) await deps.statusUpdates.apply(updates);

      if (deps.registry.selectedId(settings) !== 'medic-gateway') return { messages: [] };
      const messages = await handOut(deps, settings);
      if (messages.length) log.info({ count: messages.length }, 'messages handed to medic-gateway');
      return { messages };
    },
  );
}

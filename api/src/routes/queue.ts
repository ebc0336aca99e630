/**
 * Operating the queue (administrators): retry, cancel or edit one message, retry or cancel many
 * by filter, and pause or resume all sending. CHT's admin "Outgoing messages" page can only look
 * (https://github.com/medic/cht-core/issues/3180, https://github.com/medic/cht-core/issues/10428).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { MESSAGE_STATES } from '../../../shared-libs/task-utils/types.js';
import type { AdminAuthenticator } from '../http/auth.js';
import { requireAdmin } from '../http/admin.js';
import { InvalidInputError } from '../errors.js';
import type { QueueActions } from '../messages/actions.js';
import type { BulkQueueActions } from '../messages/bulk-actions.js';
import type { OutgoingView } from '../messages/outgoing.js';
import type { ChannelSwitch } from '../outbox/channel-switch.js';
import type { ExchangeView } from '../observability/exchanges.js';
import type { ChannelState } from '../outbox/circuit.js';
import { firstIssue } from '../validation.js';
import { newMessageSchema } from './messages.js';

// Strict bodies: a misspelt `dry_run` must be refused, not ignored into a real run.
export const editMessageSchema = z.strictObject({ message: newMessageSchema.shape.message });

export const bulkActionSchema = z.strictObject({
  action: z.enum(['retry', 'cancel'], { error: 'must be "retry" or "cancel"' }),
  filter: z
    .strictObject({
      state: z.enum(MESSAGE_STATES).optional(),
      /** Case-insensitive substring of state_details or the last error. */
      reason: z.string().min(1).optional(),
      /** Only messages due before this time. */
      due_before: z.iso
        .datetime({ offset: true, error: 'must be an ISO date-time such as 2025-01-31T00:00:00Z' })
        .optional(),
      to: z.string().trim().min(1).optional(),
    })
    .default({}),
  dry_run: z.boolean().default(false),
});

export const channelUpdateSchema = z.strictObject({
  paused: z.boolean({ error: 'is required (true or false)' }),
  reason: z.string().trim().max(500).optional(),
});

/** One line of the audit log: who did what to which message, from where. */
export interface QueueAuditEntry {
  at: string;
  user: string;
  address: string;
  action: 'retry' | 'cancel' | 'edit' | 'bulk-retry' | 'bulk-cancel' | 'channel-pause' | 'channel-resume';
  /** A message uuid, `bulk`, or `sms-channel`. */
  target: string;
  changes?: Record<string, unknown>;
}

/**
 * AUDIT HOOK POINT: every queue action and channel move is reported here. The audit log
 * (api/src/audit/) plugs in through AppDeps.queueAudit in compose.ts.
 */
export type QueueAuditHook = (entry: QueueAuditEntry) => void | Promise<void>;

export interface QueueRouteDeps {
  auth: AdminAuthenticator;
  queueActions: QueueActions;
  bulkActions: BulkQueueActions;
  channelSwitch: ChannelSwitch;
  channelState: () => ChannelState;
  now: () => Date;
  queueAudit?: QueueAuditHook;
  /** The provider exchanges of a message, answered as `exchanges` like GET /api/v1/messages/:id. */
  exchanges?: { forMessage(id: string): Promise<ExchangeView[]> };
}

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const { field, message } = firstIssue(parsed.error, 'body');
    throw new InvalidInputError(field, message);
  }
  return parsed.data;
}

export function queueRoutes(app: FastifyInstance, deps: QueueRouteDeps): void {
  const onRequest = requireAdmin(deps.auth);
  const user = (req: FastifyRequest): string => req.admin?.name ?? 'unknown';
  type Action = QueueAuditEntry['action'];
  const audit = async (req: FastifyRequest, action: Action, target: string, changes?: Record<string, unknown>) => {
    const entry: QueueAuditEntry = { at: deps.now().toISOString(), user: user(req), address: req.ip, action, target };
    if (changes) entry.changes = changes;
    try {
      await deps.queueAudit?.(entry);
    } catch (err) {
      req.log.error({ err, action }, 'recording a queue action in the audit log failed');
    }
  };
  const channel = () => ({ ...deps.channelSwitch.get(), circuit: deps.channelState() });
  // The message as GET /api/v1/messages/:id answers it.
  const asRead = async (view: OutgoingView) =>
    deps.exchanges ? { ...view, exchanges: await deps.exchanges.forMessage(view.id) } : view;

  type ById = { Params: { id: string } };
  app.post<ById>('/api/v1/messages/:id/retry', { onRequest }, async (req) => {
    const view = await deps.queueActions.retry(req.params.id, user(req));
    await audit(req, 'retry', req.params.id);
    return asRead(view);
  });

  app.post<ById>('/api/v1/messages/:id/cancel', { onRequest }, async (req) => {
    const view = await deps.queueActions.cancel(req.params.id, user(req));
    await audit(req, 'cancel', req.params.id);
    return asRead(view);
  });

  app.patch<ById>('/api/v1/messages/:id', { onRequest }, async (req) => {
    const { message } = parse(editMessageSchema, req.body);
    const view = await deps.queueActions.edit(req.params.id, message, user(req));
    // The text itself stays out of the audit log, as it stays out of process logs.
    await audit(req, 'edit', req.params.id, { message: 'edited' });
    return asRead(view);
  });

  app.post('/api/v1/messages/bulk', { onRequest }, async (req) => {
    const body = parse(bulkActionSchema, req.body);
    const result = await deps.bulkActions.run(body, user(req));
    if (!body.dry_run) await audit(req, `bulk-${body.action}`, 'bulk', { filter: body.filter, ...result });
    return result;
  });

  app.get('/api/v1/sms/channel', { onRequest }, async () => channel());

  app.put('/api/v1/sms/channel', { onRequest }, async (req) => {
    const { paused, reason } = parse(channelUpdateSchema, req.body);
    await deps.channelSwitch.set(paused, reason || undefined, user(req));
    await audit(req, paused ? 'channel-pause' : 'channel-resume', 'sms-channel', reason ? { reason } : undefined);
    return channel();
  });
}

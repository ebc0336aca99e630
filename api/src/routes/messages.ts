/**
 * POST /api/v1/messages and GET /api/v1/messages/:id: queue outgoing SMS and read one back.
 * Listings (GET /api/v1/messages) are in listings.ts.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { MessageDoc } from '../../../shared-libs/task-utils/types.js';
import type { AdminAuthenticator } from '../http/auth.js';
import { requireAdmin } from '../http/admin.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { acceptOnly } from '../http/content-type.js';
import { buildOutgoingDocs, createdView, type OutgoingMessages } from '../messages/outgoing.js';
import { PRIORITIES, type Priority } from '../outbox/lanes.js';
import type { AppSettings } from '../settings/schema.js';
import type { ExchangeView } from '../observability/exchanges.js';
import type { SettingsService } from '../settings/settings.js';
import { firstIssue } from '../validation.js';

export const MAX_MESSAGES_PER_REQUEST = 1000;
/** A request with at least this many messages is a bulk send; a single message is high priority. */
export const BULK_FROM = 10;

export const newMessageSchema = z.object({
  to: z.string({ error: 'is required (a phone number)' }).trim().min(1, 'is required (a phone number)'),
  message: z.string({ error: 'is required (the text)' }).refine((s) => s.trim().length > 0, 'must not be empty'),
  priority: z
    .enum(PRIORITIES, { error: 'must be "high", "normal" or "bulk"' })
    .optional()
    .describe(`Outbox lane; default high for a single message, bulk for ${BULK_FROM} or more, else normal`),
});

/** The lane of messages that do not name one: replies and alerts come one at a time, campaigns many at once. */
export function defaultPriority(count: number): Priority {
  if (count <= 1) return 'high';
  return count >= BULK_FROM ? 'bulk' : 'normal';
}

/** `messages[i].` for an array body, '' for a single object: how errors name an item's field. */
export function itemField(body: unknown): (i: number) => string {
  return Array.isArray(body) ? (i) => `messages[${i}].` : () => '';
}

export function parseItems(body: unknown): Array<z.infer<typeof newMessageSchema>> {
  const single = !Array.isArray(body);
  const items: unknown[] = Array.isArray(body) ? body : [body];
  if (items.length === 0) {
    throw new InvalidInputError('body', 'Request body is an empty array: send at least one message');
  }
  if (items.length > MAX_MESSAGES_PER_REQUEST) {
    throw new InvalidInputError('body', `At most ${MAX_MESSAGES_PER_REQUEST} messages per request`);
  }
  return items.map((item, i) => {
    const where = single ? 'body' : `messages[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new InvalidInputError(where, `${where}: must be an object { "to": "+254…", "message": "…" }`);
    }
    const parsed = newMessageSchema.safeParse(item);
    if (!parsed.success) {
      const { field, message } = firstIssue(parsed.error, 'body');
      const prefix = single ? '' : `messages[${i}].`;
      throw new InvalidInputError(`${prefix}${field}`, `${prefix}${message}`);
    }
    return parsed.data;
  });
}

export interface MessageRouteDeps {
  auth: AdminAuthenticator;
  settings: SettingsService;
  outgoing: OutgoingMessages;
  now: () => Date;
  /** Hands new messages to the outbox at once (the changes feed would also find them, later). */
  onCreated?: (docs: MessageDoc[]) => void;
  /** Marks new messages that must not go out (deny rules, duplicates, per-recipient cap). */
  guards?: { screenNew(docs: readonly MessageDoc[], settings: AppSettings, now: Date): Promise<void> };
  /** The provider exchanges a message took part in (answered as `exchanges`). */
  exchanges?: { forMessage(id: string): Promise<ExchangeView[]> };
}

export function messageRoutes(app: FastifyInstance, deps: MessageRouteDeps): void {
  const onRequest = requireAdmin(deps.auth);

  app.post('/api/v1/messages', { onRequest, preValidation: acceptOnly(['application/json']) }, async (req) => {
    const items = parseItems(req.body);
    const settings = deps.settings.get();
    const now = deps.now();
    const sentBy = req.admin?.name ?? 'unknown';
    const { docs } = buildOutgoingDocs(items, settings, now, sentBy, defaultPriority(items.length));
    await deps.guards?.screenNew(docs, settings, now);
    await deps.outgoing.create(docs);
    deps.onCreated?.(docs);
    return { ok: true, messages: docs.map(createdView) };
  });

  app.get<{ Params: { id: string } }>('/api/v1/messages/:id', { onRequest }, async (req) => {
    const view = await deps.outgoing.get(req.params.id);
    if (!view) throw new NotFoundError(`No outgoing message with id "${req.params.id}"`);
    return deps.exchanges ? { ...view, exchanges: await deps.exchanges.forMessage(req.params.id) } : view;
  });
}

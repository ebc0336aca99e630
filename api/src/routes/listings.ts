/**
 * GET /api/v1/messages (listings) and GET /api/v1/messages/counts, for operators and the console.
 * Both read the message index (api/src/listings/), never a view, and see every write acknowledged
 * before the request started.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { MESSAGE_STATES } from '../../../shared-libs/task-utils/types.js';
import type { AdminAuthenticator } from '../http/auth.js';
import { requireAdmin } from '../http/admin.js';
import { InvalidInputError } from '../errors.js';
import type { MessageCounter } from '../listings/counts.js';
import { IndexBehindError, IndexBuildingError } from '../listings/indexer.js';
import type { Listings } from '../listings/listing.js';
import { firstIssue } from '../validation.js';

const KNOWN_STATES: ReadonlySet<string> = new Set(MESSAGE_STATES);

export const listQuerySchema = z.object({
  direction: z.enum(['incoming', 'outgoing']).default('outgoing'),
  /** One state or several, comma-separated (outgoing only). */
  state: z
    .string()
    .transform((s, ctx) => {
      const states = s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
      const unknown = states.find((x) => !KNOWN_STATES.has(x));
      if (unknown !== undefined || states.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `"${unknown ?? s}" is not a message state (${MESSAGE_STATES.join(', ')})`,
        });
        return z.NEVER;
      }
      return states;
    })
    .optional(),
  /** A full number, or its last digits (at least 4): recipient for outgoing, sender for incoming. */
  to: z.string().trim().min(1, 'must not be empty').optional(),
  /** 1: outgoing messages in `sent` or `forwarded-by-gateway` with no report for sms.stuck_after_hours. */
  stuck: z.enum(['1', 'true', '0', 'false']).optional(),
  /** Only messages due before / after this time (outgoing; the console splits CHT's muted group by it). */
  due_before: z.iso
    .datetime({ offset: true, error: 'must be an ISO date-time such as 2025-01-31T00:00:00Z' })
    .optional(),
  due_after: z.iso
    .datetime({ offset: true, error: 'must be an ISO date-time such as 2025-01-31T00:00:00Z' })
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  /** `next_cursor` of the previous page, unchanged. */
  cursor: z.string().min(1, 'must not be empty').optional(),
});

export interface ListingRouteDeps {
  auth: AdminAuthenticator;
  listings: Listings;
  messageCounts: MessageCounter;
}

/** The index is building or behind: tell clients when to come back. */
async function withRetryAfter<T>(reply: FastifyReply, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof IndexBuildingError || err instanceof IndexBehindError) void reply.header('Retry-After', '5');
    throw err;
  }
}

export function listingRoutes(app: FastifyInstance, deps: ListingRouteDeps): void {
  const onRequest = requireAdmin(deps.auth);

  app.get('/api/v1/messages', { onRequest }, async (req, reply) => {
    const parsed = listQuerySchema.safeParse(req.query);
    if (!parsed.success) {
      const { field, message } = firstIssue(parsed.error, 'query');
      throw new InvalidInputError(field, message);
    }
    const q = parsed.data;
    return withRetryAfter(reply, () =>
      deps.listings.list({
        direction: q.direction,
        ...(q.state ? { states: q.state } : {}),
        ...(q.to !== undefined ? { to: q.to } : {}),
        stuck: q.stuck === '1' || q.stuck === 'true',
        ...(q.due_before !== undefined ? { dueBefore: Date.parse(q.due_before) } : {}),
        ...(q.due_after !== undefined ? { dueAfter: Date.parse(q.due_after) } : {}),
        limit: q.limit,
        ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
      }),
    );
  });

  app.get('/api/v1/messages/counts', { onRequest }, async (_req, reply) =>
    withRetryAfter(reply, () => deps.messageCounts.counts()),
  );
}

/**
 * GET /api/v1/sms/exchanges: the provider exchange log (observability/exchanges.ts), newest
 * first. Administrators only: bodies carry phone numbers and message texts.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireAdmin } from '../http/admin.js';
import type { AdminAuthenticator } from '../http/auth.js';
import { InvalidInputError } from '../errors.js';
import type { ExchangeLog } from '../observability/exchanges.js';

export const exchangeListQuerySchema = z.object({
  since: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time such as 2025-01-31T08:00:00Z' }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});

export function exchangeRoutes(
  app: FastifyInstance,
  deps: { auth: AdminAuthenticator; exchanges?: ExchangeLog },
): void {
  const onRequest = requireAdmin(deps.auth);
  app.get('/api/v1/sms/exchanges', { onRequest }, async (req) => {
    const parsed = exchangeListQuerySchema.safeParse(req.query);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || 'query';
      throw new InvalidInputError(field, `${field}: ${issue?.message ?? 'invalid'}`);
    }
    const { since, limit } = parsed.data;
    if (!deps.exchanges) return { exchanges: [] };
    return { exchanges: await deps.exchanges.list({ ...(since ? { since: new Date(since) } : {}), limit }) };
  });
}

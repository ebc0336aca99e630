/**
 * GET /api/v1/sms/activity?minutes=60 (admin): send outcomes per minute, for the console's
 * chart. Counted in memory by this instance since it started (observability/activity.ts).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AdminAuthenticator } from '../http/auth.js';
import { requireAdmin } from '../http/admin.js';
import { InvalidInputError } from '../errors.js';
import { firstIssue } from '../validation.js';
import { MAX_MINUTES, type ActivityCounter } from '../observability/activity.js';

export const activityQuerySchema = z.object({
  minutes: z.coerce.number().int().min(1).max(MAX_MINUTES).default(60),
});

export interface ActivityRouteDeps {
  auth: AdminAuthenticator;
  activity: ActivityCounter;
}

export function activityRoutes(app: FastifyInstance, deps: ActivityRouteDeps): void {
  app.get('/api/v1/sms/activity', { onRequest: requireAdmin(deps.auth) }, async (req) => {
    const parsed = activityQuerySchema.safeParse(req.query);
    if (!parsed.success) {
      const { field, message } = firstIssue(parsed.error, 'query');
      throw new InvalidInputError(field, message);
    }
    return deps.activity.series(parsed.data.minutes);
  });
}

/**
 * GET /api/v1/audit?since=<ISO>&limit=<n> (admin): the audit trail, newest first
 * (api/src/audit/audit-log.ts says what is recorded).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import { requireAdmin } from '../http/admin.js';
import type { AdminAuthenticator } from '../http/auth.js';
import { AppError } from '../http/errors.js';

export const auditQuerySchema = z.object({
  since: z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), 'must be a date-time such as 2025-01-31T00:00:00Z')
    .optional()
    .describe('Only entries at or after this time (ISO 8601)'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export function auditRoutes(app: FastifyInstance, deps: { auth: AdminAuthenticator; audit?: AuditLog }): void {
  const audit = deps.audit;
  if (!audit) return;
  app.get('/api/v1/audit', { onRequest: requireAdmin(deps.auth) }, async (req) => {
    const parsed = auditQuerySchema.safeParse(req.query);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AppError(400, `${issue?.path.join('.') || 'query'}: ${issue?.message ?? 'invalid'}`);
    }
    const { since, limit } = parsed.data;
    return { entries: await audit.list({ since: since === undefined ? undefined : new Date(since), limit }) };
  });
}

/**
 * The opt-out list (admin): GET lists active entries; POST adds a number (for one sender id, or
 * for every sender); DELETE opts a number back in (the entry's history keeps both changes).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { actorOf, type AuditLog } from '../audit/audit-log.js';
import type { OptOutList } from '../consent/opt-outs.js';
import type { AdminAuthenticator } from '../http/auth.js';
import { requireAdmin } from '../http/admin.js';
import { acceptOnly } from '../http/content-type.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { firstIssue } from '../validation.js';

export const optOutBodySchema = z.object({
  number: z.string({ error: 'is required (a phone number)' }).trim().min(1, 'is required (a phone number)'),
  sender_id: z.string({ error: 'must be a string (the sender id)' }).optional().describe('Absent: every sender'),
});

export const optOutDeleteQuerySchema = z.object({
  sender_id: z.string().optional().describe('The sender id of the entry; absent: the every-sender entry'),
});

export interface OptOutRouteDeps {
  auth: AdminAuthenticator;
  optOuts: OptOutList;
  audit?: AuditLog;
}

function invalid(err: z.ZodError, root: string): InvalidInputError {
  const { field, message } = firstIssue(err, root);
  return new InvalidInputError(field, message);
}

function usableNumber(optOuts: OptOutList, number: string): void {
  if (optOuts.normalise(number) === false) {
    throw new InvalidInputError('number', `number: "${number}" is not a usable phone number`);
  }
}

export function optOutRoutes(app: FastifyInstance, deps: OptOutRouteDeps): void {
  const onRequest = requireAdmin(deps.auth);
  const who = (name: string | undefined): string => `admin (${name ?? 'unknown'})`;

  app.get('/api/v1/sms/opt-outs', { onRequest }, async () => ({ opt_outs: await deps.optOuts.list() }));

  app.post('/api/v1/sms/opt-outs', { onRequest, preValidation: acceptOnly(['application/json']) }, async (req) => {
    const parsed = optOutBodySchema.safeParse(req.body ?? {});
    if (!parsed.success) throw invalid(parsed.error, 'body');
    const { number, sender_id: senderId } = parsed.data;
    usableNumber(deps.optOuts, number);
    const { saved } = await deps.optOuts.add([{ number, senderId, source: who(req.admin?.name) }]);
    if (saved) await deps.audit?.record(actorOf(req), 'opt_out.add', number, { sender_id: senderId ?? '*' });
    return { ok: true, saved };
  });

  app.delete<{ Params: { number: string } }>('/api/v1/sms/opt-outs/:number', { onRequest }, async (req) => {
    const query = optOutDeleteQuerySchema.safeParse(req.query);
    if (!query.success) throw invalid(query.error, 'query');
    const { number } = req.params;
    usableNumber(deps.optOuts, number);
    const senderId = query.data.sender_id;
    const removed = await deps.optOuts.remove({ number, senderId, source: who(req.admin?.name) });
    if (!removed) {
      const scope = senderId ? `sender id "${senderId}"` : 'every sender';
      throw new NotFoundError(`"${number}" has not opted out of ${scope}`);
    }
    await deps.audit?.record(actorOf(req), 'opt_out.remove', number, { sender_id: senderId ?? '*' });
    return { ok: true };
  });
}

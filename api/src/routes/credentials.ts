/**
 * PUT /api/v1/credentials/:key — the body is the secret as text/plain (CHT's contract,
 * https://docs.communityhealthtoolkit.org/building/reference/api/). The secret is encrypted before
 * it is stored and never echoed or logged.
 */
import type { FastifyInstance } from 'fastify';
import { actorOf, type AuditLog } from '../audit/audit-log.js';
import type { AdminAuthenticator } from '../http/auth.js';
import { requireAdmin } from '../http/admin.js';
import type { CredentialsService } from '../credentials/credentials.js';
import { InvalidInputError } from '../errors.js';
import { AppError } from '../http/errors.js';

export async function credentialRoutes(
  app: FastifyInstance,
  deps: { auth: AdminAuthenticator; credentials: CredentialsService; audit?: AuditLog },
): Promise<void> {
  // In this scope every body is read as raw text: `curl -d secret` sends a form content type,
  // and the form parser would turn the secret into a field name.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['text/plain', 'application/x-www-form-urlencoded'],
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (_req, body, done) => {
      done(null, body);
    },
  );
  app.addContentTypeParser('*', (req, _payload, done) => {
    done(
      new AppError(
        415,
        `Unsupported Content-Type "${req.headers['content-type'] ?? ''}": send the secret as text/plain`,
      ),
      undefined,
    );
  });

  app.put<{ Params: { key: string } }>(
    '/api/v1/credentials/:key',
    { onRequest: requireAdmin(deps.auth) },
    async (req) => {
      const body = typeof req.body === 'string' ? req.body.replace(/\r?\n$/, '') : '';
      if (!body) throw new InvalidInputError('body', 'Missing required request body: the secret, as text/plain');
      await deps.credentials.set(req.params.key, body);
      req.log.info({ credential: req.params.key }, 'credential stored');
      // The key names the credential; its value never reaches the audit log.
      await deps.audit?.record(actorOf(req), 'credential.set', req.params.key);
      return { ok: true };
    },
  );
}

/**
 * Headers on every response (errors and 404s included, since fastify runs onSend for them too):
 * - `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` always;
 * - `Cache-Control: no-store` unless a route chose its own caching: answers carry settings,
 *   message states and phone numbers that no shared or browser cache should keep;
 * - `Strict-Transport-Security` when the request came over HTTPS (directly, or through a
 *   TRUST_PROXY proxy's X-Forwarded-Proto), never on plain HTTP where it means nothing;
 * - no `X-Powered-By` or `Server` banner (the version is at /api/info only).
 * https://owasp.org/www-project-secure-headers/
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const HSTS = 'max-age=31536000';

export function applySecurityHeaders(req: FastifyRequest, reply: FastifyReply): void {
  void reply.header('X-Content-Type-Options', 'nosniff');
  void reply.header('Referrer-Policy', 'no-referrer');
  if (!reply.hasHeader('Cache-Control')) void reply.header('Cache-Control', 'no-store');
  if (req.protocol === 'https') void reply.header('Strict-Transport-Security', HSTS);
  reply.removeHeader('X-Powered-By');
  reply.removeHeader('Server');
}

export function securityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply, payload) => {
    applySecurityHeaders(req, reply);
    return payload;
  });
}

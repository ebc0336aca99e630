/**
 * The operator console: GET /console/ (the page and its files) and its session endpoints.
 * Sign-in checks the same administrators as the API (http/auth.ts) and is throttled per client
 * address like the webhook keys. The page's data comes from the admin API itself, with the
 * session cookie standing in for basic auth (session-auth.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import type { AdminAuthenticator } from '../http/auth.js';
import { AppError } from '../http/errors.js';
import { firstIssue } from '../validation.js';
import type { WebhookGuard } from '../http/webhook-guard.js';
import { csrfRefusal, ownOrigin, sessionFromRequest } from './session-auth.js';
import { clearedSessionCookie, readCookie, SESSION_COOKIE, sessionCookie, type ConsoleSessions } from './sessions.js';
import { ConsoleFiles } from './static-files.js';

export interface ConsoleRouteDeps {
  auth: AdminAuthenticator;
  sessions: ConsoleSessions;
  /** Failed sign-ins per client address. */
  signInThrottle: WebhookGuard;
  files?: ConsoleFiles;
}

/**
 * No inline script or style, nothing from another host, never framed. `img-src data:` is for
 * nothing but the browser's own form-control images.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const signInSchema = z.object({
  user: z
    .string({ error: 'is required' })
    .min(1, 'is required')
    .max(200)
    .refine((u) => !u.includes(':'), 'must not contain ":"'),
  password: z.string({ error: 'is required' }).min(1, 'is required').max(1000),
});

function securityHeaders(reply: FastifyReply): void {
  void reply.headers({
    'content-security-policy': CONSOLE_CSP,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  });
}

const isHttps = (req: FastifyRequest): boolean => req.protocol === 'https';

export function consoleRoutes(app: FastifyInstance, deps: ConsoleRouteDeps): void {
  const files = deps.files ?? new ConsoleFiles();

  app.addHook('onRequest', async (_req, reply) => securityHeaders(reply));

  const serve = async (req: FastifyRequest, reply: FastifyReply, name: string): Promise<FastifyReply> => {
    const file = await files.get(name);
    if (!file) throw new AppError(404, `No console file "${name}"`);
    void reply.header('etag', file.etag).header('cache-control', name.endsWith('.html') ? 'no-store' : 'no-cache');
    if (req.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.type(file.type).send(file.body);
  };

  app.get('/console', async (_req, reply) => reply.redirect('/console/', 302));
  app.get('/console/', async (req, reply) => serve(req, reply, 'index.html'));
  app.get<{ Params: { file: string } }>('/console/:file', async (req, reply) => serve(req, reply, req.params.file));

  /** Who is signed in (and the CSRF token the page must send), or 401. */
  app.get('/console/api/session', async (req, reply) => {
    void reply.header('cache-control', 'no-store');
    const session = sessionFromRequest(deps.sessions, req);
    if (!session) throw new AppError(401, 'Not signed in');
    return { user: session.user, csrf: session.csrf, idle_timeout_seconds: Math.round(deps.sessions.idleMs / 1000) };
  });

  app.post('/console/api/session', async (req, reply) => {
    void reply.header('cache-control', 'no-store');
    // A sign-in form posted from another site would sign the victim into the attacker's account.
    if (req.headers.origin !== ownOrigin(req))
      throw new AppError(403, 'Origin header missing or not this server: request refused');
    deps.signInThrottle.check(req.ip);
    const parsed = signInSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      const { field, message } = firstIssue(parsed.error, 'body');
      throw new InvalidInputError(field, message);
    }
    const { user, password } = parsed.data;
    try {
      await deps.auth.authenticate(`Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`);
    } catch (err) {
      if (err instanceof AppError && (err.status === 401 || err.status === 403))
        deps.signInThrottle.failed(req.ip, 'console-sign-in');
      if (err instanceof AppError && err.status === 401) throw new AppError(401, 'Wrong user name or password');
      throw err;
    }
    // A new id on every sign-in: a cookie planted before sign-in is worth nothing after it.
    deps.sessions.destroy(readCookie(req.headers.cookie, SESSION_COOKIE));
    const { cookie, session } = deps.sessions.create(user);
    void reply.header('set-cookie', sessionCookie(cookie, isHttps(req)));
    return { user: session.user, csrf: session.csrf, idle_timeout_seconds: Math.round(deps.sessions.idleMs / 1000) };
  });

  app.delete('/console/api/session', async (req, reply) => {
    void reply.header('cache-control', 'no-store');
    const session = sessionFromRequest(deps.sessions, req);
    if (session) {
      const refusal = csrfRefusal(req, session);
      if (refusal) throw new AppError(403, refusal);
      deps.sessions.destroy(readCookie(req.headers.cookie, SESSION_COOKIE));
    }
    void reply.header('set-cookie', clearedSessionCookie(isHttps(req)));
    return { ok: true };
  });
}

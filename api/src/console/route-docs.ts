/**
 * The console's routes and the activity endpoint it reads, for the OpenAPI document
 * (routes/openapi.ts). Shaped like its RouteDoc without importing it, so the console does not
 * depend on the document that lists it.
 */
import type { z } from 'zod';
import { activityQuerySchema } from '../routes/activity.js';

export interface ConsoleRouteDoc {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  summary: string;
  auth: 'admin' | 'none';
  query?: z.ZodObject;
  response?: string;
}

export function consoleRouteDocs(): ConsoleRouteDoc[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/sms/activity',
      summary:
        "Send outcomes per minute (sent, delivered, failed, retried) and the last 24 hours' totals, counted in memory by this instance since it started",
      auth: 'admin',
      query: activityQuerySchema,
      response: '{"since", "minutes": [{"at", "sent", "delivered", "failed", "retried"}], "last_24h": {…}}',
    },
    { method: 'GET', path: '/console', summary: 'Redirects to the operator console', auth: 'none' },
    {
      method: 'GET',
      path: '/console/',
      summary: 'The operator console (sign-in page, then the console)',
      auth: 'none',
    },
    {
      method: 'GET',
      path: '/console/:file',
      summary: "One of the console's script, style or image files",
      auth: 'none',
    },
    {
      method: 'GET',
      path: '/console/api/session',
      summary:
        'The console session behind the cookie: the user and the CSRF token the page sends on changes; 401 when signed out',
      auth: 'none',
      response: '{"user", "csrf", "idle_timeout_seconds"}',
    },
    {
      method: 'POST',
      path: '/console/api/session',
      summary:
        'Console sign-in with an administrator\'s {"user", "password"} (Origin must be this server); sets the HttpOnly session cookie. 10 failures from one address within 60 s → 429',
      auth: 'none',
      response: '{"user", "csrf", "idle_timeout_seconds"}',
    },
    {
      method: 'DELETE',
      path: '/console/api/session',
      summary: 'Console sign-out (needs the CSRF token)',
      auth: 'none',
      response: '{"ok": true}',
    },
  ];
}

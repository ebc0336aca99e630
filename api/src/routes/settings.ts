/**
 * GET/PUT /api/v1/settings with CHT's semantics: default deep merge, `?replace=1` replaces the
 * given top-level keys, `?overwrite=1` replaces everything. Any truthy query value counts, as in
 * CHT. Invalid settings are refused whole.
 */
import type { FastifyInstance } from 'fastify';
import type { AdminAuthenticator } from '../http/auth.js';
import { requireAdmin } from '../http/admin.js';
import type { SettingsService, UpdateMode } from '../settings/settings.js';

const truthy = (v: unknown): boolean => typeof v === 'string' && v !== '' && v !== 'false';

export function settingsRoutes(app: FastifyInstance, deps: { auth: AdminAuthenticator; settings: SettingsService }): void {
  const onRequest = requireAdmin(deps.auth);
  app.get('/api/v1/settings', { onRequest }, async () => deps.settings.get());
  app.put<{ Querystring: { replace?: string; overwrite?: string } }>('/api/v1/settings', { onRequest }, async (req) => {
    const mode: UpdateMode = truthy(req.query.overwrite) ? 'overwrite' : truthy(req.query.replace) ? 'replace' : 'merge';
    const { updated } = await deps.settings.update(req.body, mode);
    return { success: true, updated };
  });
}

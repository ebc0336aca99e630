/**
 * GET/PUT /api/v1/settings with CHT's semantics: default deep merge, `?replace=1` replaces the
 * given top-level keys, `?overwrite=1` replaces everything. Any truthy query value counts, as in
 * CHT. Invalid settings are refused whole. Every change is audited with the paths it changed.
 */
import type { FastifyInstance } from 'fastify';
import { actorOf, type AuditLog } from '../audit/audit-log.js';
import { diffSettings } from '../audit/settings-diff.js';
import type { AdminAuthenticator } from '../http/auth.js';
import { requireAdmin } from '../http/admin.js';
import { acceptOnly } from '../http/content-type.js';
import type { SettingsService, UpdateMode } from '../settings/settings.js';

const truthy = (v: unknown): boolean => typeof v === 'string' && v !== '' && v !== 'false';

export interface SettingsRouteDeps {
  auth: AdminAuthenticator;
  settings: SettingsService;
  audit?: AuditLog;
}

export function settingsRoutes(app: FastifyInstance, deps: SettingsRouteDeps): void {
  const onRequest = requireAdmin(deps.auth);
  app.get('/api/v1/settings', { onRequest }, async () => deps.settings.get());
  const preValidation = acceptOnly(['application/json']);
  type Query = { replace?: string; overwrite?: string };
  app.put<{ Querystring: Query }>('/api/v1/settings', { onRequest, preValidation }, async (req) => {
    const mode: UpdateMode = truthy(req.query.overwrite)
      ? 'overwrite'
      : truthy(req.query.replace)
        ? 'replace'
        : 'merge';
    const { updated, previous, settings } = await deps.settings.update(req.body, mode);
    if (updated) await deps.audit?.record(actorOf(req), 'settings.update', mode, diffSettings(previous, settings));
    return { success: true, updated };
  });
}

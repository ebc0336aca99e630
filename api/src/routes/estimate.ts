/**
 * POST /api/v1/messages/estimate (admin): the body of POST /api/v1/messages; answers what those
 * messages would take (encoding, characters, parts, cost from recent charges) and stores and
 * sends nothing.
 */
import type { FastifyInstance } from 'fastify';
import type { AdminAuthenticator } from '../http/auth.js';
import { requireAdmin } from '../http/admin.js';
import { acceptOnly } from '../http/content-type.js';
import type { CostSamples } from '../estimates/cost-samples.js';
import { estimateMessages } from '../estimates/estimate.js';
import type { SettingsService } from '../settings/settings.js';
import { itemField, parseItems } from './messages.js';

export interface EstimateRouteDeps {
  auth: AdminAuthenticator;
  settings: SettingsService;
  costSamples: CostSamples;
}

export function estimateRoutes(app: FastifyInstance, deps: EstimateRouteDeps): void {
  const opts = { onRequest: requireAdmin(deps.auth), preValidation: acceptOnly(['application/json']) };
  app.post('/api/v1/messages/estimate', opts, async (req) =>
    estimateMessages(parseItems(req.body), deps.settings.get(), deps.costSamples, itemField(req.body)),
  );
}

/**
 * The `rapidpro` outgoing service (push): broadcasts out, statuses polled (RapidPro does not call
 * back), incoming messages from a flow's webhook. As CHT's
 * (https://github.com/medic/cht-core/blob/master/api/src/services/rapidpro.js), on the core's
 * claims, retries, circuit, state lattice and metrics.
 */
import { failAll, SendError, type OutgoingService, type SendOutcome } from '../../types.js';
import { OUTGOING_KEY, SERVICE_ID } from './client.js';
import { INCOMING_KEY, rapidProRoutes, ROUTE_PREFIX } from './routes.js';
import { groupForBroadcasts, MAX_URNS, sendBroadcast } from './sender.js';
import { parseRapidProSettings, rapidProSettingsSlice, type RapidProSettings } from './settings.js';
import { statusPollJob } from './status-job.js';

export const rapidPro: OutgoingService<RapidProSettings> = {
  id: SERVICE_ID,
  routePrefix: ROUTE_PREFIX,
  mode: 'push',
  settingsSlice: { key: 'rapidpro', schema: rapidProSettingsSlice },
  credentialKeys: [OUTGOING_KEY, INCOMING_KEY],
  maxBatch: MAX_URNS,
  pollsStatus: true,
  parseSettings: parseRapidProSettings,
  async send(batch, ctx): Promise<SendOutcome[]> {
    const token = await ctx.credentials.get(OUTGOING_KEY);
    if (!token) {
      const error = new SendError(
        'account',
        'no_api_token',
        `No API token configured: PUT /api/v1/credentials/${OUTGOING_KEY}`,
      );
      return failAll(batch, error);
    }
    const results = await Promise.all(groupForBroadcasts(batch).map((g) => sendBroadcast(g, ctx, token)));
    const byId = new Map(results.flat().map((o) => [o.id, o]));
    const missing = new SendError('retryable', 'no_outcome', 'No outcome recorded');
    return batch.map((m) => byId.get(m.id) ?? { id: m.id, ok: false as const, error: missing });
  },
  routes: rapidProRoutes,
  jobs: [statusPollJob],
};

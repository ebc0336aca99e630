/**
 * The `africas-talking` outgoing service (push): settings, sending, and AT's callbacks.
 */
import { failAll, SendError, type OutboundMessage, type OutgoingService, type SendOutcome } from '../../types.js';
import { balanceJob, mayResume } from './balance.js';
import { atOptOutRoutes } from './opt-outs.js';
import { inboxSyncRoute } from './inbox-route.js';
import { inboxSyncJob } from './inbox-sync.js';
import { atRoutes, INCOMING_KEY, ROUTE_PREFIX } from './routes.js';
import { OUTGOING_KEY, sendGroup } from './sender.js';
import { AT_ENV_API_URL, atSettingsSlice, parseAtSettings, type AtSettings } from './settings.js';

/** AT takes many recipients per request; beyond a few hundred a slow answer costs too much at once. */
const MAX_RECIPIENTS = 500;

/** Splits a batch into requests: one text each, no number twice in one request. */
export function groupForRequests(batch: OutboundMessage[], max = MAX_RECIPIENTS): OutboundMessage[][] {
  const groups: OutboundMessage[][] = [];
  const open = new Map<string, Array<{ msgs: OutboundMessage[]; numbers: Set<string> }>>();
  for (const m of batch) {
    const candidates = open.get(m.content) ?? [];
    let g = candidates.find((c) => !c.numbers.has(m.to) && c.msgs.length < max);
    if (!g) {
      g = { msgs: [], numbers: new Set() };
      candidates.push(g);
      open.set(m.content, candidates);
      groups.push(g.msgs);
    }
    g.msgs.push(m);
    g.numbers.add(m.to);
  }
  return groups;
}

export const africasTalking: OutgoingService<AtSettings> = {
  id: 'africas-talking',
  routePrefix: ROUTE_PREFIX,
  mode: 'push',
  settingsSlice: { key: 'africas_talking', schema: atSettingsSlice },
  env: [
    {
      name: AT_ENV_API_URL,
      url: true,
      description: "AT's API base URL; default live, or sandbox when the username is `sandbox`",
    },
  ],
  credentialKeys: [OUTGOING_KEY, INCOMING_KEY],
  maxBatch: MAX_RECIPIENTS,
  parseSettings: parseAtSettings,
  async send(batch, ctx): Promise<SendOutcome[]> {
    const apiKey = await ctx.credentials.get(OUTGOING_KEY);
    if (!apiKey) {
      const error = new SendError(
        'account',
        'no_api_key',
        `No API key configured: PUT /api/v1/credentials/${OUTGOING_KEY}`,
      );
      return failAll(batch, error);
    }
    const results = await Promise.all(groupForRequests(batch).map((g) => sendGroup(g, ctx, apiKey)));
    const byId = new Map(results.flat().map((o) => [o.id, o]));
    return batch.map(
      (m) =>
        byId.get(m.id) ?? {
          id: m.id,
          ok: false as const,
          error: new SendError('retryable', 'no_outcome', 'No outcome recorded'),
        },
    );
  },
  routes: [...atRoutes, ...atOptOutRoutes, inboxSyncRoute],
  jobs: [balanceJob, inboxSyncJob],
  mayResume,
};

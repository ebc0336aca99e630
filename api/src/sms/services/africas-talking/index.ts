/**
 * The `africas-talking` outgoing service (push): settings, sending, and AT's two callbacks.
 */
import { SendError, type OutboundMessage, type OutgoingService, type SendOutcome } from '../../types.js';
import { OUTGOING_KEY, sendGroup, type AtSettings } from './sender.js';
import { INCOMING_KEY, atWebhooks } from './webhooks.js';

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
  routePrefix: 'africastalking',
  mode: 'push',
  credentialKeys: [OUTGOING_KEY, INCOMING_KEY],
  maxBatch: MAX_RECIPIENTS,
  parseSettings(sms) {
    const username = sms?.africas_talking?.username;
    if (typeof username !== 'string' || username.trim() === '') {
      throw new Error('sms.africas_talking.username is required when sms.outgoing_service is "africas-talking" (use "sandbox" for AT\'s sandbox)');
    }
    const from = typeof sms?.reply_to === 'string' && sms.reply_to.trim() !== '' ? sms.reply_to.trim() : undefined;
    return { username: username.trim(), ...(from ? { from } : {}) };
  },
  async send(batch, ctx): Promise<SendOutcome[]> {
    const apiKey = await ctx.credentials.get(OUTGOING_KEY);
    if (!apiKey) {
      const error = new SendError('account', 'no_api_key', `No API key configured: PUT /api/v1/credentials/${OUTGOING_KEY}`);
      return batch.map((m) => ({ id: m.id, ok: false as const, error }));
    }
    const results = await Promise.all(groupForRequests(batch).map((g) => sendGroup(g, ctx, apiKey)));
    const byId = new Map(results.flat().map((o) => [o.id, o]));
    return batch.map((m) => byId.get(m.id) ?? { id: m.id, ok: false as const, error: new SendError('retryable', 'no_outcome', 'No outcome recorded') });
  },
  webhooks: atWebhooks,
};

/**
 * Sending through RapidPro: one broadcast (`POST /api/v2/broadcasts.json`, https://rapidpro.io/api/v2/)
 * per text, its `urns` every recipient of that text (at most 100, RapidPro's limit). CHT sends one
 * broadcast per message (https://github.com/medic/cht-core/blob/master/api/src/services/rapidpro.js);
 * a broadcast to many numbers is one request instead of many, and refs.ts gives each recipient's
 * message its own reference.
 *
 * HTTP 400 means RapidPro refused the broadcast as given ("do not retry with the same values",
 * https://rapidpro.io/api/v2/): a one-recipient broadcast fails; a broadcast to several numbers is
 * sent again one number at a time, so one bad number fails alone. The token refused (401/403) or
 * the endpoint missing (404, a wrong `sms.rapidpro.url`) is the whole channel's problem: it pauses.
 */
import { withExchangeScope } from '../../exchange-scope.js';
import { failAll, SendError, type OutboundMessage, type SendOutcome, type ServiceContext } from '../../types.js';
import { rapidProRequest, RapidProUnreachable, SERVICE_ID, snippet, type RapidProAnswer } from './client.js';
import { gatewayRef, telUrn } from './refs.js';
import type { RapidProSettings } from './settings.js';
import { STATUS_DETAILS, STATUS_STATE, isRapidProStatus } from './status-map.js';

export const BROADCASTS_PATH = '/api/v2/broadcasts.json';
/** RapidPro refuses a broadcast with more than 100 URNs. */
export const MAX_URNS = 100;
/** Requests at once when a refused broadcast is sent again one number at a time. */
const SPLIT_CONCURRENCY = 8;

/** Splits a batch into broadcasts: one text each, no URN twice, at most `max` URNs. */
export function groupForBroadcasts(batch: OutboundMessage[], max = MAX_URNS): OutboundMessage[][] {
  const groups: Array<{ msgs: OutboundMessage[]; urns: Set<string> }> = [];
  for (const m of batch) {
    const urn = telUrn(m.to);
    let g = groups.find((c) => c.msgs[0]?.content === m.content && !c.urns.has(urn) && c.msgs.length < max);
    if (!g) {
      g = { msgs: [], urns: new Set() };
      groups.push(g);
    }
    g.msgs.push(m);
    g.urns.add(urn);
  }
  return groups.map((g) => g.msgs);
}

/** A refused or failed request, classified for the core. */
export function classifyHttp(answer: RapidProAnswer): SendError {
  const { status, text } = answer;
  const excerpt = snippet(text);
  const tail = excerpt ? `: ${excerpt}` : '';
  if (status === 400) return new SendError('final', 'http_400', `RapidPro refused the broadcast (HTTP 400)${tail}`);
  if (status === 401 || status === 403) {
    return new SendError(
      'account',
      `http_${status}`,
      `RapidPro refused the API token rapidpro:outgoing (HTTP ${status})${tail}`,
    );
  }
  if (status === 404 || (status >= 300 && status < 400)) {
    return new SendError(
      'account',
      `http_${status}`,
      `RapidPro answered HTTP ${status} for ${BROADCASTS_PATH}: check sms.rapidpro.url`,
    );
  }
  if (status === 429) {
    const wait = Math.ceil((answer.retryAfterMs ?? 0) / 1000);
    return new SendError('retryable', 'http_429', `RapidPro is throttling requests (HTTP 429, retry after ${wait} s)`);
  }
  if (status >= 500 || status === 408) {
    return new SendError('retryable', `http_${status}`, `RapidPro answered HTTP ${status}${tail}`);
  }
  return new SendError('final', `http_${status}`, `RapidPro refused the broadcast (HTTP ${status})${tail}`);
}

/**
 * Maps a 2xx answer to one outcome per message: the broadcast's `status` through the status table,
 * as CHT does; none, or one we do not know, is `received-by-gateway` (cht-core#9559: RapidPro
 * accepted the broadcast; marking it queued beats sending it again). The status poll then reads
 * each message's own status.
 */
export function mapBroadcast(group: OutboundMessage[], text: string): SendOutcome[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const body = typeof parsed === 'object' && parsed !== null ? (parsed as { id?: unknown; status?: unknown }) : {};
  const id =
    typeof body.id === 'number' || (typeof body.id === 'string' && /^\d+$/.test(body.id)) ? String(body.id) : undefined;
  if (id === undefined) {
    // No broadcast id: nothing to follow. Sent again (bounded by the attempt limit) rather than
    // lost: a 2xx without RapidPro's body is most likely not RapidPro (a proxy's page).
    const error = new SendError(
      'retryable',
      'no_broadcast_id',
      `RapidPro answered without a broadcast id: ${snippet(text)}`,
    );
    return failAll(group, error);
  }
  const raw = typeof body.status === 'string' ? body.status : undefined;
  const status = raw !== undefined && isRapidProStatus(raw) ? raw : 'queued';
  const state = STATUS_STATE[status];
  const details = STATUS_DETAILS[status];
  return group.map((m) => ({
    id: m.id,
    ok: true as const,
    state,
    details,
    gatewayRef: gatewayRef(id, telUrn(m.to), group.length),
    providerCode: raw ?? 'accepted',
  }));
}

async function post(
  group: OutboundMessage[],
  ctx: ServiceContext<RapidProSettings>,
  token: string,
): Promise<RapidProAnswer | SendOutcome[]> {
  const body = { urns: group.map((m) => telUrn(m.to)), text: group[0]?.content ?? '' };
  try {
    // The exchange log lists this request with each message it carries.
    const messageIds = group.map((m) => m.id);
    return await withExchangeScope({ service: SERVICE_ID, messageIds }, () =>
      rapidProRequest(ctx, token, 'POST', BROADCASTS_PATH, body),
    );
  } catch (err) {
    if (!(err instanceof RapidProUnreachable)) throw err;
    return failAll(group, new SendError('retryable', err.code, err.message));
  }
}

/** Sends one broadcast for messages sharing a text (distinct numbers). */
export async function sendBroadcast(
  group: OutboundMessage[],
  ctx: ServiceContext<RapidProSettings>,
  token: string,
): Promise<SendOutcome[]> {
  const answer = await post(group, ctx, token);
  if (Array.isArray(answer)) return answer;
  if (answer.status >= 200 && answer.status < 300) return mapBroadcast(group, answer.text);
  if (answer.status === 400 && group.length > 1) {
    ctx.logger.info(
      { recipients: group.length },
      'RapidPro refused a broadcast to several numbers; sending one at a time',
    );
    const outcomes: SendOutcome[] = [];
    for (let i = 0; i < group.length; i += SPLIT_CONCURRENCY) {
      const slice = group.slice(i, i + SPLIT_CONCURRENCY);
      outcomes.push(...(await Promise.all(slice.map((m) => sendBroadcast([m], ctx, token)))).flat());
    }
    return outcomes;
  }
  return failAll(group, classifyHttp(answer));
}

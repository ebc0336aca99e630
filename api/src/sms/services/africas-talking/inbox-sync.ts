/**
 * Missed-message recovery: AT keeps every incoming SMS in an inbox we can page through
 * (https://developers.africastalking.com/docs/sms/fetch_messages), so an SMS whose callback
 * failed (this server down, a network cut) is fetched at start-up, every
 * `sms.africas_talking.inbox_sync_minutes` and on demand, and stored by the same path as the
 * callback (`core.saveIncoming`: one record per AT id, and per content key when the callback's id
 * differs in form).
 *
 * The cursor (`lastReceivedId`) lives in a store doc per AT username, held under a lease so one
 * instance syncs at a time, and is saved after each page: a crash re-fetches at most one page,
 * which dedupe absorbs. The first sync of an account does not import its history (CHT would run
 * forms and auto-replies on old messages): it walks the inbox to its newest message and imports
 * only messages dated after that first sync began.
 */
import {
  INBOX_SYNC_JOB,
  type IncomingInput,
  type InboxSyncResult,
  type JobContext,
  type LeasedCursor,
  type ServiceJob,
} from '../../types.js';
import { contentKey, secondOf } from './content-key.js';
import { fetchInboxPage, InboxSyncError, type AtInboxMessage } from './inbox-fetch.js';
import { OUTGOING_KEY } from './sender.js';
import { DEFAULT_INBOX_SYNC_MINUTES, type AtSettings } from './settings.js';

interface InboxCursor {
  lastReceivedId: string;
  /** Set while the first sync walks the account's history: messages dated before it are old. */
  baselineSince?: string;
}

function readCursor(data: Readonly<Record<string, unknown>> | undefined): InboxCursor | undefined {
  const id = data?.lastReceivedId;
  if (typeof id !== 'string' || !/^\d+$/.test(id)) return undefined;
  const since = data?.baselineSince;
  return { lastReceivedId: id, ...(typeof since === 'string' ? { baselineSince: since } : {}) };
}

export function toIncomingInput(m: AtInboxMessage): IncomingInput {
  const key = contentKey(m);
  return {
    gatewayId: m.id,
    from: m.from,
    content: m.text,
    extra: {
      ...(m.to !== undefined ? { to: m.to } : {}),
      ...(m.date !== undefined ? { date: m.date } : {}),
      ...(m.linkId !== undefined ? { linkId: m.linkId } : {}),
    },
    ...(key ? { secondaryKey: { key, source: 'inbox' } } : {}),
  };
}

/** Old history during the first sync: dated before the second it began (or undated). */
function arrivedBefore(m: AtInboxMessage, since: string): boolean {
  const second = m.date === undefined ? undefined : secondOf(m.date);
  return second === undefined || second < (secondOf(since) as string);
}

async function pageThrough(
  ctx: JobContext<AtSettings>,
  apiKey: string,
  cursor: LeasedCursor,
): Promise<InboxSyncResult> {
  let position = readCursor(cursor.data);
  if (!position) {
    position = { lastReceivedId: '0', baselineSince: ctx.now().toISOString() };
    await cursor.save({ ...position });
  }
  let fetched = 0;
  let saved = 0;
  for (;;) {
    const page = await fetchInboxPage(ctx, apiKey, position.lastReceivedId);
    const last = page.at(-1);
    if (!last) break;
    if (BigInt(last.id) <= BigInt(position.lastReceivedId)) {
      throw new InboxSyncError(
        `AT's inbox answered a page ending at id ${last.id}, not after ${position.lastReceivedId}`,
      );
    }
    fetched += page.length;
    const since = position.baselineSince;
    const fresh = since === undefined ? page : page.filter((m) => !arrivedBefore(m, since));
    if (fresh.length > 0) saved += (await ctx.core.saveIncoming(fresh.map(toIncomingInput))).saved;
    position = { ...position, lastReceivedId: last.id };
    await cursor.save({ ...position });
  }
  if (position.baselineSince !== undefined) {
    await cursor.save({ lastReceivedId: position.lastReceivedId });
    ctx.logger.info(
      { lastReceivedId: position.lastReceivedId },
      "AT inbox: first sync done; older messages were left in AT's inbox",
    );
  }
  return { fetched, saved };
}

export async function syncInbox(ctx: JobContext<AtSettings>): Promise<InboxSyncResult> {
  const apiKey = await ctx.credentials.get(OUTGOING_KEY);
  if (!apiKey) throw new InboxSyncError(`No API key configured: PUT /api/v1/credentials/${OUTGOING_KEY}`);
  // Renewed at every page; long enough for a page fetch at the request timeout and its save.
  const leaseMs = Math.max(60_000, ctx.timeoutMs * 4);
  const name = `inbox:${ctx.settings.username}`;
  const run = await ctx.core.withCursor(name, leaseMs, (cursor) => pageThrough(ctx, apiKey, cursor));
  if (!run.ran) {
    return { fetched: 0, saved: 0, skipped: `another instance is syncing the inbox (lease until ${run.heldUntil})` };
  }
  const { fetched, saved } = run.result;
  if (fetched > 0) ctx.logger.info({ fetched, saved }, 'AT inbox synced');
  return run.result;
}

export const inboxSyncJob: ServiceJob<AtSettings> = {
  name: INBOX_SYNC_JOB,
  intervalMs: (settings) => (settings.inboxSyncMinutes ?? DEFAULT_INBOX_SYNC_MINUTES) * 60_000,
  run: syncInbox,
};

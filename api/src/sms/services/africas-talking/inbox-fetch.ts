/**
 * One page of AT's inbox: `GET /version1/messaging?username=&lastReceivedId=` with the `apiKey`
 * header answers the messages received after that id, oldest first
 * (https://developers.africastalking.com/docs/sms/fetch_messages). Failures are thrown as
 * `InboxSyncError`s without the answer's body (it may carry numbers and texts); the exchange
 * log keeps the body for administrators.
 */
import { request } from 'undici';
import { z } from 'zod';
import { UpstreamError } from '../../../errors.js';
import type { ServiceContext } from '../../types.js';
import { apiBaseUrl } from './sender.js';
import { AT_ENV_API_URL, type AtSettings } from './settings.js';

/** A failed sync: AT unreachable or refusing, or an answer we cannot read. */
export class InboxSyncError extends UpstreamError {}

const scalar = z.union([z.string(), z.number()]);

const inboxMessage = z.object({
  id: z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,30}$/)]),
  from: scalar,
  to: scalar.optional(),
  text: z.string(),
  date: z.string().optional(),
  linkId: scalar.nullable().optional(),
});

const inboxPage = z.object({ SMSMessageData: z.object({ Messages: z.array(inboxMessage) }) });

export interface AtInboxMessage {
  /** AT's integer id, as decimal digits. */
  id: string;
  from: string;
  to?: string;
  text: string;
  date?: string;
  linkId?: string;
}

const SEE_LOG = 'the exchange is in GET /api/v1/sms/exchanges';

export async function fetchInboxPage(
  ctx: ServiceContext<AtSettings>,
  apiKey: string,
  lastReceivedId: string,
): Promise<AtInboxMessage[]> {
  const query = new URLSearchParams({ username: ctx.settings.username, lastReceivedId });
  const url = `${apiBaseUrl(ctx.settings, ctx.env[AT_ENV_API_URL])}/version1/messaging?${query.toString()}`;
  let status: number;
  let text: string;
  try {
    const res = await request(url, {
      method: 'GET',
      dispatcher: ctx.http,
      headers: { apiKey, accept: 'application/json' },
      signal: AbortSignal.timeout(ctx.timeoutMs),
      headersTimeout: ctx.timeoutMs,
      bodyTimeout: ctx.timeoutMs,
    });
    status = res.statusCode;
    text = await res.body.text();
  } catch (err) {
    const e = err as { name?: string; code?: string };
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError' || /Timeout/i.test(e.code ?? '');
    throw new InboxSyncError(
      timedOut
        ? `No answer from AT's inbox within ${ctx.timeoutMs} ms`
        : `Could not reach AT's inbox (${e.code ?? e.name ?? 'network error'})`,
    );
  }
  if (status === 401) {
    throw new InboxSyncError(`AT refused the API key or username for the inbox (HTTP 401); ${SEE_LOG}`);
  }
  if (status !== 200) throw new InboxSyncError(`AT's inbox answered HTTP ${status}; ${SEE_LOG}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InboxSyncError(`AT's inbox answered a body that is not JSON; ${SEE_LOG}`);
  }
  const parsed = inboxPage.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`;
    throw new InboxSyncError(`AT's inbox answer is not SMSMessageData.Messages (${where}); ${SEE_LOG}`);
  }
  return parsed.data.SMSMessageData.Messages.map((m) => ({
    id: String(m.id),
    from: String(m.from),
    ...(m.to !== undefined ? { to: String(m.to) } : {}),
    text: m.text,
    ...(m.date !== undefined ? { date: m.date } : {}),
    ...(m.linkId !== undefined && m.linkId !== null && String(m.linkId) !== '' ? { linkId: String(m.linkId) } : {}),
  }));
}

/**
 * The wire side of sending through Africa's Talking: one form POST to /version1/messaging per
 * distinct text, recipients comma-joined (https://developers.africastalking.com/docs/sms/sending/bulk),
 * with a whole-request timeout: the official SDK has none, and AT's sandbox sometimes accepts a
 * request and never answers (cht-core tests/e2e/default/sms/africas-talking.wdio-spec.js probes
 * it with a 20 s timeout for that reason). Recipients are matched back by number, never by
 * position.
 */
import { request } from 'undici';
import { aboutMessages } from '../../exchange-scope.js';
import { failAll, SendError, type OutboundMessage, type SendOutcome, type ServiceContext } from '../../types.js';
import { AT_ENV_API_URL, type AtSettings } from './settings.js';
export type { AtSettings } from './settings.js';
import { sendCodePolicy } from './status-map.js';

export const LIVE_API_URL = 'https://api.africastalking.com';
export const SANDBOX_API_URL = 'https://api.sandbox.africastalking.com';
export const OUTGOING_KEY = 'africastalking.com:outgoing';

export function apiBaseUrl(settings: AtSettings, atApiUrl?: string): string {
  if (atApiUrl) return atApiUrl.replace(/\/+$/, '');
  return settings.username === 'sandbox' ? SANDBOX_API_URL : LIVE_API_URL;
}

/** The exact form body AT (and the official SDK) send. */
export function formBody(settings: AtSettings, to: string[], message: string): string {
  const body = new URLSearchParams({ username: settings.username, to: to.join(','), message });
  if (settings.from) body.set('from', settings.from);
  return body.toString();
}

interface AtRecipient {
  statusCode?: unknown;
  number?: unknown;
  status?: unknown;
  cost?: unknown;
  messageId?: unknown;
  messageParts?: unknown;
}

const digits = (n: string): string => n.replace(/\D/g, '');

function classifyHttp(status: number, text: string): SendError {
  const snippet = text.slice(0, 200).trim();
  if (status === 401)
    return new SendError('account', 'invalid_api_key', `AT rejected the API key or username (HTTP 401): ${snippet}`);
  if (status === 429) return new SendError('retryable', 'http_429', 'AT is throttling requests (HTTP 429)');
  if (status >= 500)
    return new SendError('retryable', `http_${status}`, `AT answered HTTP ${status}${snippet ? `: ${snippet}` : ''}`);
  return new SendError(
    'final',
    `http_${status}`,
    `AT refused the request (HTTP ${status})${snippet ? `: ${snippet}` : ''}`,
  );
}

function hasRecipients(text: string): boolean {
  try {
    const r = (JSON.parse(text) as { SMSMessageData?: { Recipients?: unknown } } | null)?.SMSMessageData?.Recipients;
    return Array.isArray(r) && r.some((x) => typeof x === 'object' && x !== null);
  } catch {
    return false;
  }
}

/**
 * Pairs each message with its recipient entry. First by the same digits; then, for numbers AT
 * echoes in another format than the one stored (a local `0711…` sent, `+254711…` answered), by
 * the last 9 digits when exactly one unclaimed entry has them: an unmatched message is retried,
 * which would send a second SMS to someone AT already accepted.
 */
function matchRecipients(batch: OutboundMessage[], recipients: AtRecipient[]): Array<AtRecipient | undefined> {
  const pool = recipients.map((r) => ({ r, key: typeof r.number === 'string' ? digits(r.number) : '', used: false }));
  const claim = (p: (typeof pool)[number] | undefined): AtRecipient | undefined => {
    if (!p) return undefined;
    p.used = true;
    return p.r;
  };
  const matched = batch.map((m) => claim(pool.find((p) => !p.used && p.key !== '' && p.key === digits(m.to))));
  batch.forEach((m, i) => {
    if (matched[i]) return;
    const tail = digits(m.to).slice(-9);
    if (tail.length < 9) return;
    const hits = pool.filter((p) => !p.used && p.key.endsWith(tail));
    if (hits.length === 1) matched[i] = claim(hits[0]);
  });
  if (batch.length === 1 && recipients.length === 1 && !matched[0]) matched[0] = recipients[0];
  return matched;
}

/** Maps one 2xx body onto the batch; exported for the table-driven spec. */
export function mapResponse(batch: OutboundMessage[], bodyText: string): SendOutcome[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    // Ambiguous: the request may have been accepted. Retrying risks a duplicate, dropping
    // risks a lost message; a health reminder lost is worse, so it is retried (bounded).
    return failAll(
      batch,
      new SendError(
        'retryable',
        'unparseable_response',
        `AT answered with a body that is not JSON: ${bodyText.slice(0, 80)}`,
      ),
    );
  }
  const data = (parsed as { SMSMessageData?: { Message?: unknown; Recipients?: unknown } } | null)?.SMSMessageData;
  // Entries that are not objects are dropped: a malformed answer must not throw (a throw from
  // send() is taken for a configuration error and pauses the whole channel).
  const recipients = Array.isArray(data?.Recipients)
    ? (data.Recipients as unknown[]).filter(
        (r): r is AtRecipient => typeof r === 'object' && r !== null && !Array.isArray(r),
      )
    : [];
  if (recipients.length === 0) {
    const message = typeof data?.Message === 'string' ? data.Message : 'no recipients in the response';
    // Seen in the wild: `{Message: 'InvalidSenderId', Recipients: []}` for an unregistered sender id.
    if (/InvalidSenderId|InsufficientBalance/i.test(message)) {
      return failAll(batch, new SendError('account', message, `AT refused the request: ${message}`));
    }
    return failAll(batch, new SendError('retryable', 'no_recipients', `AT accepted no recipient: ${message}`));
  }
  const matched = matchRecipients(batch, recipients);
  return batch.map((m, i): SendOutcome => {
    const r = matched[i];
    if (!r) {
      return {
        id: m.id,
        ok: false,
        error: new SendError('retryable', 'missing_recipient', `AT's response has no entry for ${m.to}`),
      };
    }
    const code = Number(r.statusCode);
    const policy = sendCodePolicy(code);
    const name = typeof r.status === 'string' && !['Success'].includes(r.status) ? r.status : policy.name;
    switch (policy.kind) {
      case 'accepted': {
        const ref = typeof r.messageId === 'string' && r.messageId !== 'None' ? r.messageId : undefined;
        const parts = Number(r.messageParts);
        return {
          id: m.id,
          ok: true,
          state: policy.state,
          details: policy.name,
          providerCode: String(code),
          ...(ref ? { gatewayRef: ref } : {}),
          ...(typeof r.cost === 'string' && r.cost !== '0' ? { cost: r.cost } : {}),
          ...(Number.isFinite(parts) && parts > 0 ? { parts } : {}),
        };
      }
      case 'final':
        return {
          id: m.id,
          ok: false,
          error: new SendError('final', String(code), name, policy.state),
          ...('recipientOptedOut' in policy ? { recipientOptedOut: true } : {}),
        };
      case 'account':
        return { id: m.id, ok: false, error: new SendError('account', String(code), name) };
      case 'retryable':
        return { id: m.id, ok: false, error: new SendError('retryable', String(code), name) };
    }
  });
}

/** Sends messages sharing one text in one request; `batch` must have distinct recipients. */
export async function sendGroup(
  batch: OutboundMessage[],
  ctx: ServiceContext<AtSettings>,
  apiKey: string,
): Promise<SendOutcome[]> {
  const url = `${apiBaseUrl(ctx.settings, ctx.env[AT_ENV_API_URL])}/version1/messaging`;
  const body = formBody(
    ctx.settings,
    batch.map((m) => m.to),
    batch[0]?.content ?? '',
  );
  let status: number;
  let text: string;
  try {
    // The exchange log lists this request with each message it carries.
    const res = await aboutMessages(
      batch.map((m) => m.id),
      () =>
        request(url, {
          method: 'POST',
          dispatcher: ctx.http,
          headers: {
            apiKey,
            accept: 'application/json',
            'content-type': 'application/x-www-form-urlencoded',
          },
          body,
          signal: AbortSignal.timeout(ctx.timeoutMs),
          headersTimeout: ctx.timeoutMs,
          bodyTimeout: ctx.timeoutMs,
        }),
    );
    status = res.statusCode;
    text = await res.body.text();
  } catch (err) {
    const e = err as { name?: string; code?: string; message?: string };
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError' || /Timeout/i.test(e.code ?? '');
    return failAll(
      batch,
      new SendError(
        'retryable',
        timedOut ? 'timeout' : (e.code ?? 'network_error'),
        timedOut ? `No answer from AT within ${ctx.timeoutMs} ms` : `Could not reach AT: ${e.message ?? String(err)}`,
      ),
    );
  }
  if (status < 200 || status >= 300) {
    // AT answers HTTP 409 with the usual JSON body in Nigeria's promotional window (the
    // DoNotDisturbRejection status in AT's docs): when a non-2xx answer still carries
    // per-recipient results, those decide.
    return hasRecipients(text) ? mapResponse(batch, text) : failAll(batch, classifyHttp(status, text));
  }
  return mapResponse(batch, text);
}

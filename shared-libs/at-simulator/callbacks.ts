/**
 * Posts callbacks. AT's are `application/x-www-form-urlencoded`
 * (https://developers.africastalking.com/docs/sms/notifications); other providers post JSON.
 * Keep-alive agents with a bounded socket pool let thousands of delivery reports go out quickly
 * without opening thousands of connections.
 */
import http from 'node:http';
import https from 'node:https';

const MAX_SOCKETS = 32;
const ATTEMPT_TIMEOUT_MS = 10_000;

export type PostOutcome = { httpStatus: number; body: string } | { error: string };

/** What a callback receiver answered: `httpStatus` 0 and an `error` when it did not answer. */
export interface CallbackResult {
  httpStatus: number;
  body: string;
  error?: string;
}

export const answerOf = (o: PostOutcome): CallbackResult =>
  'httpStatus' in o ? { httpStatus: o.httpStatus, body: o.body } : { httpStatus: 0, body: '', error: o.error };

export class CallbackPoster {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });

  /** A form-encoded POST, as AT sends its callbacks. */
  post(url: string, fields: Record<string, string>, signal: AbortSignal): Promise<PostOutcome> {
    const body = new URLSearchParams(fields).toString();
    return this.send(url, body, { 'content-type': 'application/x-www-form-urlencoded' }, signal);
  }

  /** A JSON POST with extra headers (e.g. `authorization`). */
  postJson(url: string, value: unknown, headers: Record<string, string>, signal: AbortSignal): Promise<PostOutcome> {
    return this.send(url, JSON.stringify(value), { ...headers, 'content-type': 'application/json' }, signal);
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private send(url: string, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<PostOutcome> {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const request = secure ? https.request : http.request;
    return new Promise((resolve) => {
      const req = request(
        target,
        {
          method: 'POST',
          agent: secure ? this.httpsAgent : this.httpAgent,
          signal,
          headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ httpStatus: res.statusCode ?? 0, body: text }));
          res.on('error', (err) => resolve({ error: err.message }));
        },
      );
      req.setTimeout(ATTEMPT_TIMEOUT_MS, () => req.destroy(new Error('timeout')));
      req.on('error', (err) => resolve({ error: err.message }));
      req.end(body);
    });
  }
}

export const isAcknowledged = (o: PostOutcome): boolean =>
  'httpStatus' in o && o.httpStatus >= 200 && o.httpStatus < 300;

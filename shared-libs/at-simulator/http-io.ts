/** Small node:http helpers shared by the simulator's endpoints. */
import type { IncomingMessage, ServerResponse } from 'node:http';

const MAX_BODY_BYTES = 1_000_000;

export class BodyTooLarge extends Error {}

export async function readBody(req: IncomingMessage): Promise<string> {
  // setEncoding decodes with a StringDecoder, so characters split across chunks stay intact.
  req.setEncoding('utf8');
  let text = '';
  let size = 0;
  for await (const chunk of req) {
    const s = String(chunk);
    text += s;
    size += Buffer.byteLength(s);
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge('request body too large');
  }
  return text;
}

export function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

export const sendText = (res: ServerResponse, status: number, body: string): void =>
  send(res, status, 'text/plain; charset=utf-8', body);

export const sendJson = (res: ServerResponse, status: number, value: unknown): void =>
  send(res, status, 'application/json', JSON.stringify(value));

/** Resolves true after `ms`, or false as soon as `signal` aborts (timer cleared). */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Hides the `key` query parameter CHT puts in callback URLs (CONTRACT: keys never logged). */
export function redactUrl(url: string): string {
  return url.replace(/([?&]key=)[^&#]*/gi, '$1***');
}

/** Flattens request headers; the apiKey value (any case) becomes '***'. */
export function maskedHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name] = name === 'apikey' ? '***' : Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

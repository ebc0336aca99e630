/**
 * One request to RapidPro's API v2 (https://rapidpro.io/api/v2/): `Authorization: Token <token>`,
 * JSON, a whole-request timeout, through the core's dispatcher (ctx.http). The token only ever
 * goes to the configured server: paging links are followed by their path and query only.
 */
import { request } from 'undici';
import type { ServiceContext } from '../../types.js';
import type { RapidProSettings } from './settings.js';

export const SERVICE_ID = 'rapidpro';
export const OUTGOING_KEY = 'rapidpro:outgoing';

/** RapidPro's answer: status, body text, and for 429 how long to wait. */
export interface RapidProAnswer {
  status: number;
  text: string;
  retryAfterMs?: number;
}

/** No answer: network error or timeout (`code` says which). */
export class RapidProUnreachable extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RapidProUnreachable';
  }
}

/** Without Retry-After, a throttled client waits this long. */
export const DEFAULT_RETRY_AFTER_MS = 60_000;

/**
 * `Retry-After` in seconds or as an HTTP date; else the seconds in Django REST framework's
 * "Expected available in N seconds." detail; else a minute.
 */
export function retryAfterMs(header: string | undefined, bodyText: string, now: Date): number {
  const value = header?.trim();
  if (value) {
    if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
    const at = Date.parse(value);
    if (Number.isFinite(at)) return Math.max(0, at - now.getTime());
  }
  const m = /available in (\d+(?:\.\d+)?) second/i.exec(bodyText);
  return m ? Math.ceil(Number(m[1]) * 1000) : DEFAULT_RETRY_AFTER_MS;
}

/** `path` (with query) on the configured server; a full URL keeps only its path and query. */
export function apiUrl(settings: Pick<RapidProSettings, 'url'>, pathOrUrl: string): string {
  if (/^https?:\/\//i.test(pathOrUrl)) {
    const u = new URL(pathOrUrl);
    const base = new URL(settings.url);
    // A RapidPro under a path prefix (https://host/rapidpro) keeps it; RapidPro's links include it.
    const path =
      base.pathname !== '/' && u.pathname.startsWith(base.pathname)
        ? u.pathname.slice(base.pathname.length)
        : u.pathname;
    return `${settings.url}${path}${u.search}`;
  }
  return `${settings.url}${pathOrUrl}`;
}

export async function rapidProRequest(
  ctx: ServiceContext<RapidProSettings>,
  token: string,
  method: 'GET' | 'POST',
  pathOrUrl: string,
  body?: unknown,
): Promise<RapidProAnswer> {
  let status: number;
  let text: string;
  let retryAfter: string | undefined;
  try {
    const res = await request(apiUrl(ctx.settings, pathOrUrl), {
      method,
      dispatcher: ctx.http,
      headers: {
        authorization: `Token ${token}`,
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(ctx.timeoutMs),
      headersTimeout: ctx.timeoutMs,
      bodyTimeout: ctx.timeoutMs,
    });
    status = res.statusCode;
    const header = res.headers['retry-after'];
    retryAfter = Array.isArray(header) ? header[0] : header;
    text = await res.body.text();
  } catch (err) {
    const e = err as { name?: string; code?: string; message?: string };
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError' || /Timeout/i.test(e.code ?? '');
    if (timedOut) throw new RapidProUnreachable('timeout', `No answer from RapidPro within ${ctx.timeoutMs} ms`);
    throw new RapidProUnreachable(e.code ?? 'network_error', `Could not reach RapidPro: ${e.message ?? String(err)}`);
  }
  return status === 429 ? { status, text, retryAfterMs: retryAfterMs(retryAfter, text, ctx.now()) } : { status, text };
}

/** A short, single-line excerpt of an answer for error messages. */
export function snippet(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

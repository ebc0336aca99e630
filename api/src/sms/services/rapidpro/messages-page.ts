/**
 * Reading RapidPro's messages endpoint (`GET /api/v2/messages.json`, https://rapidpro.io/api/v2/):
 * a page of `results` (newest first) and the `next` page's link, and matching the messages of a
 * broadcast to the references we keep (refs.ts).
 */
import type { AwaitingStatus } from '../../types.js';
import { normaliseUrn, parseRef } from './refs.js';

export const MESSAGES_PATH = '/api/v2/messages.json';

/** The fields of a RapidPro message the status poll reads. */
export interface RapidProMessage {
  broadcast: string;
  urn: string;
  status: string;
  created_on?: string;
}

export interface MessagesPage {
  next: string | null;
  results: RapidProMessage[];
  /** `created_on` of the page's first and last results (ms), when given. */
  newest?: number;
  oldest?: number;
}

/** A 2xx body as a page; undefined when it is not one. Messages without a broadcast are skipped. */
export function parseMessagesPage(text: string): MessagesPage | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const page = body as { next?: unknown; results?: unknown } | null;
  if (typeof page !== 'object' || page === null || !Array.isArray(page.results)) return undefined;
  const raw = page.results as unknown[];
  const times = raw
    .map((r) => Date.parse(String((r as { created_on?: unknown } | null)?.created_on ?? '')))
    .filter((t) => Number.isFinite(t));
  const results: RapidProMessage[] = [];
  for (const r of raw) {
    const m = r as { broadcast?: unknown; urn?: unknown; status?: unknown; created_on?: unknown } | null;
    if (typeof m !== 'object' || m === null) continue;
    const broadcast =
      typeof m.broadcast === 'number' || typeof m.broadcast === 'string' ? String(m.broadcast) : undefined;
    if (broadcast === undefined || typeof m.status !== 'string') continue;
    results.push({
      broadcast,
      urn: typeof m.urn === 'string' ? m.urn : '',
      status: m.status,
      ...(typeof m.created_on === 'string' ? { created_on: m.created_on } : {}),
    });
  }
  return {
    next: typeof page.next === 'string' && page.next !== '' ? page.next : null,
    results,
    ...(times.length > 0 ? { newest: Math.max(...times), oldest: Math.min(...times) } : {}),
  };
}

const digits = (urn: string): string => urn.replace(/\D/g, '');

/**
 * Pairs awaited messages of one broadcast with RapidPro's messages of it. A bare reference (a
 * one-recipient broadcast) takes the newest message, as CHT does; `<id>:<urn>` takes the message
 * of that URN, else the one message whose number ends in the same 9 digits (RapidPro may report a
 * number in another form than the one sent).
 */
export function matchBroadcast(
  awaited: readonly AwaitingStatus[],
  results: readonly RapidProMessage[],
): Array<{ entry: AwaitingStatus; message: RapidProMessage }> {
  const pairs: Array<{ entry: AwaitingStatus; message: RapidProMessage }> = [];
  const used = new Set<RapidProMessage>();
  const pending: Array<{ entry: AwaitingStatus; urn: string }> = [];
  for (const entry of awaited) {
    const urn = parseRef(entry.gatewayRef)?.urn;
    if (urn === undefined) {
      const newest = results[0];
      if (newest) pairs.push({ entry, message: newest });
      continue;
    }
    const exact = results.find((m) => !used.has(m) && normaliseUrn(m.urn) === urn);
    if (exact) {
      used.add(exact);
      pairs.push({ entry, message: exact });
    } else {
      pending.push({ entry, urn });
    }
  }
  for (const { entry, urn } of pending) {
    const tail = digits(urn).slice(-9);
    if (tail.length < 9) continue;
    const hits = results.filter((m) => !used.has(m) && digits(m.urn).endsWith(tail));
    if (hits.length === 1 && hits[0]) {
      used.add(hits[0]);
      pairs.push({ entry, message: hits[0] });
    }
  }
  return pairs;
}

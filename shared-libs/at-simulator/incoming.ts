/**
 * Incoming (mobile-originated) message notifications (https://developers.africastalking.com/docs/sms/notifications),
 * posted form-encoded to `incomingUrl`. `copies` re-posts the same id, as AT does when it saw no
 * acknowledgement (https://github.com/AfricasTalkingLtd/africastalking-node.js/issues/8),
 * so receivers can be tested for idempotency, also under concurrent retries.
 */
import { randomUUID } from 'node:crypto';
import type { CallbackPoster } from './callbacks.js';
import { SANDBOX_NETWORK_CODE } from './reports.js';
import type { SimulatorState } from './state.js';
import type { IncomingMessage, IncomingResult } from './types.js';

/** AT's documented default shortcode, used when the test does not name a `to`. */
const DEFAULT_TO = '20414';
const MAX_COPIES = 1000;

export class IncomingError extends Error {}

/** AT's callback date format, `2017-05-03T06:04:45Z`: ISO without milliseconds. */
const atDate = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

const optionalString = (v: unknown, field: string): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new IncomingError(`'${field}' must be a string`);
  return v;
};

/** Validates an untrusted message (a POST /simulator/incoming body or a typed call). */
export function parseIncoming(input: unknown): IncomingMessage {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new IncomingError('incoming message must be a JSON object');
  const o = input as Record<string, unknown>;
  const from = optionalString(o.from, 'from');
  const text = optionalString(o.text, 'text');
  if (!from) throw new IncomingError("'from' is required");
  if (text === undefined) throw new IncomingError("'text' is required");
  const copies = o.copies ?? 1;
  if (typeof copies !== 'number' || !Number.isInteger(copies) || copies < 1 || copies > MAX_COPIES)
    throw new IncomingError(`'copies' must be an integer 1..${MAX_COPIES}`);
  if (o.concurrent !== undefined && typeof o.concurrent !== 'boolean')
    throw new IncomingError("'concurrent' must be true or false");
  return {
    from,
    text,
    to: optionalString(o.to, 'to'),
    id: optionalString(o.id, 'id'),
    linkId: optionalString(o.linkId, 'linkId'),
    date: optionalString(o.date, 'date'),
    networkCode: optionalString(o.networkCode, 'networkCode'),
    copies,
    concurrent: o.concurrent === true,
  };
}

export async function injectIncoming(
  state: SimulatorState,
  poster: CallbackPoster,
  input: IncomingMessage,
  log: (line: string) => void,
): Promise<IncomingResult[]> {
  const msg = parseIncoming(input);
  const url = state.cfg.incomingUrl;
  if (!url) throw new IncomingError('incomingUrl is not configured');
  const fields: Record<string, string> = {
    from: msg.from,
    to: msg.to ?? DEFAULT_TO,
    text: msg.text,
    date: msg.date ?? atDate(new Date()),
    id: msg.id ?? randomUUID(),
    networkCode: msg.networkCode ?? SANDBOX_NETWORK_CODE,
  };
  if (msg.linkId !== undefined) fields.linkId = msg.linkId;
  const signal = state.lifetimeSignal;

  const postCopy = async (copy: number): Promise<IncomingResult> => {
    const outcome = await poster.post(url, fields, signal);
    const result: IncomingResult =
      'httpStatus' in outcome
        ? { id: fields.id, httpStatus: outcome.httpStatus, body: outcome.body }
        : { id: fields.id, httpStatus: 0, body: '', error: outcome.error };
    state.incomingLog.push({
      at: Date.now(),
      id: fields.id,
      from: fields.from,
      to: fields.to,
      text: fields.text,
      date: fields.date,
      ...(fields.linkId !== undefined ? { linkId: fields.linkId } : {}),
      networkCode: fields.networkCode,
      copy,
      httpStatus: result.httpStatus,
      body: result.body,
      ...(result.error ? { error: result.error } : {}),
    });
    log(`MO ${fields.id} copy ${copy} -> ${result.error ?? result.httpStatus}`);
    return result;
  };

  const copies = Array.from({ length: msg.copies ?? 1 }, (_, i) => i + 1);
  if (msg.concurrent) return Promise.all(copies.map(postCopy));
  const results: IncomingResult[] = [];
  for (const c of copies) results.push(await postCopy(c));
  return results;
}

/**
 * Incoming (mobile-originated) message notifications
 * (https://developers.africastalking.com/docs/sms/notifications), posted form-encoded to `incomingUrl`. `copies` re-posts the same id, as AT does when it saw no
 * acknowledgement (https://github.com/AfricasTalkingLtd/africastalking-node.js/issues/8),
 * so receivers can be tested for idempotency, also under concurrent retries.
 */
import { randomUUID } from 'node:crypto';
import { answerOf, type CallbackPoster } from './callbacks.js';
import { InputError, optionalString, requestObject } from './checks.js';
import { parseCopies, postCopies } from './copies.js';
import { SANDBOX_NETWORK_CODE } from './reports.js';
import type { SimulatorState } from './state.js';
import type { IncomingMessage, IncomingResult } from './types.js';

/** AT's documented default shortcode, used when the test does not name a `to`. */
const DEFAULT_TO = '20414';

/** AT's callback date format, `2017-05-03T06:04:45Z`: ISO without milliseconds. */
const atDate = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Validates an untrusted message (a POST /simulator/incoming body or a typed call). */
export function parseIncoming(input: unknown): IncomingMessage {
  const o = requestObject(input, 'incoming message');
  const from = optionalString(o.from, 'from');
  const text = optionalString(o.text, 'text');
  if (!from) throw new InputError("'from' is required");
  if (text === undefined) throw new InputError("'text' is required");
  const { copies, concurrent } = parseCopies(o);
  return {
    from,
    text,
    to: optionalString(o.to, 'to'),
    id: optionalString(o.id, 'id'),
    linkId: optionalString(o.linkId, 'linkId'),
    date: optionalString(o.date, 'date'),
    networkCode: optionalString(o.networkCode, 'networkCode'),
    copies,
    concurrent,
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
  if (!url) throw new InputError('incomingUrl is not configured');
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
    const result: IncomingResult = { id: fields.id, ...answerOf(await poster.post(url, fields, signal)) };
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

  return postCopies({ copies: msg.copies ?? 1, concurrent: msg.concurrent === true }, postCopy);
}

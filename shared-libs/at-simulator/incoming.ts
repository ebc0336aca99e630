/**
 * Incoming (mobile-originated) messages: each goes into the inbox (read back through the fetch
 * API) and is posted form-encoded to `incomingUrl`
 * (https://developers.africastalking.com/docs/sms/notifications) unless `incomingCallbacks` is
 * 'fail'. `copies` re-posts the same id, as AT does when it saw no acknowledgement
 * (https://github.com/AfricasTalkingLtd/africastalking-node.js/issues/8), so receivers can be
 * tested for idempotency, also under concurrent retries.
 */
import { randomUUID } from 'node:crypto';
import { answerOf, type CallbackResult, type CallbackPoster } from './callbacks.js';
import { InputError, optionalString, requestObject, requiredString } from './checks.js';
import { parseCopies, postCopies } from './copies.js';
import { DEFAULT_TO } from './inbox.js';
import type { IncomingMessage, IncomingResult } from './record-types.js';
import { SANDBOX_NETWORK_CODE } from './reports.js';
import type { SimulatorState } from './state.js';

/** AT's callback date format, `2017-05-03T06:04:45Z`: ISO without milliseconds. */
const callbackDate = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

const NOT_DELIVERED: CallbackResult = { httpStatus: 0, body: '', error: 'not delivered: incomingCallbacks is "fail"' };

/** Validates an untrusted message (a POST /simulator/incoming body or a typed call). */
export function parseIncoming(input: unknown): IncomingMessage {
  const o = requestObject(input, 'incoming message');
  const { copies, concurrent } = parseCopies(o);
  return {
    from: requiredString(o, 'from'),
    text: requiredString(o, 'text', true),
    to: optionalString(o.to, 'to'),
    id: optionalString(o.id, 'id'),
    linkId: optionalString(o.linkId, 'linkId'),
    date: optionalString(o.date, 'date'),
    networkCode: optionalString(o.networkCode, 'networkCode'),
    copies,
    concurrent,
  };
}

export interface IncomingContext {
  state: SimulatorState;
  poster: CallbackPoster;
  log: (line: string) => void;
}

export async function injectIncoming(input: IncomingMessage, ctx: IncomingContext): Promise<IncomingResult[]> {
  const { state, poster, log } = ctx;
  const msg = parseIncoming(input);
  const { incomingUrl: url, incomingCallbacks, incomingCallbackIds } = state.cfg;
  const deliver = incomingCallbacks === 'deliver';
  if (deliver && !url) {
    throw new InputError('incomingUrl is not configured (incomingCallbacks "fail" fills only the inbox)');
  }

  const now = new Date();
  const to = msg.to ?? DEFAULT_TO;
  const date = msg.date ?? now.toISOString();
  const stored = state.inbox.add({ linkId: msg.linkId ?? '', text: msg.text, to, date, from: msg.from });
  const fields: Record<string, string> = {
    from: msg.from,
    to,
    text: msg.text,
    date: msg.date ?? callbackDate(now),
    id: msg.id ?? (incomingCallbackIds === 'uuid' ? randomUUID() : String(stored.id)),
    networkCode: msg.networkCode ?? SANDBOX_NETWORK_CODE,
  };
  if (msg.linkId !== undefined) fields.linkId = msg.linkId;
  const signal = state.lifetimeSignal;

  const postCopy = async (copy: number): Promise<IncomingResult> => {
    const answer = deliver && url ? answerOf(await poster.post(url, fields, signal)) : NOT_DELIVERED;
    const result: IncomingResult = { id: fields.id, inboxId: stored.id, ...answer };
    state.incomingLog.push({
      at: Date.now(),
      id: fields.id,
      inboxId: stored.id,
      from: fields.from,
      to: fields.to,
      text: fields.text,
      date: fields.date,
      ...(fields.linkId !== undefined ? { linkId: fields.linkId } : {}),
      networkCode: fields.networkCode,
      copy,
      ...answer,
    });
    log(`MO ${fields.id} (inbox ${stored.id}) copy ${copy} -> ${answer.error ?? answer.httpStatus}`);
    return result;
  };

  return postCopies({ copies: msg.copies ?? 1, concurrent: msg.concurrent === true }, postCopy);
}

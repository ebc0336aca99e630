/**
 * Incoming messages as CHT's documented RapidPro flow relays them: a webhook POSTing JSON
 * `{"id", "from", "content"}` with `Authorization: Token <key>` to CHT
 * (https://docs.communityhealthtoolkit.org/building/messaging/gateways/rapidpro/). `copies`
 * re-posts the same id, as a flow retrying its webhook would.
 */
import { randomUUID } from 'node:crypto';
import { answerOf, type CallbackPoster } from '../at-simulator/callbacks.js';
import { InputError, optionalString, requestObject, requiredString } from '../at-simulator/checks.js';
import { parseCopies, postCopies } from '../at-simulator/copies.js';
import type { RapidProState } from './state.js';
import type { IncomingMessage, IncomingResult } from './types.js';

export function parseIncoming(input: unknown): IncomingMessage {
  const o = requestObject(input, 'incoming message');
  const id = optionalString(o.id, 'id');
  return { from: requiredString(o, 'from'), text: requiredString(o, 'text', true), id, ...parseCopies(o) };
}

/** Posts the message (each copy) to `incomingUrl`; the answers in copy order. */
export async function injectIncoming(
  input: IncomingMessage,
  { state, poster, log }: { state: RapidProState; poster: CallbackPoster; log: (line: string) => void },
): Promise<IncomingResult[]> {
  const msg = parseIncoming(input);
  const { incomingUrl: url, incomingToken } = state.cfg;
  if (!url) throw new InputError('incomingUrl is not configured');
  const payload = { id: msg.id ?? randomUUID(), from: msg.from, content: msg.text };
  const headers: Record<string, string> = incomingToken ? { authorization: `Token ${incomingToken}` } : {};

  const postCopy = async (copy: number): Promise<IncomingResult> => {
    const answer = answerOf(await poster.postJson(url, payload, headers, state.lifetimeSignal));
    state.incomingLog.push({ at: Date.now(), ...payload, copy, ...answer });
    log(`incoming ${payload.id} copy ${copy} -> ${answer.error ?? answer.httpStatus}`);
    return { id: payload.id, ...answer };
  };
  return postCopies({ copies: msg.copies ?? 1, concurrent: msg.concurrent === true }, postCopy);
}

/**
 * Bulk SMS opt-outs: AT posts `senderId` and `phoneNumber` form-encoded to the application's
 * opt-out callback (https://developers.africastalking.com/docs/sms/notifications), and from then
 * on refuses sends from that sender to that number with 406 `UserInBlacklist`
 * (https://github.com/AfricasTalkingLtd/africastalking-node.js/issues/160).
 */
import { answerOf, type CallbackResult, type CallbackPoster } from './callbacks.js';
import { optionalString, requestObject, requiredString } from './checks.js';
import type { OptOutRequest } from './record-types.js';
import type { SimulatorState } from './state.js';

export function parseOptOut(input: unknown): OptOutRequest {
  const o = requestObject(input, 'opt-out');
  const phoneNumber = requiredString(o, 'phoneNumber');
  const senderId = optionalString(o.senderId, 'senderId');
  return senderId ? { phoneNumber, senderId } : { phoneNumber };
}

/** Records the opt-out (sends are refused from now on) and posts it when `optOutUrl` is set. */
export async function postOptOut(
  state: SimulatorState,
  poster: CallbackPoster,
  input: OptOutRequest,
  log: (line: string) => void,
): Promise<CallbackResult> {
  const { phoneNumber, senderId } = parseOptOut(input);
  state.optOuts.add(senderId, phoneNumber);
  const url = state.cfg.optOutUrl;
  const fields: Record<string, string> = senderId ? { senderId, phoneNumber } : { phoneNumber };
  const answer: CallbackResult = url
    ? answerOf(await poster.post(url, fields, state.lifetimeSignal))
    : { httpStatus: 0, body: '', error: 'optOutUrl is not configured' };
  state.optOutLog.push({ at: Date.now(), phoneNumber, ...(senderId ? { senderId } : {}), ...answer });
  log(`opt-out ${senderId ?? '(all senders)'} -> ${answer.error ?? answer.httpStatus}`);
  return answer;
}

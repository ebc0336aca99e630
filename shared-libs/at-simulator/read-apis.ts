/**
 * AT's GET APIs: the inbox fetch (`GET /version1/messaging`,
 * https://developers.africastalking.com/docs/sms/fetch_messages). Username in the query, key
 * in the `apiKey` header; errors in plain text like the send endpoint's.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AUTH_ERROR, authorized } from './auth.js';
import { reasonPhrase, takeFailNext } from './faults.js';
import { maskedHeaders, sendJson, sendText } from './http-io.js';
import type { SimulatorState } from './state.js';

export const INBOX_PATH = '/version1/messaging';

type Answer = { status: number; text: string } | { status: number; json: unknown; returned?: number };

/** Answers a GET to one of AT's read APIs; false when `path` is none of them. */
export function handleReadApi(req: IncomingMessage, res: ServerResponse, path: string, state: SimulatorState): boolean {
  if (req.method !== 'GET' || path !== INBOX_PATH) return false;
  const query = new URL(req.url ?? '/', 'http://simulator').searchParams;
  const answer = answerRead(req, query, state);
  state.fetchLog.push({
    at: Date.now(),
    path,
    query: Object.fromEntries(query),
    headers: maskedHeaders(req),
    httpStatus: answer.status,
    ...('returned' in answer && answer.returned !== undefined ? { returned: answer.returned } : {}),
  });
  if ('text' in answer) sendText(res, answer.status, answer.text);
  else sendJson(res, answer.status, answer.json);
  return true;
}

function answerRead(req: IncomingMessage, query: URLSearchParams, state: SimulatorState): Answer {
  const failure = takeFailNext(state.cfg.fetchFailNext);
  if (failure) {
    state.cfg = { ...state.cfg, fetchFailNext: failure.left };
    return { status: failure.status, text: failure.status === 401 ? AUTH_ERROR : reasonPhrase(failure.status) };
  }
  const username = query.get('username');
  if (!username) return { status: 400, text: "Request is missing required query parameter 'username'" };
  if (!authorized(state.cfg.accounts, username, req)) return { status: 401, text: AUTH_ERROR };
  return inboxPage(query, state);
}

/** Messages after `lastReceivedId` (absent or 0: from the start), oldest first, one page. */
function inboxPage(query: URLSearchParams, state: SimulatorState): Answer {
  const raw = query.get('lastReceivedId') ?? '';
  if (raw !== '' && !/^\d{1,15}$/.test(raw)) {
    return { status: 400, text: `The query parameter 'lastReceivedId' was malformed: '${raw}' is not a number` };
  }
  const messages = state.inbox.after(raw === '' ? 0 : Number(raw), state.cfg.inboxPageSize);
  return { status: 200, json: { SMSMessageData: { Messages: messages } }, returned: messages.length };
}

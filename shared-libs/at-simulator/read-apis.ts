/**
 * AT's GET APIs: the inbox fetch (`GET /version1/messaging`,
 * https://developers.africastalking.com/docs/sms/fetch_messages) and the application balance
 * (`GET /version1/user`, https://developers.africastalking.com/docs/application). Username in the
 * query, key in the `apiKey` header; errors in plain text like the send endpoint's.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AUTH_ERROR, authorized } from './auth.js';
import { reasonPhrase, takeFailNext } from './faults.js';
import { maskedHeaders, sendJson, sendText } from './http-io.js';
import type { SimulatorState } from './state.js';

export const INBOX_PATH = '/version1/messaging';
export const USER_PATH = '/version1/user';

/** What the balance API reports when no balance is configured (unlimited credit). */
export const UNLIMITED_BALANCE = 1_000_000;

type Answer = { status: number; text: string } | { status: number; json: unknown; returned?: number };

/** Answers a GET to one of AT's read APIs; false when `path` is none of them. */
export function handleReadApi(req: IncomingMessage, res: ServerResponse, path: string, state: SimulatorState): boolean {
  if (req.method !== 'GET' || (path !== INBOX_PATH && path !== USER_PATH)) return false;
  const query = new URL(req.url ?? '/', 'http://simulator').searchParams;
  const answer = answerRead(req, path, query, state);
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

function answerRead(req: IncomingMessage, path: string, query: URLSearchParams, state: SimulatorState): Answer {
  const failure = takeFailNext(state.cfg.fetchFailNext);
  if (failure) {
    state.cfg = { ...state.cfg, fetchFailNext: failure.left };
    return { status: failure.status, text: failure.status === 401 ? AUTH_ERROR : reasonPhrase(failure.status) };
  }
  const username = query.get('username');
  if (!username) return { status: 400, text: "Request is missing required query parameter 'username'" };
  if (!authorized(state.cfg.accounts, username, req)) return { status: 401, text: AUTH_ERROR };
  if (path === USER_PATH) {
    const { balance, currency } = state.cfg;
    return { status: 200, json: { UserData: { balance: formatBalance(currency, balance ?? UNLIMITED_BALANCE) } } };
  }
  return inboxPage(query, state);
}

/**
 * `<currency> <amount>` as AT documents it (`KES 1785.50`): at least two decimals, and up to the
 * four that per-part costs can leave behind.
 */
export function formatBalance(currency: string, amount: number): string {
  return `${currency} ${amount.toFixed(4).replace(/0{1,2}$/, '')}`;
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

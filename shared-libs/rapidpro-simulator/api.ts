/**
 * RapidPro's API v2 endpoints CHT uses (https://rapidpro.io/api/v2/): `POST/GET broadcasts.json`
 * and `GET messages.json`. Order as a request meets them in RapidPro: the network (latency,
 * `failNext`), token authentication (403 `{"detail"}`), throttling (429 with `Retry-After`), then
 * the endpoint.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { takeFailNext } from '../at-simulator/faults.js';
import { send, sendJson, sleep } from '../at-simulator/http-io.js';
import { parseBroadcast } from './broadcast-input.js';
import { createdWithin, InvalidCursor, pageOf } from './pages.js';
import type { RapidProState } from './state.js';
import type { RequestRecord } from './types.js';

const ROUTES = new Map([
  ['/api/v2/broadcasts', ['GET', 'POST']],
  ['/api/v2/messages', ['GET']],
]);

type Answer = { status: number; json: unknown; headers?: Record<string, string> } | { status: 500 };

/** Answers a request to the API; false when `path` is not one of its endpoints. */
export async function handleApi(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  body: string,
  state: RapidProState,
): Promise<boolean> {
  const endpoint = path.replace(/\.json$/, '');
  const methods = ROUTES.get(endpoint);
  if (!methods) return false;
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  const record: RequestRecord = {
    at: Date.now(),
    method,
    url: `${url.pathname}${url.search}`,
    auth: 'none',
    httpStatus: 0,
  };

  if (state.cfg.latencyMs > 0 && !(await sleep(state.cfg.latencyMs, state.lifetimeSignal))) {
    res.destroy();
    return true;
  }
  const answer = methods.includes(method)
    ? answerApi(req, method, endpoint, url, body, state, record)
    : { status: 405, json: { detail: `Method "${method}" not allowed.` } };
  record.httpStatus = answer.status;
  state.requestLog.push(record);
  if (!('json' in answer)) send(res, 500, 'text/html', '<h1>Server Error (500)</h1>');
  else {
    for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
    sendJson(res, answer.status, answer.json);
  }
  return true;
}

function answerApi(
  req: IncomingMessage,
  method: string,
  endpoint: string,
  url: URL,
  body: string,
  state: RapidProState,
  record: RequestRecord,
): Answer {
  const failure = takeFailNext(state.cfg.failNext);
  if (failure) {
    state.cfg = { ...state.cfg, failNext: failure.left };
    return failureAnswer(failure.status, state);
  }
  const auth = req.headers.authorization;
  if (!auth) return { status: 403, json: { detail: 'Authentication credentials were not provided.' } };
  const token = /^Token\s+(\S+)$/i.exec(auth)?.[1];
  record.auth = token !== undefined && state.cfg.tokens.includes(token) ? 'valid' : 'invalid';
  if (record.auth === 'invalid') return { status: 403, json: { detail: 'Invalid token' } };
  if (state.cfg.rate429 > 0 && state.random() < state.cfg.rate429) return failureAnswer(429, state);

  if (method === 'POST') return createBroadcast(body, state, record);
  const query = url.searchParams;
  try {
    return endpoint === '/api/v2/messages' ? listMessages(query, url, state) : listBroadcasts(query, url, state);
  } catch (err) {
    if (err instanceof InvalidCursor) return { status: 404, json: { detail: 'Invalid cursor' } };
    throw err;
  }
}

/** 429 as Django REST framework throttles; 500 as Django's error page; others `{detail}`. */
function failureAnswer(status: number, state: RapidProState): Answer {
  if (status === 500) return { status };
  if (status !== 429) return { status, json: { detail: `Simulated failure (${status})` } };
  const wait = state.cfg.retryAfterSeconds;
  return {
    status,
    json: { detail: `Request was throttled. Expected available in ${wait} second${wait === 1 ? '' : 's'}.` },
    headers: { 'retry-after': String(wait) },
  };
}

function createBroadcast(body: string, state: RapidProState, record: RequestRecord): Answer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body) as unknown;
  } catch (err) {
    return { status: 400, json: { detail: `JSON parse error - ${err instanceof Error ? err.message : 'invalid'}` } };
  }
  record.body = parsed;
  const input = parseBroadcast(parsed);
  if ('errors' in input) return { status: 400, json: input.errors };
  return { status: 201, json: state.store.create(input.urns, input.text, Date.now()) };
}

/** `id` and `broadcast` filters must be integers (RapidPro: "Value for id must be an integer"). */
function intParam(query: URLSearchParams, name: string): number | undefined | Answer {
  const raw = query.get(name);
  if (!raw) return undefined;
  return /^\d+$/.test(raw) ? Number(raw) : { status: 400, json: { detail: `Value for ${name} must be an integer` } };
}

function listMessages(query: URLSearchParams, url: URL, state: RapidProState): Answer {
  const id = intParam(query, 'id');
  const broadcast = intParam(query, 'broadcast');
  if (typeof id === 'object') return id;
  if (typeof broadcast === 'object') return broadcast;
  const messages = state.store
    .messages(Date.now(), state.cfg.stepDelayMs)
    .filter((m) => (id === undefined || m.id === id) && (broadcast === undefined || m.broadcast === broadcast))
    .filter((m) => createdWithin(m.created_on, query));
  return { status: 200, json: pageOf(messages, query, state.cfg.pageSize, url) };
}

function listBroadcasts(query: URLSearchParams, url: URL, state: RapidProState): Answer {
  const id = intParam(query, 'id');
  if (typeof id === 'object') return id;
  const broadcasts = state.store
    .views(Date.now(), state.cfg.stepDelayMs)
    .map(({ messages: _messages, ...b }) => b)
    .filter((b) => (id === undefined || b.id === id) && createdWithin(b.created_on, query));
  return { status: 200, json: pageOf(broadcasts, query, state.cfg.pageSize, url) };
}

/**
 * Routing of the JSON control endpoints under `/simulator/` that every simulator here offers:
 * a table of `METHOD /path` → handler, JSON in and out, bad input → 400 `{ error }`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InputError } from './checks.js';
import { sendJson } from './http-io.js';

/** Gets the parsed JSON body (`{}` when empty) and the query; its result is answered as JSON 200. */
export type ControlHandler = (body: unknown, query: URLSearchParams) => unknown;

export type ControlRoutes = Record<string, ControlHandler>;

function parseJson(body: string): unknown {
  if (body.trim() === '') return {};
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new InputError('body must be valid JSON');
  }
}

/** Returns false when the path is not under `/simulator/`. */
export async function handleControlRoutes(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  body: string,
  routes: ControlRoutes,
): Promise<boolean> {
  if (!path.startsWith('/simulator/')) return false;
  const route = `${req.method ?? 'GET'} ${path}`;
  const handler = Object.hasOwn(routes, route) ? routes[route] : undefined;
  if (!handler) {
    sendJson(res, 404, { error: `no control endpoint ${route}` });
    return true;
  }
  try {
    const query = new URL(req.url ?? '/', 'http://simulator').searchParams;
    sendJson(res, 200, await handler(parseJson(body), query));
  } catch (err) {
    if (err instanceof InputError) sendJson(res, 400, { error: err.message });
    else sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
  }
  return true;
}

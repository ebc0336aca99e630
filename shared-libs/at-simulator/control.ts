/**
 * JSON control endpoints under `/simulator/` for tests, the demo and humans. Config answers
 * never carry api keys (masked), and bad input answers 400 `{ error }` naming the field.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigError } from './config.js';
import { sendJson } from './http-io.js';
import { IncomingError } from './incoming.js';
import type { Simulator } from './types.js';

export const CONTROL_USAGE = [
  'GET  /simulator/health     -> { ok: true }',
  'GET  /simulator/config     -> current config (api keys masked)',
  'PUT  /simulator/config     <- JSON patch, e.g. {"failRate":0.2,"reports":{"duplicate":true}}',
  'GET  /simulator/messages   -> sends received',
  'GET  /simulator/reports    -> delivery reports posted, with the answers',
  'GET  /simulator/incoming   -> incoming messages posted, with the answers',
  'POST /simulator/incoming   <- {"from":"+254700000001","text":"hello","copies":2}',
  'GET  /simulator/idle       -> answers once no delivery report is pending',
  'POST /simulator/reset      -> clears records and fault state',
];

function parseJson(body: string): unknown {
  if (body.trim() === '') return {};
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new ConfigError('body must be valid JSON');
  }
}

/** Returns false when the path is not a control endpoint. */
export async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  body: string,
  sim: Simulator,
): Promise<boolean> {
  const route = `${req.method ?? 'GET'} ${path}`;
  try {
    switch (route) {
      case 'GET /simulator/health':
        sendJson(res, 200, { ok: true });
        return true;
      case 'GET /simulator/config':
        sendJson(res, 200, sim.config());
        return true;
      case 'PUT /simulator/config':
      case 'PATCH /simulator/config':
        sendJson(res, 200, sim.configure(parseJson(body) as Parameters<Simulator['configure']>[0]));
        return true;
      case 'GET /simulator/messages':
        sendJson(res, 200, sim.sent());
        return true;
      case 'GET /simulator/reports':
        sendJson(res, 200, sim.reports());
        return true;
      case 'GET /simulator/incoming':
        sendJson(res, 200, sim.incoming());
        return true;
      case 'POST /simulator/incoming':
        sendJson(res, 200, await sim.injectIncoming(parseJson(body) as Parameters<Simulator['injectIncoming']>[0]));
        return true;
      case 'GET /simulator/idle':
        await sim.idle();
        sendJson(res, 200, { ok: true });
        return true;
      case 'POST /simulator/reset':
        sim.reset();
        sendJson(res, 200, { ok: true });
        return true;
      default:
        if (!path.startsWith('/simulator/')) return false;
        sendJson(res, 404, { error: `no control endpoint ${route}` });
        return true;
    }
  } catch (err) {
    if (err instanceof ConfigError || err instanceof IncomingError) sendJson(res, 400, { error: err.message });
    else sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
    return true;
  }
}

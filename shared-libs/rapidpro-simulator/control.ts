/**
 * The RapidPro simulator's JSON control endpoints under `/simulator/`, for tests and humans.
 * Config answers never carry tokens (masked); bad input answers 400 `{ error }`.
 */
import { InputError, isObject } from '../at-simulator/checks.js';
import type { ControlRoutes } from '../at-simulator/control-routes.js';
import type { AdvanceRequest, IncomingMessage, RapidProConfigPatch, RapidProControls } from './types.js';

export const CONTROL_USAGE = [
  'GET  /simulator/health     -> { ok: true }',
  'GET  /simulator/config     -> current config (tokens masked)',
  'PUT  /simulator/config     <- JSON patch, e.g. {"stepDelayMs":null,"failNext":{"status":429,"count":1}}',
  'GET  /simulator/broadcasts -> broadcasts received, with their messages as they are now',
  'GET  /simulator/requests   -> API requests received and the statuses answered',
  'GET  /simulator/incoming   -> incoming messages posted, with the answers',
  'POST /simulator/incoming   <- {"from":"+254700000001","text":"hello","copies":2}',
  'POST /simulator/advance    <- {"broadcast":123,"steps":1}: moves message statuses on now',
  'POST /simulator/reset      -> clears broadcasts and records, restores fault settings',
];

/** Validates an untrusted advance request (a POST body or a typed call). */
export function parseAdvance(input: unknown): AdvanceRequest {
  if (!isObject(input)) throw new InputError('advance request must be a JSON object');
  const { broadcast, steps } = input;
  if (broadcast !== undefined && !(typeof broadcast === 'number' && Number.isSafeInteger(broadcast)))
    throw new InputError("'broadcast' must be an integer");
  if (steps !== undefined && !(typeof steps === 'number' && Number.isInteger(steps) && steps >= 1))
    throw new InputError("'steps' must be an integer >= 1");
  return { ...(broadcast !== undefined ? { broadcast } : {}), ...(steps !== undefined ? { steps } : {}) };
}

export function controlRoutes(sim: RapidProControls): ControlRoutes {
  const configure = (body: unknown): unknown => sim.configure(body as RapidProConfigPatch);
  return {
    'GET /simulator/health': () => ({ ok: true }),
    'GET /simulator/config': () => sim.config(),
    'PUT /simulator/config': configure,
    'PATCH /simulator/config': configure,
    'GET /simulator/broadcasts': () => sim.broadcasts(),
    'GET /simulator/requests': () => sim.requests(),
    'GET /simulator/incoming': () => sim.incoming(),
    'POST /simulator/incoming': (body) => sim.injectIncoming(body as IncomingMessage),
    'POST /simulator/advance': (body) => sim.advance(body as AdvanceRequest),
    'POST /simulator/reset': () => {
      sim.reset();
      return { ok: true };
    },
  };
}

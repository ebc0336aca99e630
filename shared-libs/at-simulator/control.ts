/**
 * The AT simulator's JSON control endpoints under `/simulator/`, for tests, the demo and humans.
 * Config answers never carry api keys (masked); bad input answers 400 `{ error }` naming the field.
 */
import type { ControlRoutes } from './control-routes.js';
import type { InboxSeed, IncomingMessage, OptOutRequest, SimulatorConfigPatch, SimulatorControls } from './types.js';

export const CONTROL_USAGE = [
  'GET  /simulator/health     -> { ok: true }',
  'GET  /simulator/config     -> current config (api keys masked)',
  'PUT  /simulator/config     <- JSON patch, e.g. {"failRate":0.2,"reports":{"duplicate":true}}',
  'GET  /simulator/messages   -> sends received',
  'GET  /simulator/reports    -> delivery reports posted, with the answers',
  'GET  /simulator/incoming   -> incoming messages posted, with the answers',
  'POST /simulator/incoming   <- {"from":"+254700000001","text":"hello","copies":2}',
  'GET  /simulator/inbox      -> every message the inbox fetch API can return',
  'POST /simulator/inbox      <- {"count":50} or {"messages":[{"from","text"}]}: old messages, no callbacks',
  'GET  /simulator/fetches    -> GETs to the inbox fetch and balance APIs, with the answers',
  'PUT  /simulator/config     <- {"balance":500} tops the balance up (null = unlimited)',
  'POST /simulator/opt-outs   <- {"phoneNumber":"+254700000001","senderId":"CHT"}: posts to optOutUrl',
  'GET  /simulator/opt-outs   -> opt-outs recorded, with the answers',
  'GET  /simulator/idle       -> answers once no delivery report is pending',
  'POST /simulator/reset      -> clears records and fault state',
];

/** The bodies are validated by the simulator methods they are handed to. */
export function controlRoutes(sim: SimulatorControls): ControlRoutes {
  const configure = (body: unknown): unknown => sim.configure(body as SimulatorConfigPatch);
  return {
    'GET /simulator/health': () => ({ ok: true }),
    'GET /simulator/config': () => sim.config(),
    'PUT /simulator/config': configure,
    'PATCH /simulator/config': configure,
    'GET /simulator/messages': () => sim.sent(),
    'GET /simulator/reports': () => sim.reports(),
    'GET /simulator/incoming': () => sim.incoming(),
    'POST /simulator/incoming': (body) => sim.injectIncoming(body as IncomingMessage),
    'GET /simulator/inbox': () => sim.inbox(),
    'POST /simulator/inbox': (body) => sim.seedInbox(body as InboxSeed),
    'GET /simulator/fetches': () => sim.fetches(),
    'POST /simulator/opt-outs': (body) => sim.optOut(body as OptOutRequest),
    'GET /simulator/opt-outs': () => sim.optOuts(),
    'GET /simulator/idle': async () => {
      await sim.idle();
      return { ok: true };
    },
    'POST /simulator/reset': () => {
      sim.reset();
      return { ok: true };
    },
  };
}

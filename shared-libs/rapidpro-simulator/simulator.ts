/**
 * `startRapidProSimulator`: a real node:http server on loopback that speaks the parts of
 * RapidPro's API v2 CHT uses (broadcasts, messages) plus `/simulator/*` control endpoints, and
 * posts incoming messages to the configured CHT URL.
 */
import { CallbackPoster } from '../at-simulator/callbacks.js';
import { firstIdOption } from '../at-simulator/checks.js';
import { type RequestHandler, startHttpServer } from '../at-simulator/server.js';
import { handleApi } from './api.js';
import { applyPatch, defaultConfig, maskedConfig, parseConfigPatch } from './config.js';
import { controlRoutes, parseAdvance } from './control.js';
import { injectIncoming } from './incoming.js';
import { RapidProState } from './state.js';
import type { RapidProControls, RapidProSimulator, RapidProSimulatorOptions } from './types.js';

export async function startRapidProSimulator(options: RapidProSimulatorOptions = {}): Promise<RapidProSimulator> {
  const { port = 0, host = '127.0.0.1', onLog, firstId, ...patch } = options;
  const cfg = applyPatch(defaultConfig(), parseConfigPatch(patch));
  const state = new RapidProState(cfg, firstIdOption(firstId, 'firstId'));
  const log = onLog ?? ((): void => undefined);
  const poster = new CallbackPoster();

  const sim: RapidProControls = {
    configure: (p) => {
      state.configure(p);
      return maskedConfig(state.cfg);
    },
    config: () => maskedConfig(state.cfg),
    broadcasts: () => state.store.views(Date.now(), state.cfg.stepDelayMs),
    requests: () => state.requestLog.list(),
    incoming: () => state.incomingLog.list(),
    injectIncoming: (msg) => injectIncoming(msg, { state, poster, log }),
    advance: (req = {}) => {
      const { broadcast, steps = 1 } = parseAdvance(req);
      return state.store.advance(Date.now(), state.cfg.stepDelayMs, steps, broadcast);
    },
    reset: () => state.reset(),
  };
  const api: RequestHandler = (req, res, path, body) => handleApi(req, res, path, body, state);
  const parts = { routes: controlRoutes(sim), closeFirst: [state, poster] };
  const server = await startHttpServer({ port, host, log }, [api], parts);
  return { ...sim, url: server.url, port: server.port, close: server.close };
}

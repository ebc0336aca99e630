/**
 * `startSimulator`: a real node:http server on loopback that speaks AT's SMS API
 * (`POST /version1/messaging`) plus the `/simulator/*` control endpoints, and posts delivery
 * reports and incoming messages to the configured callbacks.
 */
import { CallbackPoster } from './callbacks.js';
import { applyPatch, defaultConfig, maskedConfig, parseConfigPatch } from './config.js';
import { firstIdOption } from './checks.js';
import { controlRoutes } from './control.js';
import { expandSeed } from './inbox.js';
import { injectIncoming } from './incoming.js';
import { handleMessaging } from './messaging.js';
import { postOptOut } from './opt-outs.js';
import { handleReadApi } from './read-apis.js';
import { DeliveryReporter } from './reports.js';
import { type RequestHandler, startHttpServer } from './server.js';
import { SimulatorState } from './state.js';
import type { Simulator, SimulatorControls, SimulatorOptions } from './types.js';

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const { port = 0, host = '127.0.0.1', onLog, firstInboxId, ...patch } = options;
  const cfg = applyPatch(defaultConfig(), parseConfigPatch(patch));
  const state = new SimulatorState(cfg, firstIdOption(firstInboxId, 'firstInboxId'));
  const log = onLog ?? ((): void => undefined);
  const poster = new CallbackPoster();
  const reporter = new DeliveryReporter(state, poster, log);

  const sim: SimulatorControls = {
    configure: (p) => {
      state.configure(p);
      return maskedConfig(state.cfg);
    },
    config: () => maskedConfig(state.cfg),
    sent: () => state.sentLog.list(),
    reports: () => state.reportLog.list(),
    incoming: () => state.incomingLog.list(),
    fetches: () => state.fetchLog.list(),
    inbox: () => state.inbox.list(),
    reset: () => state.reset(),
    injectIncoming: (msg) => injectIncoming(msg, { state, poster, log }),
    optOut: (req) => postOptOut(state, poster, req, log),
    optOuts: () => state.optOutLog.list(),
    seedInbox: (seed) => expandSeed(seed, Date.now()).map((m) => state.inbox.add(m)),
    idle: () => reporter.idle(),
  };
  const handlers: RequestHandler[] = [
    async (req, res, path, body) => {
      if (req.method !== 'POST' || path !== '/version1/messaging') return false;
      await handleMessaging(req, res, body, Date.now(), state, reporter);
      if (!res.writableEnded && !res.destroyed) log(`${req.method} ${path} held (hang mode)`);
      return true;
    },
    (req, res, path) => handleReadApi(req, res, path, state),
  ];
  const parts = { routes: controlRoutes(sim), closeFirst: [state, poster] };
  const server = await startHttpServer({ port, host, log }, handlers, parts);
  return { ...sim, url: server.url, port: server.port, close: server.close };
}

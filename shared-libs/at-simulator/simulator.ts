/**
 * `startSimulator`: a real node:http server on loopback that speaks AT's SMS API
 * (`POST /version1/messaging`) plus the `/simulator/*` control endpoints, and posts delivery
 * reports and incoming messages to the configured callbacks.
 */
import { CallbackPoster } from './callbacks.js';
import { applyPatch, defaultConfig, maskedConfig, parseConfigPatch } from './config.js';
import { InputError } from './checks.js';
import { handleControlRoutes } from './control-routes.js';
import { controlRoutes } from './control.js';
import { sendText } from './http-io.js';
import { clockFirstId, expandSeed } from './inbox.js';
import { injectIncoming } from './incoming.js';
import { handleMessaging } from './messaging.js';
import { postOptOut } from './opt-outs.js';
import { handleReadApi } from './read-apis.js';
import { DeliveryReporter } from './reports.js';
import { startHttpServer } from './server.js';
import { SimulatorState } from './state.js';
import type { Simulator, SimulatorOptions } from './types.js';

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const { port = 0, host = '127.0.0.1', onLog, firstInboxId, ...patch } = options;
  if (firstInboxId !== undefined && !(Number.isSafeInteger(firstInboxId) && firstInboxId >= 1)) {
    throw new InputError('firstInboxId must be an integer >= 1');
  }
  const cfg = applyPatch(defaultConfig(), parseConfigPatch(patch));
  const state = new SimulatorState(cfg, firstInboxId ?? clockFirstId());
  const log = onLog ?? ((): void => undefined);
  const poster = new CallbackPoster();
  const reporter = new DeliveryReporter(state, poster, log);

  const sim: Simulator = {
    url: '',
    port: 0,
    close,
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
    injectIncoming: (msg) => injectIncoming(state, poster, msg, log),
    optOut: (req) => postOptOut(state, poster, req, log),
    optOuts: () => state.optOutLog.list(),
    seedInbox: (seed) => expandSeed(seed, Date.now()).map((m) => state.inbox.add(m)),
    idle: () => reporter.idle(),
  };
  const routes = controlRoutes(sim);

  const server = await startHttpServer({
    port,
    host,
    log,
    async handle(req, res, path, body) {
      if (req.method === 'POST' && path === '/version1/messaging') {
        await handleMessaging(req, res, body, Date.now(), state, reporter);
        if (!res.writableEnded && !res.destroyed) log(`${req.method} ${path} held (hang mode)`);
        return;
      }
      if (handleReadApi(req, res, path, state)) return;
      if (await handleControlRoutes(req, res, path, body, routes)) return;
      sendText(res, 404, 'Not Found');
    },
  });
  Object.assign(sim, { port: server.port, url: server.url });

  function close(): Promise<void> {
    state.close();
    poster.destroy();
    return server.close();
  }

  return sim;
}

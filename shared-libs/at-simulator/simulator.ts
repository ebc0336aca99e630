/**
 * `startSimulator`: a real node:http server on loopback that speaks AT's SMS API
 * (`POST /version1/messaging`) plus the `/simulator/*` control endpoints, and posts delivery
 * reports and incoming messages to the configured callbacks.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallbackPoster } from './callbacks.js';
import { applyPatch, defaultConfig, maskedConfig, parseConfigPatch } from './config.js';
import { handleControl } from './control.js';
import { BodyTooLarge, readBody, redactUrl, sendText } from './http-io.js';
import { injectIncoming } from './incoming.js';
import { handleMessaging } from './messaging.js';
import { DeliveryReporter } from './reports.js';
import { SimulatorState } from './state.js';
import type { Simulator, SimulatorOptions } from './types.js';

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const { port = 0, host = '127.0.0.1', onLog, ...patch } = options;
  const state = new SimulatorState(applyPatch(defaultConfig(), parseConfigPatch(patch)));
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
    reset: () => state.reset(),
    injectIncoming: (msg) => injectIncoming(state, poster, msg, log),
    idle: () => reporter.idle(),
  };

  const server = http.createServer((req, res) => {
    const receivedAt = Date.now();
    const path = (req.url ?? '/').split('?')[0];
    res.on('finish', () => log(`${req.method} ${redactUrl(req.url ?? '/')} ${res.statusCode} ${Date.now() - receivedAt}ms`));
    void (async () => {
      try {
        const body = await readBody(req);
        if (req.method === 'POST' && path === '/version1/messaging') {
          await handleMessaging(req, res, body, receivedAt, state, reporter);
          if (!res.writableEnded && !res.destroyed) log(`${req.method} ${path} held (hang mode)`);
          return;
        }
        if (await handleControl(req, res, path, body, sim)) return;
        sendText(res, 404, 'Not Found');
      } catch (err) {
        if (err instanceof BodyTooLarge) return sendText(res, 413, 'Payload Too Large');
        sendText(res, 500, 'Internal Server Error');
        log(`error: ${err instanceof Error ? err.message : String(err)}`);
      }
    })();
  });
  // Keep-alive clients (undici's fetch) must not keep close() waiting.
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  Object.assign(sim, { port: address.port, url: `http://${shownHost}:${address.port}` });

  let closing: Promise<void> | null = null;
  function close(): Promise<void> {
    closing ??= new Promise<void>((resolve) => {
      state.close();
      server.close(() => resolve());
      server.closeAllConnections();
      poster.destroy();
    });
    return closing;
  }

  return sim;
}

/**
 * The node:http skeleton every simulator here runs on: reads the body, logs one line per answered
 * request (callback keys redacted), maps handler failures to 413/500, listens on loopback and
 * closes without waiting for idle keep-alive clients.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleControlRoutes, type ControlRoutes } from './control-routes.js';
import { BodyTooLarge, readBody, redactUrl, sendText } from './http-io.js';

/** Answers a request whose body has been read (`path`: the URL without its query), or returns false. */
export type RequestHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  body: string,
) => boolean | Promise<boolean>;

export interface Listen {
  port: number;
  host: string;
  log: (line: string) => void;
}

export interface ServerParts {
  /** The `/simulator/*` control endpoints, tried after the handlers. */
  routes: ControlRoutes;
  /** Closed before the server: cancels waits and callbacks, drops agents. */
  closeFirst: Array<{ close(): void }>;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:43123 */
  url: string;
  port: number;
  /** Stops listening and drops every connection, held ones included. */
  close(): Promise<void>;
}

/**
 * Serves `handlers` (tried in order), then the control routes; a request none of them answers
 * gets 404 `Not Found`.
 */
export async function startHttpServer(
  { port: wantedPort, host, log }: Listen,
  handlers: RequestHandler[],
  { routes, closeFirst }: ServerParts,
): Promise<RunningServer> {
  const all: RequestHandler[] = [
    ...handlers,
    (req, res, path, body) => handleControlRoutes(req, res, path, body, routes),
  ];
  const server = http.createServer((req, res) => {
    const receivedAt = Date.now();
    const path = (req.url ?? '/').split('?')[0];
    res.on('finish', () =>
      log(`${req.method} ${redactUrl(req.url ?? '/')} ${res.statusCode} ${Date.now() - receivedAt}ms`),
    );
    void (async () => {
      try {
        const body = await readBody(req);
        for (const handle of all) if (await handle(req, res, path, body)) return;
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
    server.listen(wantedPort, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | null = null;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const c of closeFirst) c.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/**
 * The node:http skeleton every simulator here runs on: reads the body, logs one line per answered
 * request (callback keys redacted), maps handler failures to 413/500, listens on loopback and
 * closes without waiting for idle keep-alive clients.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BodyTooLarge, readBody, redactUrl, sendText } from './http-io.js';

export interface HttpServerOptions {
  port: number;
  host: string;
  log: (line: string) => void;
  /** Answers one request whose body has been read; `path` is the URL without its query. */
  handle: (req: IncomingMessage, res: ServerResponse, path: string, body: string) => Promise<void>;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:43123 */
  url: string;
  port: number;
  /** Stops listening and drops every connection, held ones included. */
  close(): Promise<void>;
}

export async function startHttpServer(opts: HttpServerOptions): Promise<RunningServer> {
  const { log } = opts;
  const server = http.createServer((req, res) => {
    const receivedAt = Date.now();
    const path = (req.url ?? '/').split('?')[0];
    res.on('finish', () =>
      log(`${req.method} ${redactUrl(req.url ?? '/')} ${res.statusCode} ${Date.now() - receivedAt}ms`),
    );
    void (async () => {
      try {
        await opts.handle(req, res, path, await readBody(req));
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
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;

  let closing: Promise<void> | null = null;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

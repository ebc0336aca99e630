/**
 * A tiny real HTTP server standing in for the CHT server in simulator tests: records every
 * callback (path, headers, raw body, decoded form) and answers with a status the test picks.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  /** Path with query, e.g. `/dlr?key=abc`. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body decoded as a form (meaningless for JSON bodies). */
  form: Record<string, string>;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** The status to answer a callback with; `index` counts from 0 over the receiver's life. */
  respond: (r: Received, index: number) => number;
  /** The body answered (JSON). */
  answerBody: string;
  close: () => Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const rcv: Receiver = {
    url: '',
    received: [],
    respond: () => 200,
    answerBody: JSON.stringify({ saved: 1 }),
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const r: Received = {
        path: req.url ?? '',
        headers: req.headers,
        body,
        form: Object.fromEntries(new URLSearchParams(body)),
      };
      const status = rcv.respond(r, rcv.received.length);
      rcv.received.push(r);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(rcv.answerBody);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  rcv.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  rcv.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return rcv;
}

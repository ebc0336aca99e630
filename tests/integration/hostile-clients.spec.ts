/**
 * Clients that misbehave on the wire, against a real listening server: bodies over the limit are
 * refused (413) before they are read whole, gzip bombs included; deeply nested JSON is a 400;
 * clients that send their headers or body slowly are cut off; random bodies over real HTTP
 * (gzip included) never get a 5xx.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import net from 'node:net';
import zlib from 'node:zlib';
import { fuzzParams, runsShare } from '../fuzz/harness.js';
import { api, startTestServer, type TestServer } from '../helpers/test-server.js';

const KEY = 'hostile-incoming-key-51a2';

/** Plain bytes: with PouchDB's global Buffer typing, node's Buffer is not a Uint8Array to TypeScript. */
const bytes = (b: Buffer): Uint8Array<ArrayBuffer> => new Uint8Array(b);

/** A request head: the request line, Host, the given header lines, the blank line. */
const request = (line: string, headers: string[]): string =>
  `${line} HTTP/1.1\r\nHost: x\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;

interface RawExchange {
  response: string;
  bytesSent: number;
  closed: boolean;
}

/** Opens a socket, writes `head`, then streams `chunk` until the server answers or `maxBytes` is sent. */
async function rawUpload(url: string, head: string, chunk: Uint8Array, maxBytes: number): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  let response = '';
  let closed = false;
  socket.on('data', (d: Buffer) => {
    response += d.toString('latin1');
  });
  socket.on('error', () => undefined);
  const done = new Promise<void>((resolve) =>
    socket.on('close', () => {
      closed = true;
      resolve();
    }),
  );
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.write(head);
  let bytesSent = 0;
  while (!response && !closed && bytesSent < maxBytes) {
    const ok = socket.write(chunk);
    bytesSent += chunk.length;
    if (!ok) {
      await Promise.race([new Promise((r) => socket.once('drain', r)), new Promise((r) => setTimeout(r, 200)), done]);
    }
  }
  const until = Date.now() + 10_000;
  while (!/\r\n\r\n/.test(response) && !closed && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  socket.destroy();
  return { response, bytesSent, closed };
}

/** Sends `parts` one by one, `gapMs` apart, and reports when the server hung up. */
interface Trickled {
  response: string;
  /** How many parts were written before the server hung up; -1 when it never did. */
  closedAfterParts: number;
}

async function trickle(url: string, parts: string[], gapMs: number): Promise<Trickled> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  let response = '';
  let closed = false;
  socket.on('data', (d: Buffer) => {
    response += d.toString('latin1');
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    closed = true;
  });
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  let sent = 0;
  for (const part of parts) {
    if (closed) break;
    socket.write(part);
    sent++;
    await new Promise((r) => setTimeout(r, gapMs));
  }
  socket.destroy();
  return { response, closedAfterParts: closed ? sent : -1 };
}

describe('hostile clients on the wire', function () {
  this.timeout(60_000);
  let server: TestServer;
  let auth: string;
  /** An administrator's JSON request headers. */
  const json = (): string[] => [`Authorization: ${auth}`, 'Content-Type: application/json'];
  before(async function () {
    server = await startTestServer({ compose: { timeouts: { headersMs: 1000, requestMs: 2500, checkEveryMs: 100 } } });
    auth = server.adminAuth;
    await api(server, 'PUT', '/api/v1/credentials/africastalking.com:incoming', KEY);
  });
  after(async function () {
    await server?.stop();
  });

  it('a declared body over the limit → 413 after a few KB, not after 50 MB', async function () {
    const head = request('POST /api/v1/messages', [...json(), `Content-Length: ${50 * 1024 * 1024}`]);
    const res = await rawUpload(server.url, head, new Uint8Array(16 * 1024).fill(0x20), 50 * 1024 * 1024);
    expect(res.response).to.match(/^HTTP\/1\.1 413 /);
    expect(res.bytesSent).to.be.below(8 * 1024 * 1024);
  });

  it('a chunked body growing past the limit → 413 once the limit is passed', async function () {
    const head = request('PUT /api/v1/settings', [...json(), 'Transfer-Encoding: chunked']);
    const chunk = bytes(Buffer.from(`10000\r\n${' '.repeat(0x10000)}\r\n`));
    const res = await rawUpload(server.url, head, chunk, 50 * 1024 * 1024);
    expect(res.response).to.match(/^HTTP\/1\.1 413 /);
    expect(res.bytesSent).to.be.below(8 * 1024 * 1024);
  });

  it('a gzip bomb (20 MB of zeros in ~20 KB) → 413, inflated only up to the limit', async function () {
    const bomb = bytes(zlib.gzipSync(bytes(Buffer.alloc(20 * 1024 * 1024))));
    expect(bomb.length).to.be.below(100 * 1024);
    const res = await fetch(`${server.url}/api/sms`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: bomb,
    });
    expect(res.status).to.equal(413);
  });

  it('deeply nested JSON → 400 on every JSON endpoint', async function () {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const deepObject = `{"sms":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;
    const targets: Array<[string, string, Record<string, string>]> = [
      ['POST', '/api/v1/messages', { authorization: auth }],
      ['PUT', '/api/v1/settings', { authorization: auth }],
      ['POST', '/api/sms', { authorization: auth }],
      ['POST', `/api/v1/sms/africastalking/incoming-messages?key=${KEY}`, {}],
      ['POST', `/api/v1/sms/africastalking/delivery-reports?key=${KEY}`, {}],
    ];
    for (const [method, path, headers] of targets) {
      for (const body of [deep, deepObject]) {
        const init = { method, headers: { ...headers, 'content-type': 'application/json' }, body };
        const res = await fetch(`${server.url}${path}`, init);
        expect(res.status, `${method} ${path}`).to.equal(400);
        expect(((await res.json()) as { error: string }).error).to.match(/nested deeper than 64 levels/);
      }
    }
    // Nesting within the limit is fine.
    const nested = JSON.parse(`${'{"a":'.repeat(30)}1${'}'.repeat(30)}`) as unknown;
    const ok = await api(server, 'PUT', '/api/v1/settings', { forms: { X: nested } });
    expect(ok.status).to.equal(200);
  });

  it('a client sending its headers slowly is cut off (headersTimeout)', async function () {
    const slowHeaders = Array.from({ length: 40 }, (_, i) => `X-Slow-${i}: y\r\n`);
    const parts = ['GET /api/info HTTP/1.1\r\n', 'Host: x\r\n', ...slowHeaders];
    const res = await trickle(server.url, parts, 150);
    expect(res.closedAfterParts, 'the server kept the connection open').to.be.greaterThan(0);
    expect(res.closedAfterParts).to.be.below(parts.length);
    expect(res.response).to.match(/^HTTP\/1\.1 408 |^$/);
  });

  it('a client sending its body slowly is cut off (requestTimeout)', async function () {
    const head = request('PUT /api/v1/settings', [...json(), 'Content-Length: 200']);
    const res = await trickle(server.url, [head, ...Array.from({ length: 60 }, () => ' ')], 150);
    expect(res.closedAfterParts, 'the server kept the connection open').to.be.greaterThan(0);
    expect(res.closedAfterParts).to.be.below(61);
  });

  it('random bodies over real HTTP (plain and gzip) never get a 5xx', async function () {
    const incoming = `/api/v1/sms/africastalking/incoming-messages?key=${KEY}`;
    const paths = fc.constantFrom('/api/sms', incoming, '/api/v1/messages');
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue().map((v) => JSON.stringify(v)),
        fc.boolean(),
        paths,
        async (body, gzip, path) => {
          const res = await fetch(`${server.url}${path}`, {
            method: 'POST',
            headers: {
              authorization: auth,
              'content-type': 'application/json',
              ...(gzip ? { 'content-encoding': 'gzip' } : {}),
            },
            body: gzip ? bytes(zlib.gzipSync(body)) : body,
          });
          await res.arrayBuffer();
          expect(res.status, `${path} ${body.slice(0, 200)}`).to.be.below(500);
        },
      ),
      fuzzParams(runsShare(0.1)),
    );
  });
});

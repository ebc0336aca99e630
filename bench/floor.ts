/**
 * The floors: what the parts the server is built from cost on this machine with none of its own
 * code around them (bench/floor-child.ts runs them in a process started like the server). The
 * per-unit table prints, for each scenario, the floor its own counts imply (HTTP requests in, AT
 * requests out, documents written) beside the CPU it used, so "how close to what the store and
 * Node can do" is a measured figure rather than a guess.
 */
import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import type { CouchServer } from '../tests/helpers/pouchdb-server.js';
import { childScript, procCpuMs, serverNodeFlags, START_DEFAULTS } from './child.js';
import { closedLoop } from './load.js';
import { incomingBody } from './store.js';

export interface FloorResult {
  /** CPU ms of one form POST answered by a bare Fastify route, C=32. */
  httpIn: number;
  /** CPU ms of one JSON POST sent through undici (the AT request's client side), C=32. */
  httpOut: number;
  /** CPU ms per new document, bulkDocs of 8 with 2 in flight, embedded LevelDB. */
  write: number;
  /** CPU ms per document read by key and written back changed, same batches, embedded. */
  update: number;
  /** The same over pouchdb-server: this process's share, and pouchdb-server's own. */
  couch?: { write: number; update: number; serverWrite: number; serverUpdate: number };
  requests: number;
  docs: number;
}

interface FloorChild {
  ask(cmd: Record<string, unknown>): Promise<Record<string, unknown>>;
}

async function startChild(): Promise<{ child: FloorChild; kill: () => void }> {
  const script = childScript('floor-child');
  const proc = fork(script.file, [], {
    env: { MALLOC_ARENA_MAX: String(START_DEFAULTS.mallocArenaMax), ...process.env },
    execArgv: [...script.execArgv, ...serverNodeFlags()],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const waiting = new Map<number, (msg: Record<string, unknown>) => void>();
  await new Promise<void>((resolve, reject) => {
    proc.on('message', (msg: Record<string, unknown>) => {
      if (msg.type === 'ready') resolve();
      else if (msg.type === 'reply') {
        waiting.get(msg.id as number)?.(msg);
        waiting.delete(msg.id as number);
      }
    });
    proc.once('exit', (code) => reject(new Error(`floor child exited (${code})`)));
  });
  return {
    child: {
      ask: (cmd) =>
        new Promise((resolve, reject) => {
          const id = nextId++;
          waiting.set(id, (msg) => (msg.error ? reject(new Error(String(msg.error))) : resolve(msg)));
          proc.send({ ...cmd, id });
        }),
    },
    kill: () => proc.kill('SIGKILL'),
  };
}

/** An AT-like endpoint answering every POST at once (the AT request floor's other end). */
async function atLikeServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const body = JSON.stringify({
    SMSMessageData: {
      Message: 'Sent to 1/1 Total Cost: KES 0.8000',
      Recipients: [
        { statusCode: 101, number: '+254711000001', status: 'Success', cost: 'KES 0.8000', messageId: 'ATXid_1' },
      ],
    },
  });
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/version1/messaging`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export async function floorScenario(opts: {
  requests: number;
  docs: number;
  couch?: CouchServer;
}): Promise<FloorResult> {
  const { child, kill } = await startChild();
  const cpu = async (): Promise<number> => (await child.ask({ cmd: 'cpu' })).cpuMs as number;
  try {
    // HTTP in: the incoming scenario's bodies against a route that does nothing.
    const { port } = (await child.ask({ cmd: 'http' })) as { port: number };
    const bodies = Array.from({ length: opts.requests }, (_, i) => incomingBody(i));
    await closedLoop(`http://127.0.0.1:${port}/floor`, bodies.slice(0, 500), 32);
    const h0 = await cpu();
    const res = await closedLoop(`http://127.0.0.1:${port}/floor`, bodies, 32);
    if (res.errors > 0) throw new Error(`floor: ${res.errors} HTTP errors`);
    const httpIn = ((await cpu()) - h0) / opts.requests;

    // HTTP out: undici against an endpoint that answers at once.
    const at = await atLikeServer();
    let httpOut: number;
    try {
      await child.ask({ cmd: 'client', url: at.url, n: 500, concurrency: 32 });
      httpOut =
        ((await child.ask({ cmd: 'client', url: at.url, n: opts.requests, concurrency: 32 })).cpuMs as number) /
        opts.requests;
    } finally {
      await at.close();
    }

    // Documents, embedded.
    const write = ((await child.ask({ cmd: 'write', n: opts.docs })).cpuMs as number) / opts.docs;
    const update = ((await child.ask({ cmd: 'update' })).cpuMs as number) / opts.docs;
    await child.ask({ cmd: 'close' });

    let couch: FloorResult['couch'];
    if (opts.couch) {
      const c = opts.couch;
      const second = await startChild();
      try {
        const couchUrl = `${c.adminUrl}/floor-${crypto.randomBytes(4).toString('hex')}`;
        const n = Math.max(10, Math.round(opts.docs / 4));
        const s0 = procCpuMs(c.pid) ?? 0;
        const w = (await second.child.ask({ cmd: 'write', n, couchUrl })).cpuMs as number;
        const s1 = procCpuMs(c.pid) ?? 0;
        const u = (await second.child.ask({ cmd: 'update' })).cpuMs as number;
        const s2 = procCpuMs(c.pid) ?? 0;
        couch = { write: w / n, update: u / n, serverWrite: (s1 - s0) / n, serverUpdate: (s2 - s1) / n };
        await second.child.ask({ cmd: 'close' });
      } finally {
        second.kill();
      }
    }
    return { httpIn, httpOut, write, update, ...(couch ? { couch } : {}), requests: opts.requests, docs: opts.docs };
  } finally {
    kill();
  }
}

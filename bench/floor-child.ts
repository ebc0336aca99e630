/**
 * The floors under the server's figures, measured in a process started like the server (same node
 * flags): what the parts it is built from cost with none of its own code around them. Forked by
 * bench/floor.ts with an IPC channel; answers one command at a time with its CPU time.
 *
 * parent → child: {cmd, id, ...args}; child → parent: {type:'reply', id, ...}
 *   http:    starts a bare Fastify server (the server's version, its form-body parser, no logging)
 *            whose one route answers a small JSON object: the HTTP floor of a webhook or API call
 *   write:   writes n new documents to a fresh store, `batch` per bulkDocs with `parallel` in flight
 *   update:  reads those documents by key and writes each back changed, in the same batches
 *   client:  n POSTs with a JSON body through undici at concurrency c: the floor of an AT request
 *   cpu:     this process's CPU time so far (ms)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import { Agent, request } from 'undici';
import { v7 as uuidv7 } from 'uuid';
import { bulkError, openDatabases, type Databases } from '../shared-libs/couch/index.js';

interface Command {
  cmd: 'http' | 'write' | 'update' | 'client' | 'cpu' | 'close';
  id: number;
  n?: number;
  batch?: number;
  parallel?: number;
  url?: string;
  concurrency?: number;
  couchUrl?: string;
}

function send(msg: unknown): void {
  if (process.send && process.connected) process.send(msg);
}

const cpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

/** A document shaped like the server's records: an incoming message as CHT stores it. */
function recordDoc(i: number): Record<string, unknown> {
  const at = new Date(Date.now() - i * 1000).toISOString();
  const from = `+2547${String(10_000_000 + i).slice(-8)}`;
  return {
    _id: uuidv7(),
    type: 'data_record',
    form: null,
    kujua_message: true,
    from,
    reported_date: Date.parse(at),
    sms_message: {
      message: `Floor message ${i}: the child has a fever since yesterday, please advise.`,
      from,
      form: null,
      locale: 'en',
      gateway_ref: `ATXid_${i.toString(16).padStart(32, '0')}`,
    },
    tasks: [
      {
        messages: [{ uuid: uuidv7(), to: '+254711000001', message: 'Thank you, a nurse will call you.' }],
        state: 'pending',
        state_history: [{ state: 'pending', timestamp: at }],
      },
    ],
    errors: [],
  };
}

async function inBatches<T>(
  items: T[],
  size: number,
  parallel: number,
  fn: (chunk: T[]) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const start = next;
      next += size;
      if (start >= items.length) return;
      await fn(items.slice(start, start + size));
    }
  };
  await Promise.all(Array.from({ length: parallel }, () => worker()));
}

async function main(): Promise<void> {
  let dbs: Databases | undefined;
  let written: string[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-floor-'));
  let app: ReturnType<typeof Fastify> | undefined;

  const handle = async (c: Command): Promise<Record<string, unknown>> => {
    switch (c.cmd) {
      case 'cpu':
        return { cpuMs: cpuMs() };
      case 'http': {
        app = Fastify({ logger: false });
        await app.register(formbody);
        app.post('/floor', async () => ({ ok: true, id: 'floor' }));
        await app.listen({ port: 0, host: '127.0.0.1' });
        const addr = app.server.address();
        return { port: typeof addr === 'object' && addr ? addr.port : 0 };
      }
      case 'write': {
        dbs ??= await openDatabases({ dataDir, ...(c.couchUrl ? { couchUrl: c.couchUrl } : {}) });
        const db = dbs.medic;
        const docs = Array.from({ length: c.n ?? 0 }, (_, i) => recordDoc(i));
        const t0 = cpuMs();
        await inBatches(docs, c.batch ?? 8, c.parallel ?? 2, async (chunk) => {
          const res = await db.bulkDocs(chunk);
          if (res.some((r) => bulkError(r))) throw new Error('floor: a write failed');
        });
        written = docs.map((d) => d._id as string);
        return { cpuMs: cpuMs() - t0 };
      }
      case 'update': {
        if (!dbs) throw new Error('floor: update before write');
        const db = dbs.medic;
        const t0 = cpuMs();
        await inBatches(written, c.batch ?? 8, c.parallel ?? 2, async (keys) => {
          const read = await db.allDocs({ keys, include_docs: true });
          const docs = read.rows.map((r) => {
            const doc = (r as { doc?: Record<string, unknown> }).doc as Record<string, unknown>;
            return { ...doc, state_details: 'Sent' };
          });
          const res = await db.bulkDocs(docs);
          if (res.some((r) => bulkError(r))) throw new Error('floor: an update failed');
        });
        return { cpuMs: cpuMs() - t0 };
      }
      case 'client': {
        const agent = new Agent({ connections: c.concurrency ?? 32, keepAliveTimeout: 30_000 });
        const body = JSON.stringify({
          username: 'bench',
          to: '+254711000001',
          message: 'Floor message',
          bulkSMSMode: 1,
        });
        let left = c.n ?? 0;
        const t0 = cpuMs();
        const worker = async (): Promise<void> => {
          while (left-- > 0) {
            const res = await request(c.url as string, {
              method: 'POST',
              dispatcher: agent,
              headers: { 'content-type': 'application/json', accept: 'application/json' },
              body,
              headersTimeout: 10_000,
              bodyTimeout: 10_000,
            });
            JSON.parse(await res.body.text());
          }
        };
        await Promise.all(Array.from({ length: c.concurrency ?? 32 }, () => worker()));
        const used = cpuMs() - t0;
        await agent.close();
        return { cpuMs: used };
      }
      case 'close': {
        await app?.close();
        await dbs?.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
        return {};
      }
    }
  };

  process.on('message', (c: Command) => {
    handle(c).then(
      (out) => {
        send({ type: 'reply', id: c.id, ...out });
        if (c.cmd === 'close') {
          process.disconnect?.();
          setTimeout(() => process.exit(0), 50).unref();
        }
      },
      (err: unknown) => send({ type: 'reply', id: c.id, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  send({ type: 'ready' });
}

main().catch((err: unknown) => {
  console.error('bench floor failed to start:', err);
  process.exit(1);
});

/**
 * The server under test, in its own process so its memory is measured apart from the load
 * generator and the simulator. Forked by bench/child.ts with an IPC channel; configured by the
 * same environment variables as `npm start` (DATA_DIR, COUCH_URL, ADMIN_PASSWORD, AT_API_URL,
 * LOG_LEVEL). It adds nothing to the product's HTTP surface: every bench-only question (memory,
 * CPU, outbox backlog) goes over IPC.
 *
 * child → parent: {type:'ready', port}, {type:'rss', rss, t} every 100 ms, {type:'reply', id, ...}
 * parent → child: {cmd:'stats'|'sweep'|'close', id}
 */
import fs from 'node:fs';
import http from 'node:http';
import { compose } from '../api/src/compose.js';
import { readEnv } from '../api/src/env.js';

interface Command {
  cmd: 'stats' | 'sweep' | 'close';
  id: number;
}

function send(msg: unknown): void {
  if (process.send && process.connected) process.send(msg);
}

/** The kind of document an id names: its prefix up to the first `:`, or `message` for a bare id. */
function kindOf(id: unknown): string {
  const s = typeof id === 'object' && id !== null ? String((id as { _id?: unknown })._id ?? '') : String(id ?? '');
  const at = s.indexOf(':');
  return at > 0 ? s.slice(0, at) : s.startsWith('_local/') ? '_local' : 'message';
}

/**
 * Counts a database's calls by method (and, for bulkDocs / allDocs keys, the number of docs): how
 * many store round trips and document writes a message costs. Documents written and read by key
 * are also counted by kind (`<label> write sms-exchange`, `<label> read message`), so the cost table
 * says which documents a message costs. Always on: a counter per call costs nothing next to the
 * call. Live changes feeds are counted once, when opened.
 */
function traceDb(
  db: Record<string, unknown>,
  byKind: Map<string, number>,
  label: string,
): Map<string, { calls: number; docs: number }> {
  const counts = new Map<string, { calls: number; docs: number }>();
  const countKind = (op: string, id: unknown): void => {
    const key = `${label} ${op} ${kindOf(id)}`;
    byKind.set(key, (byKind.get(key) ?? 0) + 1);
  };
  for (const method of ['get', 'put', 'post', 'bulkDocs', 'allDocs', 'query', 'remove', 'changes']) {
    const original = db[method] as (...args: unknown[]) => unknown;
    if (typeof original !== 'function') continue;
    db[method] = function (this: unknown, ...args: unknown[]) {
      // put/post/remove go through bulkDocs({docs: [doc]}): count their writes there.
      const a = args[0] as { keys?: unknown[]; docs?: unknown[] } | unknown[] | undefined;
      const keys = Array.isArray(a) ? a : (a?.keys ?? a?.docs);
      const n = Array.isArray(keys) ? keys.length : 1;
      const name = method === 'allDocs' && !Array.isArray(keys) ? 'allDocs(range)' : method;
      const c = counts.get(name) ?? { calls: 0, docs: 0 };
      c.calls++;
      c.docs += n;
      counts.set(name, c);
      if (method === 'bulkDocs' && Array.isArray(keys)) for (const d of keys) countKind('write', d);
      if (method === 'allDocs' && Array.isArray(keys)) for (const k of keys) countKind('read', k);
      if (method === 'get') countKind('read', args[0]);
      return original.apply(this, args);
    };
  }
  return counts;
}

/**
 * Counts the message index's LevelDB writes and key reads by kind (`index put o`, `index del m`,
 * `index read m`): the index is plain keys, not PouchDB docs, so its costs are entries.
 */
function traceIndex(store: Record<string, unknown>, byKind: Map<string, number>): void {
  const count = (key: string): void => {
    byKind.set(key, (byKind.get(key) ?? 0) + 1);
  };
  const batch = store.batch as (ops: Array<{ type: string; key: string }>) => Promise<void>;
  store.batch = function (this: unknown, ops: Array<{ type: string; key: string }>) {
    for (const op of ops) count(`index ${op.type} ${kindOf(op.key)}`);
    return batch.call(this, ops);
  };
  const getMany = store.getMany as (keys: string[]) => Promise<unknown[]>;
  store.getMany = function (this: unknown, keys: string[]) {
    for (const k of keys) count(`index read ${kindOf(k)}`);
    return getMany.call(this, keys);
  };
  const get = store.get as (key: string) => Promise<unknown>;
  store.get = function (this: unknown, key: string) {
    count(`index read ${kindOf(key)}`);
    return get.call(this, key);
  };
}

/**
 * RSS split as Linux counts it (/proc/self/status): anonymous memory (the JS heap, native
 * allocations) and file-backed pages (the node binary's code, and LevelDB's table files, which it
 * maps, so pages read from them count in RSS; the kernel can take file-backed pages back).
 * Undefined where /proc is absent.
 */
function rssParts(): { anon: number; file: number } | undefined {
  try {
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    const kb = (name: string): number =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') };
  } catch {
    return undefined;
  }
}

/** HTTP requests this process made with node:http (PouchDB's http adapter; AT goes through undici). */
function countHttpRequests(): { count: number } {
  const counter = { count: 0 };
  const original = http.request.bind(http) as (...args: unknown[]) => http.ClientRequest;
  (http as { request: unknown }).request = (...args: unknown[]): http.ClientRequest => {
    counter.count++;
    return original(...args);
  };
  return counter;
}

async function main(): Promise<void> {
  const env = readEnv();
  const httpRequests = countHttpRequests();
  const server = await compose({ env });
  const docsByKind = new Map<string, number>();
  const dbCalls = traceDb(server.dbs.medic as unknown as Record<string, unknown>, docsByKind, 'medic');
  // The message index's own store (rows, manifests, counts).
  traceIndex(server.messageIndex.rows as unknown as Record<string, unknown>, docsByKind);
  await server.app.listen({ port: env.port, host: env.host });
  server.start();
  const addr = server.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : env.port;

  let peakRss = process.memoryUsage.rss();
  let peakAnon = rssParts()?.anon;
  const sampler = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss > peakRss) peakRss = rss;
    const anon = rssParts()?.anon;
    if (anon !== undefined && anon > (peakAnon ?? 0)) peakAnon = anon;
    send({ type: 'rss', rss, t: Date.now() });
  }, 100);

  process.on('message', (raw: Command) => {
    void (async () => {
      try {
        switch (raw.cmd) {
          case 'stats': {
            const cpu = process.cpuUsage();
            const mem = process.memoryUsage();
            const parts = rssParts();
            send({
              type: 'reply',
              id: raw.id,
              rss: mem.rss,
              ...(parts ? { rssAnon: parts.anon, rssFile: parts.file, peakAnon } : {}),
              peakRss,
              heapUsed: mem.heapUsed,
              cpuMs: (cpu.user + cpu.system) / 1000,
              outbox: server.outbox.stats(),
              dbCalls: Object.fromEntries([...dbCalls].map(([k, v]) => [k, { ...v }])),
              docsByKind: Object.fromEntries(docsByKind),
              httpRequests: httpRequests.count,
              index: server.messageIndex.stats(),
              medicSeq: Number.parseInt(String((await server.dbs.medic.info()).update_seq), 10),
            });
            break;
          }
          case 'sweep': {
            // The message index's first build over a preloaded store, then a sweep of its open work.
            const t0 = Date.now();
            await server.messageIndex.synced(30 * 60_000);
            await server.outbox.sweep();
            send({ type: 'reply', id: raw.id, ms: Date.now() - t0 });
            break;
          }
          case 'close': {
            clearInterval(sampler);
            await server.close();
            send({ type: 'reply', id: raw.id, peakRss });
            process.disconnect?.();
            setTimeout(() => process.exit(0), 50).unref();
            break;
          }
        }
      } catch (err) {
        send({ type: 'reply', id: raw.id, error: err instanceof Error ? err.message : String(err) });
      }
    })();
  });

  send({ type: 'ready', port });
}

main().catch((err: unknown) => {
  console.error('bench server failed to start:', err);
  process.exit(1);
});

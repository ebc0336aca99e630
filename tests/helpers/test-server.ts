/**
 * A real server instance for integration tests: real PouchDB (a temporary LevelDB folder, or
 * pouchdb-server over HTTP), a real HTTP listener on port 0, logs captured in memory so tests
 * can assert no secret reached them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { compose, type ComposeOptions, type Server } from '../../api/src/compose.js';
import { defaultRegistry } from '../../api/src/sms/registry.js';
import { readEnv } from '../../api/src/env.js';
import type { CouchServer } from './pouchdb-server.js';

export interface TestServer extends Server {
  url: string;
  dataDir: string;
  logs(): string;
  /** Basic auth header for the administrator. */
  adminAuth: string;
  stop(): Promise<void>;
}

export type StorageMode = { kind: 'embedded' } | { kind: 'couchdb'; couch: CouchServer; db?: string };

export interface TestServerOptions {
  storage?: StorageMode;
  env?: Record<string, string>;
  dataDir?: string;
  start?: boolean;
  compose?: Omit<ComposeOptions, 'env' | 'logger'>;
}

let dbCounter = 0;

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cht-sms-test-'));
  const storage = opts.storage ?? { kind: 'embedded' };
  const envVars: Record<string, string> = {
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    ADMIN_PASSWORD: 'test-admin-pass',
    LOG_LEVEL: 'debug',
    ...(storage.kind === 'couchdb'
      ? { COUCH_URL: `${storage.couch.adminUrl}/${storage.db ?? `medic${++dbCounter}x${process.pid}`}` }
      : {}),
    ...opts.env,
  };
  const env = readEnv(envVars, (opts.compose?.registry ?? defaultRegistry()).envVars());
  let captured = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      captured += chunk.toString();
      cb();
    },
  });
  const logger = pino({ level: env.logLevel }, sink);
  const server = await compose({ env, logger, ...opts.compose });
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  if (opts.start !== false) server.start();
  const addr = server.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const adminAuth =
    storage.kind === 'couchdb'
      ? `Basic ${Buffer.from(`${storage.couch.admin.user}:${storage.couch.admin.password}`).toString('base64')}`
      : `Basic ${Buffer.from(`admin:${envVars.ADMIN_PASSWORD ?? ''}`).toString('base64')}`;
  return Object.assign(server, {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    adminAuth,
    logs: () => captured,
    stop: async () => {
      await server.close();
    },
  });
}

/** fetch with the admin's basic auth and JSON handling. */
export async function api(
  server: Pick<TestServer, 'url' | 'adminAuth'>,
  method: string,
  pathname: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; text: string }> {
  const isString = typeof body === 'string';
  const res = await fetch(`${server.url}${pathname}`, {
    method,
    headers: {
      authorization: server.adminAuth,
      ...(body !== undefined ? { 'content-type': isString ? 'text/plain' : 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : isString ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed, text };
}

/** The ids of the documents the outbox's sweeps find open work in (the message index's rows). */
export async function openWorkIds(server: { openWork: Server['openWork'] }): Promise<string[]> {
  const ids: string[] = [];
  for await (const docs of server.openWork.pages(50)) ids.push(...docs.map((d) => d._id));
  return ids;
}

/** Polls until `check` returns a truthy value or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, ms = 10_000, every = 25): Promise<T> {
  const until = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

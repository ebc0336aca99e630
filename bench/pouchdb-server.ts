/**
 * pouchdb-server on loopback with its data on disk (LevelDB in a temporary folder), as in CHT's
 * anchor measurements; tests/helpers/pouchdb-server.ts runs it in memory instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../shared-libs/couch/index.js';

export interface BenchCouch {
  url: string;
  adminUrl: string;
  adminAuth: string;
  pid: number;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export async function startCouch(opts: { inMemory?: boolean } = {}): Promise<BenchCouch> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pouchdb-server-'));
  const bin = path.join(projectRoot(), 'node_modules', 'pouchdb-server', 'bin', 'pouchdb-server');
  const args = [bin, '--host', '127.0.0.1', '--port', String(port), '--no-color', '--dir', dir, '--config', path.join(dir, 'config.json'), '--log-file', path.join(dir, 'log.txt')];
  if (opts.inMemory) args.splice(1, 0, '--in-memory');
  const child: ChildProcess = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > until || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`pouchdb-server did not start at ${url}\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const admin = { user: 'admin', password: 'pass' };
  const res = await fetch(`${url}/_config/admins/${admin.user}`, { method: 'PUT', body: JSON.stringify(admin.password) });
  if (!res.ok) throw new Error(`could not create the pouchdb-server admin: ${res.status}`);
  return {
    url,
    adminUrl: `http://${admin.user}:${admin.password}@127.0.0.1:${port}`,
    adminAuth: `Basic ${Buffer.from(`${admin.user}:${admin.password}`).toString('base64')}`,
    pid: child.pid as number,
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

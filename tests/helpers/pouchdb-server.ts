/**
 * pouchdb-server (npm) on a loopback port: our stand-in for CouchDB. In memory for tests; on
 * disk (LevelDB in a temporary folder) for the benchmarks, as in CHT's anchor measurements. It
 * has a server admin, so the CouchDB-mode admin checks (_session, _admin role) are real.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../shared-libs/couch/index.js';

export interface CouchServer {
  url: string;
  adminUrl: string;
  /** Basic auth header of the server admin. */
  adminAuth: string;
  admin: { user: string; password: string };
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

async function waitFor(url: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`pouchdb-server did not answer at ${url}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startPouchDbServer(opts: { inMemory?: boolean } = {}): Promise<CouchServer> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pouchdb-server-'));
  const bin = path.join(projectRoot(), 'node_modules', 'pouchdb-server', 'bin', 'pouchdb-server');
  const args = [
    bin,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--no-color',
    '--dir',
    dir,
    '--config',
    path.join(dir, 'config.json'),
    '--log-file',
    path.join(dir, 'log.txt'),
  ];
  if (opts.inMemory !== false) args.splice(1, 0, '--in-memory');
  const child: ChildProcess = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${url}/`, 15_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  const admin = { user: 'admin', password: 'pass' };
  // Leave "admin party": from now on only the admin may administer.
  const res = await fetch(`${url}/_config/admins/${admin.user}`, {
    method: 'PUT',
    body: JSON.stringify(admin.password),
  });
  if (!res.ok) throw new Error(`could not create the pouchdb-server admin: ${res.status}`);
  return {
    url,
    adminUrl: `http://${admin.user}:${admin.password}@127.0.0.1:${port}`,
    adminAuth: `Basic ${Buffer.from(`${admin.user}:${admin.password}`).toString('base64')}`,
    admin,
    pid: child.pid as number,
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates a non-admin CouchDB user, to prove 403 for valid non-admin credentials. */
export async function createCouchUser(server: CouchServer, name: string, password: string): Promise<void> {
  const auth = `Basic ${Buffer.from(`${server.admin.user}:${server.admin.password}`).toString('base64')}`;
  const res = await fetch(`${server.url}/_users/org.couchdb.user:${name}`, {
    method: 'PUT',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify({ _id: `org.couchdb.user:${name}`, name, password, roles: [], type: 'user' }),
  });
  if (!res.ok && res.status !== 409)
    throw new Error(`could not create user ${name}: ${res.status} ${await res.text()}`);
}

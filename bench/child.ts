/**
 * Starts bench/server-child as a separate Node process (forked, IPC channel), waits for it to
 * listen, records its RSS samples (every 100 ms) and talks to it over IPC. Logs go to a file in
 * the scenario's temporary folder, not through a pipe the load generator must drain.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ServerStats {
  rss: number;
  /** Linux: the anonymous and file-backed parts of rss. */
  rssAnon?: number;
  rssFile?: number;
  /** Linux: the highest anonymous RSS of the 100 ms samples. */
  peakAnon?: number;
  peakRss: number;
  heapUsed: number;
  cpuMs: number;
  outbox: { known: number; ready: number; claimedWaiting: number; inFlight: number };
  /** Medic db calls by method (put/post/remove are also counted under bulkDocs, which they call). */
  dbCalls: Record<string, { calls: number; docs: number }>;
  /** Documents written and read by key, by database and kind (`medic write sms-exchange`, `index read m`). */
  docsByKind: Record<string, number>;
  /** HTTP requests made with node:http: PouchDB's round trips to CouchDB. */
  httpRequests: number;
  /** The message index: first build done, documents scanned of the total, feed position. */
  index?: { built: boolean; seq: number; scanned: number; total: number };
  /** The medic database's update_seq (its number). */
  medicSeq?: number;
}

export interface ServerProcess {
  url: string;
  pid: number;
  dataDir: string;
  adminAuth: string;
  logFile: string;
  /** Highest RSS sample seen (bytes), over the child's whole life. */
  peakRss(): number;
  /** Highest RSS sample since the last call to resetPeak(). */
  windowPeak(): number;
  resetPeak(): void;
  /** Linux only: the kernel's high-water mark (VmHWM, read just before stop), a cross-check of the 100 ms samples. */
  vmHwm(): number | undefined;
  stats(): Promise<ServerStats>;
  sweep(): Promise<number>;
  /** Graceful close (finishes in-flight work, closes the databases), then waits for exit. */
  stop(): Promise<void>;
}

export interface StartOptions {
  dataDir: string;
  couchUrl?: string;
  atApiUrl: string;
  adminPassword?: string;
  /** Basic auth for the admin API; CouchDB mode uses CouchDB's admin. */
  adminAuth?: string;
  logLevel?: string;
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=…'] (BENCH_CPU_PROF). */
  execArgv?: string[];
}

/** A bench child script (`server-child`, `floor-child`) beside this file, and the node flags it needs. */
export function childScript(name: string): { file: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    // Running from source under tsx: the child needs the same loader.
    return { file: path.join(path.dirname(here), `${name}.ts`), execArgv: ['--import', 'tsx'] };
  }
  return { file: path.join(path.dirname(here), `${name}.js`), execArgv: [] };
}

/** Linux only: CPU time (user + system) a process has used so far, in ms; undefined elsewhere. */
export function procCpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11] = utime, fields[12] = stime (clock ticks; 100 per second on Linux)
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

function readVmHwm(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(status);
    return m?.[1] ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What `npm start` gives the server (package.json's start script; README "Configuration"): a
 * bounded V8 old space and two malloc arenas. The bench measures the server as it is started.
 */
export const START_DEFAULTS = { maxHeapMb: 128, mallocArenaMax: 2 } as const;

/**
 * Node flags for the server process only: BENCH_SERVER_NODE_OPTIONS when set (e.g.
 * `--max-old-space-size=512`), else `npm start`'s heap bound (MAX_HEAP_MB, as there).
 */
export function serverNodeFlags(): string[] {
  const given = process.env.BENCH_SERVER_NODE_OPTIONS;
  if (given !== undefined) return given.split(/\s+/).filter(Boolean);
  return [`--max-old-space-size=${process.env.MAX_HEAP_MB ?? START_DEFAULTS.maxHeapMb}`];
}

export async function startServer(opts: StartOptions): Promise<ServerProcess> {
  const password = opts.adminPassword ?? 'bench-admin-pass';
  const logFile = path.join(opts.dataDir, 'server.log');
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const logFd = fs.openSync(logFile, 'a');
  const script = childScript('server-child');
  const child: ChildProcess = fork(script.file, [], {
    env: {
      MALLOC_ARENA_MAX: String(START_DEFAULTS.mallocArenaMax),
      ...process.env,
      DATA_DIR: opts.dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      ADMIN_PASSWORD: password,
      AT_API_URL: opts.atApiUrl,
      LOG_LEVEL: opts.logLevel ?? process.env.BENCH_LOG_LEVEL ?? 'info',
      COUCH_URL: opts.couchUrl ?? '',
    },
    execArgv: [...script.execArgv, ...serverNodeFlags(), ...(opts.execArgv ?? [])],
    stdio: ['ignore', logFd, logFd, 'ipc'],
  });
  fs.closeSync(logFd);

  let peak = 0;
  let window = 0;
  let hwm: number | undefined;
  let nextId = 1;
  const waiting = new Map<number, (msg: Record<string, unknown>) => void>();
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );

  const port = await new Promise<number>((resolve, reject) => {
    child.on('message', (msg: Record<string, unknown>) => {
      if (msg.type === 'ready') resolve(msg.port as number);
      else if (msg.type === 'rss') {
        const rss = msg.rss as number;
        if (rss > peak) peak = rss;
        if (rss > window) window = rss;
      } else if (msg.type === 'reply') {
        const cb = waiting.get(msg.id as number);
        waiting.delete(msg.id as number);
        cb?.(msg);
      }
    });
    child.once('exit', (code) =>
      reject(new Error(`bench server exited (${code}) before it was ready; see ${logFile}:\n${tail(logFile)}`)),
    );
  });

  const ask = (cmd: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      if (exited || !child.connected) return reject(new Error('bench server is not running'));
      const id = nextId++;
      waiting.set(id, (msg) => (msg.error ? reject(new Error(String(msg.error))) : resolve(msg)));
      child.send({ cmd, id });
    });

  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid as number,
    dataDir: opts.dataDir,
    logFile,
    adminAuth: opts.adminAuth ?? `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`,
    peakRss: () => peak,
    windowPeak: () => window,
    resetPeak: () => {
      window = 0;
    },
    vmHwm: () => (exited ? hwm : readVmHwm(child.pid as number)),
    stats: async () => (await ask('stats')) as unknown as ServerStats,
    sweep: async () => (await ask('sweep')).ms as number,
    stop: async () => {
      if (exited) return;
      hwm = readVmHwm(child.pid as number);
      const closed = ask('close').catch(() => undefined);
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await Promise.race([closed.then(() => exit), exit]);
      clearTimeout(timer);
    },
  };
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

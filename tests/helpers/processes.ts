/**
 * Real processes for end-to-end tests: the server as `npm start` / `node dist/...` and the AT
 * simulator through its CLI. Both are built by `npm test` before mocha runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../shared-libs/couch/index.js';

export interface Proc {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first stdout/stderr line matching the pattern. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startProcess(command: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(command, args, {
    cwd: projectRoot(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer): void => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return {
    child,
    output: () => out,
    waitFor(pattern, ms = 60_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = out.match(pattern);
          if (m) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern} in output:\n${out.slice(-3000)}`));
        }, ms);
        listeners.add(check);
        child.once('exit', (code) => {
          if (!out.match(pattern)) {
            clearTimeout(timer);
            reject(new Error(`process exited (${code}) before ${pattern}:\n${out.slice(-3000)}`));
          }
        });
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export const distPath = (...p: string[]): string => path.join(projectRoot(), 'dist', ...p);

/** The AT simulator CLI as a real process; resolves its URL from the first line it prints. */
export async function startSimulatorProcess(
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<Proc & { url: string }> {
  const proc = startProcess(
    process.execPath,
    [distPath('shared-libs', 'at-simulator', 'cli.js'), '--port', '0', '--quiet', ...args],
    env,
  );
  const m = await proc
    .waitFor(/AT simulator listening on (http:\/\/127\.0\.0\.1:\d+)/, 20_000)
    .catch(async (err: unknown) => {
      await proc.stop('SIGKILL');
      throw err;
    });
  return Object.assign(proc, { url: m[1] as string });
}

/** The server as a real process on the built code; resolves its URL from its log line. */
export async function startServerProcess(
  env: Record<string, string>,
  opts: { viaNpm?: boolean } = {},
): Promise<Proc & { url: string }> {
  const proc = opts.viaNpm
    ? startProcess('npm', ['start', '--silent'], env)
    : startProcess(process.execPath, [distPath('api', 'src', 'main.js')], env);
  // A server that never says it is listening must not outlive the test that started it.
  const m = await proc.waitFor(/"port":(\d+)[^\n]*listening on/, 120_000).catch(async (err: unknown) => {
    await proc.stop('SIGKILL');
    throw err;
  });
  return Object.assign(proc, { url: `http://127.0.0.1:${m[1] as string}` });
}

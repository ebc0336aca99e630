/**
 * Load generation and small statistics: a closed loop (each of C workers sends its next request
 * when its last one answers, over keep-alive connections), admin API calls, percentiles.
 */
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function summarize(values: number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s[s.length - 1] ?? Number.NaN,
  };
}

export interface ClosedLoopResult {
  ms: number;
  latencies: number[];
  statuses: Map<number, number>;
  /** Parsed JSON bodies, in request order. */
  bodies: unknown[];
  errors: number;
}

/** Sends every body of `bodies` as a form POST to `url`, `concurrency` at a time. */
export async function closedLoop(url: string, bodies: string[], concurrency: number): Promise<ClosedLoopResult> {
  const agent = new Agent({ connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const latencies = new Array<number>(bodies.length);
  const out = new Array<unknown>(bodies.length);
  const statuses = new Map<number, number>();
  let errors = 0;
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= bodies.length) return;
      const started = performance.now();
      try {
        const res = await request(url, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: bodies[i],
        });
        const text = await res.body.text();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        try {
          out[i] = JSON.parse(text);
        } catch {
          out[i] = text;
        }
      } catch (err) {
        errors++;
        out[i] = { error: err instanceof Error ? err.message : String(err) };
      }
      latencies[i] = performance.now() - started;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  const ms = performance.now() - t0;
  await agent.close();
  return { ms, latencies, statuses, bodies: out, errors };
}

export interface ApiTarget {
  url: string;
  adminAuth: string;
}

/** One admin API call with JSON (or text/plain for a string body); throws on non-2xx. */
export async function api<T = unknown>(
  target: ApiTarget,
  method: string,
  pathname: string,
  body?: unknown,
): Promise<T> {
  const isString = typeof body === 'string';
  const res = await fetch(`${target.url}${pathname}`, {
    method,
    headers: {
      authorization: target.adminAuth,
      ...(body !== undefined ? { 'content-type': isString ? 'text/plain' : 'application/json' } : {}),
    },
    body: body === undefined ? undefined : isString ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${pathname} → ${res.status}: ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every `every` ms until it returns true or `ms` passes; returns whether it did. */
export async function waitUntil(check: () => Promise<boolean> | boolean, ms: number, every = 20): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await sleep(every);
  }
}

export const mb = (bytes: number): number => Math.round((bytes / (1024 * 1024)) * 10) / 10;

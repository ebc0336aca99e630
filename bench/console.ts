/**
 * BENCH_ONLY=console: time to first render of the console's Due tab over a store of 100,000
 * messages. The server's side is measured as the page asks: the page and its files, the
 * session, then the Due listing and the counts (what the tab needs to show its rows and badges)
 * in parallel with the header's figures. With Debian's chromium present, the same is also timed
 * in a real browser, from navigation to the first row on screen.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../shared-libs/couch/index.js';
import type { MessageDoc, MessageState, Task } from '../shared-libs/task-utils/types.js';
import { startServer } from './child.js';
import { sleep, summarize, waitUntil, type Summary } from './load.js';
import { kenyanNumber, openStore } from './store.js';
import { tempDir } from './scenarios.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DUE_STATES = [
  'pending',
  'forwarded-to-gateway',
  'received-by-gateway',
  'forwarded-by-gateway',
  'unrecognised',
  'received',
];
const STATIC_FILES = [
  'console.css',
  'app.js',
  'api.js',
  'bulk.js',
  'chart.js',
  'dom.js',
  'header.js',
  'list-view.js',
  'message-view.js',
  'strings.js',
  'tabs.js',
  'icon.svg',
];
const DUE_REQUESTS = {
  listing: `/api/v1/messages?direction=outgoing&state=${DUE_STATES.join('%2C')}&limit=50`,
  counts: '/api/v1/messages/counts',
};
const HEADER_REQUESTS = {
  channel: '/api/v1/sms/channel',
  activity: '/api/v1/sms/activity?minutes=60',
  settings: '/api/v1/settings',
};

export interface ConsoleRun {
  /** Page + files + session + Due listing and counts: the Due tab's rows and badges on screen. */
  dueTabMs: number;
  /** Then the header's figures (the page asks for them after the tab): until they have answered. */
  allMs: number;
  requestMs: Record<string, number>;
}

export interface ConsoleResult {
  store: string;
  storeSize: number;
  dueMessages: number;
  preloadMs: number;
  /** Server start until the listings answer (first start over the store: index built). */
  readyMs: number;
  cold: ConsoleRun;
  warm: { dueTab: Summary; all: Summary; requests: Record<string, Summary> };
  browserMs?: number[];
  browserSkipped?: string;
  peakRssBytes: number;
}

/** The mix of a working deployment: mostly sent and delivered, a backlog due, some failed, scheduled, muted. */
function stateOf(i: number): { state: MessageState; scheduled?: boolean } {
  const r = i % 100;
  if (r < 10) return { state: 'pending' };
  if (r < 12) return { state: 'forwarded-by-gateway' };
  if (r < 17) return { state: 'failed' };
  if (r < 20) return { state: 'scheduled', scheduled: true };
  if (r < 22) return { state: 'denied' };
  if (r < 60) return { state: 'delivered' };
  return { state: 'sent' };
}

async function preload(db: Db, n: number): Promise<number> {
  const now = Date.now();
  const span = 30 * 86_400_000;
  let due = 0;
  for (let start = 0; start < n; start += 1000) {
    const docs: MessageDoc[] = [];
    for (let i = start; i < Math.min(n, start + 1000); i++) {
      const { state, scheduled } = stateOf(i);
      if (DUE_STATES.includes(state)) due++;
      const created = now - span + Math.floor((i / n) * span);
      const at = new Date(created).toISOString();
      const uuid = uuidv7();
      const task: Task = {
        messages: [
          { uuid, to: kenyanNumber(i), message: `Console bench message ${i}: please visit the clinic on Tuesday.` },
        ],
        state,
        state_history: [
          { state: 'pending', timestamp: at },
          ...(state === 'pending' ? [] : [{ state, timestamp: new Date(created + 500).toISOString() }]),
        ],
        ...(scheduled ? { due: new Date(now + 86_400_000 + i).toISOString() } : {}),
      };
      docs.push({
        _id: uuidv7(),
        type: 'data_record',
        form: null,
        kujua_message: true,
        sent_by: 'bench',
        reported_date: created,
        errors: [],
        ...(scheduled ? { scheduled_tasks: [task] } : { tasks: [task] }),
      });
    }
    const res = await db.bulkDocs(docs as unknown as PouchDB.Core.PutDocument<object>[]);
    if (res.some((r) => 'error' in r && r.error)) throw new Error('console bench: preload write failed');
  }
  return due;
}

async function timed(url: string, headers: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url, { headers });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${url} → ${res.status}`);
  return performance.now() - t0;
}

/**
 * One first render, as the page makes its requests: the page, its files, the session, then the
 * Due listing and the counts in parallel, then the header's figures. Not /api/v2/monitoring (the
 * header's oldest-pending age and cost): on the embedded store its first call after a start
 * builds PouchDB views over the whole store (minutes at 100,000 messages), which is not the
 * console's cost, and the page asks for it only after the tab has rendered.
 */
async function firstRender(base: string, cookie: string): Promise<ConsoleRun> {
  const headers = { cookie, 'x-requested-with': 'bench' };
  const requestMs: Record<string, number> = {};
  const t0 = performance.now();
  requestMs.page = await timed(`${base}/console/`, headers);
  const files = await Promise.all(STATIC_FILES.map((f) => timed(`${base}/console/${f}`, headers)));
  requestMs.files = Math.max(...files);
  requestMs.session = await timed(`${base}/console/api/session`, headers);
  const ask = (entries: Record<string, string>) =>
    Promise.all(
      Object.entries(entries).map(async ([name, path]) => {
        requestMs[name] = await timed(`${base}${path}`, headers);
      }),
    );
  await ask(DUE_REQUESTS);
  const dueTabMs = performance.now() - t0;
  await ask(HEADER_REQUESTS);
  return { dueTabMs, allMs: performance.now() - t0, requestMs };
}

async function signIn(base: string, password: string): Promise<string> {
  const res = await fetch(`${base}/console/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify({ user: 'admin', password }),
  });
  if (!res.ok) throw new Error(`console sign-in → ${res.status}`);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

/** Navigation to the first Due row on screen, in Debian's chromium (signed in by cookie). */
async function browserRenders(base: string, cookie: string, runs: number): Promise<number[]> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const context = await browser.newContext();
    const [name, value] = cookie.split('=') as [string, string];
    await context.addCookies([{ name, value, url: base }]);
    const out: number[] = [];
    for (let i = 0; i < runs; i++) {
      const page = await context.newPage();
      const t0 = performance.now();
      await page.goto(`${base}/console/#due`, { waitUntil: 'commit' });
      await page.locator('#messages tbody tr').first().waitFor({ timeout: 60_000 });
      out.push(performance.now() - t0);
      await page.close();
    }
    return out;
  } finally {
    await browser.close();
  }
}

export async function consoleScenario(opts: { storeSize: number; warmRuns?: number }): Promise<ConsoleResult> {
  const dataDir = tempDir('console');
  const t0 = performance.now();
  const dbs = await openStore({ dataDir });
  const dueMessages = await preload(dbs.medic, opts.storeSize);
  await dbs.close();
  const preloadMs = performance.now() - t0;

  const password = 'bench-console-pass';
  // No provider configured: the default service (medic-gateway) waits for a gateway to poll, so
  // the Due backlog stays as preloaded.
  const server = await startServer({ dataDir, atApiUrl: 'http://127.0.0.1:9', adminPassword: password });
  try {
    const started = performance.now();
    let ready = false;
    await waitUntil(
      async () => {
        const res = await fetch(`${server.url}${DUE_REQUESTS.counts}`, {
          headers: { authorization: server.adminAuth },
        }).catch(() => undefined);
        await res?.arrayBuffer();
        ready = res?.status === 200;
        return ready;
      },
      600_000,
      250,
    );
    if (!ready) throw new Error('the listings never answered 200 (index not built within 10 minutes)');
    const readyMs = performance.now() - started;
    const cookie = await signIn(server.url, password);
    const cold = await firstRender(server.url, cookie);
    const warmRuns: ConsoleRun[] = [];
    for (let i = 0; i < (opts.warmRuns ?? 10); i++) {
      await sleep(100);
      warmRuns.push(await firstRender(server.url, cookie));
    }
    const names = Object.keys(cold.requestMs);
    let browserMs: number[] | undefined;
    let browserSkipped: string | undefined;
    if (fs.existsSync(CHROMIUM)) browserMs = await browserRenders(server.url, cookie, 5);
    else browserSkipped = `no chromium at ${CHROMIUM}`;
    return {
      store: 'embedded (LevelDB)',
      storeSize: opts.storeSize,
      dueMessages,
      preloadMs,
      readyMs,
      cold,
      warm: {
        dueTab: summarize(warmRuns.map((r) => r.dueTabMs)),
        all: summarize(warmRuns.map((r) => r.allMs)),
        requests: Object.fromEntries(names.map((n) => [n, summarize(warmRuns.map((r) => r.requestMs[n] ?? 0))])),
      },
      ...(browserMs ? { browserMs } : {}),
      ...(browserSkipped ? { browserSkipped } : {}),
      peakRssBytes: server.peakRss(),
    };
  } finally {
    await server.stop();
  }
}

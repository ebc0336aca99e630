/**
 * For the console's browser tests: Debian's chromium driven by playwright-core (no browser
 * download), and messages stored as CHT's writers store them, in every state the tabs show.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../../shared-libs/couch/index.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumAvailable(): boolean {
  return fs.existsSync(CHROMIUM);
}

/** A fresh browser profile in a temporary folder; close() removes it. */
export async function launchChromium(
  viewport = { width: 1280, height: 900 },
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cht-sms-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport,
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Where screenshots go: outside the checkout. */
export function screenshotDir(): string {
  const dir = path.join(os.tmpdir(), 'cht-sms-console-screenshots');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

const HOUR = 3600_000;

export interface SeedMessage {
  to: string;
  message: string;
  state: string;
  /** Due time (ms); the doc's reported_date too unless scheduled. */
  due: number;
  /** When the state was last set (ms); defaults to `due`. */
  updated?: number;
  details?: string;
  /** Stored as a scheduled task (CHT's scheduled_tasks) rather than a task. */
  scheduled?: boolean;
}

/** One CHT outgoing message doc; returns the message uuid. */
export function messageDoc(m: SeedMessage): { doc: Record<string, unknown>; uuid: string } {
  const uuid = uuidv7();
  const updated = new Date(m.updated ?? m.due).toISOString();
  const task: Record<string, unknown> = {
    messages: [{ uuid, to: m.to, message: m.message }],
    state: m.state,
    state_history: [
      ...(m.state !== 'pending' && m.state !== 'scheduled'
        ? [
            {
              state: m.scheduled ? 'scheduled' : 'pending',
              timestamp: new Date(Math.min(m.due, m.updated ?? m.due) - 1000).toISOString(),
            },
          ]
        : []),
      { state: m.state, ...(m.details ? { state_details: m.details } : {}), timestamp: updated },
    ],
    ...(m.details ? { state_details: m.details } : {}),
    ...(m.scheduled ? { due: new Date(m.due).toISOString() } : {}),
  };
  const reported = m.scheduled ? Math.min(Date.now(), m.due) - HOUR : m.due;
  const doc = {
    _id: uuidv7(),
    type: 'data_record',
    form: null,
    kujua_message: true,
    reported_date: reported,
    ...(m.scheduled ? { scheduled_tasks: [task] } : { tasks: [task] }),
  };
  return { doc, uuid };
}

export async function seed(db: Db, messages: SeedMessage[]): Promise<string[]> {
  const docs = messages.map(messageDoc);
  await db.bulkDocs(docs.map((d) => d.doc) as unknown as PouchDB.Core.PutDocument<object>[]);
  return docs.map((d) => d.uuid);
}

/** The store the tab tests read: a few messages per tab, some with hostile text. */
export function tabFixtures(now = Date.now()): Record<string, SeedMessage[]> {
  const minute = 60_000;
  return {
    scheduled: [
      {
        to: '+254700100001',
        message: 'Scheduled visit reminder',
        state: 'scheduled',
        due: now + 48 * HOUR,
        scheduled: true,
      },
      {
        to: '+254700100002',
        message: 'Scheduled follow-up',
        state: 'scheduled',
        due: now + 72 * HOUR,
        scheduled: true,
      },
    ],
    due: [
      { to: '+254700200001', message: 'Waiting for a while', state: 'pending', due: now - 30 * minute },
      { to: '+254700200002', message: 'Just queued', state: 'pending', due: now - 10_000 },
      { to: '+254700200003', message: '<img src=x onerror=alert(1)>', state: 'pending', due: now - 20_000 },
      {
        to: '+254700200004',
        message: '<script>alert("due")</script>',
        state: 'forwarded-by-gateway',
        due: now - 40_000,
      },
    ],
    will_not_send: [
      { to: '+254700300001', message: 'Muted before its time', state: 'muted', due: now + 24 * HOUR, scheduled: true },
    ],
    did_not_send: [
      { to: '+254700400001', message: 'Denied number', state: 'denied', due: now - 2 * HOUR, details: 'deny list' },
      { to: '+254700400002', message: 'Duplicate text', state: 'duplicate', due: now - 3 * HOUR },
    ],
    failed: [
      {
        to: '+254700500001',
        message: 'Failed once, retry me',
        state: 'failed',
        due: now - HOUR,
        details: 'InvalidSenderId',
      },
    ],
    stuck: [
      {
        to: '+254700600001',
        message: 'No report since yesterday',
        state: 'sent',
        due: now - 49 * HOUR,
        updated: now - 48 * HOUR,
      },
    ],
  };
}

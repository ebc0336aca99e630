/**
 * The exchange log's storage (api/src/observability/exchanges.ts): exchanges recorded together
 * share a document, yet listing stays exact (newest first by `at`, `since` and `limit`), a
 * message's exchanges are found through the index's rows for its documents, bodies split
 * documents before they grow large, one-exchange documents of earlier releases are read alike,
 * and pruning counts exchanges.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pino from 'pino';
import PouchDB from 'pouchdb';
import { indexRows, PREFIX } from '../../../api/src/listings/rows.js';
import { ExchangeLog, type ExchangeInput, type ExchangeView } from '../../../api/src/observability/exchanges.js';
import type { MessageDoc } from '../../../shared-libs/task-utils/types.js';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');

describe('exchange log storage: batched documents, exact listings', function () {
  let dir: string;
  let db: PouchDB.Database;
  let log: ExchangeLog;
  let now = T0;

  /** The message index's x: rows, rebuilt from every doc (what listings/rows.ts makes of them). */
  async function exchangesOf(messageId: string): Promise<string[]> {
    const all = await db.allDocs({ include_docs: true });
    const prefix = PREFIX.exchange(messageId);
    return all.rows
      .flatMap((r) => indexRows(r.doc as unknown as MessageDoc))
      .filter((row) => row.key.startsWith(prefix))
      .sort((a, b) => (a.key < b.key ? -1 : 1))
      .map((row) => row.d);
  }

  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exchange-log-'));
    db = new PouchDB(path.join(dir, 'medic'));
    now = T0;
    log = new ExchangeLog(db, {
      now: () => new Date(now),
      days: () => 7,
      secrets: () => Promise.resolve(['s3cret-key']),
      logger: pino({ level: 'silent' }),
      exchangesOf: (id) => exchangesOf(id),
    });
  });
  afterEach(async function () {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const input = (atMs: number, messageIds: string[], body = 'x'): ExchangeInput => ({
    direction: 'incoming',
    service: 'africas-talking',
    at: new Date(atMs),
    method: 'POST',
    url: '/api/v1/sms/africastalking/delivery-reports',
    status: 200,
    elapsedMs: 1.4,
    requestBody: body,
    messageIds,
  });

  /** Records these now, as one burst (the first is written alone, the rest wait and share). */
  async function burst(inputs: ExchangeInput[]): Promise<void> {
    for (const i of inputs) log.record(i);
    await log.flush();
  }

  async function docs(): Promise<Array<{ _id: string; type: string; exchanges?: unknown[] }>> {
    const all = await db.allDocs({ include_docs: true, startkey: 'sms-exchange:', endkey: 'sms-exchange:\ufff0' });
    return all.rows.map((r) => r.doc as unknown as { _id: string; type: string; exchanges?: unknown[] });
  }

  it('exchanges recorded together share documents; every one is listed once, newest first', async function () {
    // `at` out of order within and across batches (a slow request is recorded after faster ones).
    const times = Array.from({ length: 300 }, (_, i) => T0 + ((i * 7919) % 300) * 1000);
    await burst(times.slice(0, 150).map((t, i) => input(t, [`m-${i % 10}`])));
    await burst(times.slice(150).map((t, i) => input(t, [`m-${i % 10}`])));
    const stored = await docs();
    expect(stored.length, 'documents for 300 exchanges').to.be.at.most(6);
    expect(stored.every((d) => d.type === 'sms_exchanges')).to.equal(true);

    const all = await log.list({ limit: 1000 });
    expect(all).to.have.length(300);
    expect(new Set(all.map((e) => e.id)).size).to.equal(300);
    const ats = all.map((e) => e.at);
    expect(ats).to.deep.equal([...ats].sort().reverse());
    for (const limit of [1, 2, 7, 50, 149, 151, 299]) {
      expect(
        (await log.list({ limit })).map((e) => e.id),
        `limit ${limit}`,
      ).to.deep.equal(all.slice(0, limit).map((e) => e.id));
    }
    expect(await log.list({ limit: 0 })).to.deep.equal([]);
    const since = new Date(T0 + 123_000);
    expect((await log.list({ since, limit: 1000 })).map((e) => e.id)).to.deep.equal(
      all.filter((e) => e.at >= since.toISOString()).map((e) => e.id),
    );
  });

  it("a message's exchanges, oldest first, from the documents the index names", async function () {
    await burst([input(T0 + 5000, ['a']), input(T0 + 1000, ['b'])]);
    await burst([input(T0 + 3000, ['a', 'b']), input(T0 + 2000, ['a']), input(T0 + 4000, ['c'])]);
    const ofA = await log.forMessage('a');
    expect(ofA.map((e) => e.at)).to.deep.equal([T0 + 2000, T0 + 3000, T0 + 5000].map((t) => new Date(t).toISOString()));
    expect(ofA.every((e: ExchangeView) => e.message_ids.includes('a'))).to.equal(true);
    expect((await log.forMessage('c')).map((e) => e.message_ids)).to.deep.equal([['c']]);
    expect(await log.forMessage('nobody')).to.deep.equal([]);
  });

  it('large bodies split a batch into documents of about 1 MB; secrets are redacted in each', async function () {
    // Bodies are kept to 16 KB each (exchange-redaction.ts): 151 of them are about 2.4 MB.
    const big = 'k'.repeat(20_000);
    await burst(Array.from({ length: 151 }, (_, i) => input(T0 + i, [`m-${i}`], `key=s3cret-key ${big}`)));
    const stored = await docs();
    expect(stored.length).to.be.at.least(3);
    for (const d of stored) expect(JSON.stringify(d).length).to.be.below(1_100_000);
    expect(JSON.stringify(stored)).to.not.include('s3cret-key');
    expect(await log.list({ limit: 1000 })).to.have.length(151);
  });

  it('many documents: listing, a message and pruning read them a page at a time and miss none', async function () {
    // One exchange per document (each flushed alone): 60 documents, more than a page of any read.
    for (let i = 0; i < 60; i++) await burst([input(T0 + ((i * 37) % 60) * 1000, ['a', `m-${i}`])]);
    expect(await docs()).to.have.length(60);
    const all = await log.list({ limit: 1000 });
    expect(all).to.have.length(60);
    expect(all.map((e) => e.at)).to.deep.equal(
      all
        .map((e) => e.at)
        .sort()
        .reverse(),
    );
    expect((await log.list({ limit: 30 })).map((e) => e.id)).to.deep.equal(all.slice(0, 30).map((e) => e.id));
    const ofA = await log.forMessage('a');
    expect(ofA.map((e) => e.id)).to.deep.equal([...all].reverse().map((e) => e.id));
    now = T0 + 8 * 86_400_000;
    expect(await log.prune()).to.equal(60);
    expect(await docs()).to.deep.equal([]);
  });

  it('reads, lists and prunes one-exchange documents of earlier releases beside batches', async function () {
    const at = new Date(T0 + 500).toISOString();
    await db.put({
      _id: `sms-exchange:${at}:0a0b0c0d`,
      type: 'sms_exchange',
      direction: 'outgoing',
      at,
      method: 'POST',
      url: 'https://api.africastalking.com/version1/messaging',
      status: 201,
      elapsed_ms: 40,
      message_ids: ['a'],
    });
    await db.put({ _id: `sms-exchange-msg:a:${at}:0a0b0c0d` });
    await burst([input(T0 + 1000, ['a']), input(T0 + 100, ['a'])]);
    expect((await log.list({ limit: 10 })).map((e) => e.id)).to.include(`${at}:0a0b0c0d`);
    expect((await log.forMessage('a')).map((e) => e.at)).to.deep.equal(
      [T0 + 100, T0 + 500, T0 + 1000].map((t) => new Date(t).toISOString()),
    );

    now = T0 + 8 * 86_400_000;
    expect(await log.prune(), 'exchanges pruned').to.equal(3);
    expect(await docs()).to.deep.equal([]);
    expect((await db.allDocs({ startkey: 'sms-exchange-msg:', endkey: 'sms-exchange-msg:\ufff0' })).rows).to.deep.equal(
      [],
    );
  });
});

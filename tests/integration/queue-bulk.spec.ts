/**
 * POST /api/v1/messages/bulk on both stores: every filter's dry-run count, then real runs whose
 * counts match what is stored, over more messages than one page (paging without skipping or
 * counting twice, also with a small page and a task of several messages). Pull mode, so nothing
 * is sent behind the test's back.
 */
import { expect } from 'chai';
import pino from 'pino';
import { QueueActions } from '../../api/src/messages/actions.js';
import { BulkQueueActions } from '../../api/src/messages/bulk-actions.js';
import { DocUpdater } from '../../api/src/store/doc-updater.js';
import { queuedDoc, type QueuedFixture } from '../helpers/queue-fixtures.js';
import { onEachStore } from '../helpers/stores.js';
import { api, eventually, type TestServer } from '../helpers/test-server.js';
import type { Task } from '../../shared-libs/task-utils/types.js';

const DAY = 24 * 3600_000;
const at = (ms: number): string => new Date(ms).toISOString();
const T0 = Date.now() + 2 * DAY;

const SCHEDULED_A = 450;
/** Scheduled messages in all: 450 + 5 + a task of two. */
const ALL_SCHEDULED = SCHEDULED_A + 5 + 2;

/** 450 scheduled for one number (due T0 + i minutes), 5 for another (due T0 + 3 days), and others. */
function seed(): QueuedFixture[] {
  const out: QueuedFixture[] = [];
  for (let i = 0; i < SCHEDULED_A; i++) out.push({ state: 'scheduled', to: '+254711000001', due: at(T0 + i * 60_000) });
  for (let i = 0; i < 5; i++) out.push({ state: 'scheduled', to: '+254722000002', due: at(T0 + 3 * DAY) });
  out.push({ state: 'scheduled', to: '+254733000003', due: at(T0 + 4 * DAY), extraRecipients: ['+254733000004'] });
  for (let i = 0; i < 3; i++) out.push({ state: 'failed', task: { state_details: 'Rejected: InvalidPhoneNumber' } });
  const gaveUp = 'HTTP 502 (gave up after 10 attempts)';
  for (let i = 0; i < 2; i++) out.push({ state: 'failed', task: { state_details: gaveUp } });
  for (let i = 0; i < 2; i++) {
    const error = { code: 'http_503', message: 'HTTP 503', at: at(Date.now()) };
    out.push({ state: 'pending', task: { attempts: 2, next_attempt_at: at(Date.now() + DAY), last_error: error } });
  }
  out.push({ state: 'delivered' }, { state: 'sent' });
  return out;
}

const retryWith = (reason: string) => ({ action: 'retry', filter: { reason } });

async function bulk(server: TestServer, body: unknown): Promise<{ status: number; body: unknown; text: string }> {
  return api(server, 'POST', '/api/v1/messages/bulk', body);
}

/** Messages per state, read with allDocs (a view would first have to index the whole store). */
async function countByState(server: TestServer, state: string): Promise<number> {
  const res = await server.dbs.medic.allDocs({ include_docs: true });
  const docs = res.rows.map((r) => r.doc as unknown as { tasks?: Task[]; scheduled_tasks?: Task[] } | undefined);
  const tasks = docs.flatMap((d) => [...(d?.tasks ?? []), ...(d?.scheduled_tasks ?? [])]);
  return tasks.filter((t) => t.state === state).reduce((n, t) => n + (t.messages?.length ?? 0), 0);
}

const openWorkEntries = (server: TestServer): Promise<number> => server.openWork.count();

onEachStore((s) => {
  describe('bulk queue actions', function () {
    this.timeout(120_000);
    before(async function () {
      expect((await api(s.server, 'PUT', '/api/v1/settings', { default_country_code: '254' })).status).to.equal(200);
      const docs = seed().map((f) => queuedDoc(f).doc);
      await s.server.dbs.medic.bulkDocs(docs);
      // The outbox indexes open work from the changes feed; bulk actions read that index.
      const open = SCHEDULED_A + 5 + 1 + 2;
      await eventually(async () => (await openWorkEntries(s.server)) === open, 30_000);
    });

    const dryRuns: Array<{ name: string; body: Record<string, unknown>; matched: number }> = [
      { name: 'cancel, no filter: all pending and scheduled', body: { action: 'cancel' }, matched: ALL_SCHEDULED + 2 },
      { name: 'cancel scheduled', body: { action: 'cancel', filter: { state: 'scheduled' } }, matched: ALL_SCHEDULED },
      {
        name: 'cancel scheduled to one number (any format)',
        body: { action: 'cancel', filter: { state: 'scheduled', to: '0722 000 002' } },
        matched: 5,
      },
      {
        name: 'cancel scheduled due before a time (a key range)',
        body: { action: 'cancel', filter: { state: 'scheduled', due_before: at(T0 + 100 * 60_000) } },
        matched: 100,
      },
      { name: 'retry, no filter: failed and backing off', body: { action: 'retry' }, matched: 5 + 2 },
      { name: 'retry, reason in the details (any case)', body: retryWith('invalidphone'), matched: 3 },
      { name: 'retry, reason in the last error', body: retryWith('http_503'), matched: 2 },
      { name: 'retry, a reason nobody has', body: retryWith('no such reason'), matched: 0 },
    ];
    for (const row of dryRuns) {
      it(`dry run: ${row.name} → matched ${row.matched}, nothing changed`, async function () {
        const res = await bulk(s.server, { ...row.body, dry_run: true });
        expect(res.status, res.text).to.equal(200);
        expect(res.body).to.deep.equal({ matched: row.matched, changed: 0 });
        expect(await countByState(s.server, 'cleared')).to.equal(0);
        expect(await countByState(s.server, 'failed')).to.equal(5);
      });
    }

    it('a page of 7 counts the same as the server (no row skipped or counted twice)', async function () {
      const db = s.server.dbs.medic;
      const logger = pino({ level: 'silent' });
      const actions = new QueueActions({
        updater: new DocUpdater(db, logger),
        docIdFor: async () => undefined,
        settings: () => s.server.settings.get(),
        now: () => new Date(),
        requeue: () => undefined,
      });
      const small = new BulkQueueActions({
        db,
        openWork: s.server.openWork,
        actions,
        settings: () => s.server.settings.get(),
        now: () => new Date(),
        logger,
        pageSize: 7,
      });
      for (const row of [dryRuns[0], dryRuns[3], dryRuns[4], dryRuns[5]].map((r) => r as (typeof dryRuns)[number])) {
        const body = { filter: {}, ...row.body, dry_run: true } as Parameters<BulkQueueActions['run']>[0];
        expect(await small.run(body, 'test'), row.name).to.deep.equal({ matched: row.matched, changed: 0 });
      }
    });

    const refused: Array<[string, unknown, RegExp]> = [
      [
        'a state the action does not apply to',
        { action: 'cancel', filter: { state: 'failed' } },
        /filter\.state: cancel applies to pending or scheduled/,
      ],
      ['an unknown action', { action: 'delete' }, /^action: must be "retry" or "cancel"/],
      ['a misspelt dry_run', { action: 'cancel', dryrun: true }, /dryrun|Unrecognized/i],
      ['dry_run not a boolean', { action: 'cancel', dry_run: 'yes' }, /^dry_run:/],
      ['a bad due_before', { action: 'cancel', filter: { due_before: 'tomorrow' } }, /^filter\.due_before: must be/],
      ['an unknown filter', { action: 'cancel', filter: { number: '+254' } }, /filter|Unrecognized/i],
    ];
    for (const [name, body, error] of refused) {
      it(`${name} → 400, nothing changed`, async function () {
        const res = await bulk(s.server, body);
        expect(res.status, res.text).to.equal(400);
        expect((res.body as { error: string }).error).to.match(error);
        expect(await countByState(s.server, 'cleared')).to.equal(0);
      });
    }

    it('cancel for real: counts what it wrote, every one ends cleared, a second run finds none', async function () {
      const filter = { state: 'scheduled', to: '+254711000001' };
      const res = await bulk(s.server, { action: 'cancel', filter, dry_run: false });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({ matched: SCHEDULED_A, changed: SCHEDULED_A });
      expect(await countByState(s.server, 'cleared')).to.equal(SCHEDULED_A);
      expect(await countByState(s.server, 'scheduled')).to.equal(5 + 2);
      expect((await bulk(s.server, { action: 'cancel', filter })).body).to.deep.equal({ matched: 0, changed: 0 });
      expect(await openWorkEntries(s.server), 'cancelled messages leave the outbox index').to.equal(5 + 1 + 2);
      const all = await s.server.dbs.medic.allDocs({ include_docs: true });
      const cleared = all.rows
        .map((r) => (r.doc as unknown as { scheduled_tasks?: Task[] }).scheduled_tasks?.[0])
        .find((t) => t?.state === 'cleared');
      expect(cleared?.state_history?.at(-1)?.state_details).to.match(/^Cancelled by .+ \(bulk\)$/);
      expect(cleared?.state_history?.at(-1)?.user).to.be.a('string').and.not.equal('');
    });

    it('a task of two messages changes once and counts both', async function () {
      const res = await bulk(s.server, { action: 'cancel', filter: { to: '+254733000003' } });
      expect(res.body).to.deep.equal({ matched: 1, changed: 1 });
      const filter = { state: 'scheduled', due_before: at(T0 + 5 * DAY) };
      const rest = await bulk(s.server, { action: 'cancel', filter, dry_run: true });
      expect(rest.body).to.deep.equal({ matched: 5, changed: 0 });
    });

    it('retry for real: failed with the reason go back to pending, the others stay failed', async function () {
      const res = await bulk(s.server, { action: 'retry', filter: { state: 'failed', reason: 'InvalidPhone' } });
      expect(res.body).to.deep.equal({ matched: 3, changed: 3 });
      expect(await countByState(s.server, 'failed')).to.equal(2);
    });
  });
});

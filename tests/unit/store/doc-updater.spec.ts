/**
 * DocUpdater with recent copies (api/src/store/recent-docs.ts): a document this server just wrote
 * is changed without a read, and a stale copy (someone else wrote since) never decides anything:
 * its write is refused and re-applied to a fresh read, and a "nothing to do" is confirmed on one.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import PouchDB from 'pouchdb';
import sinon from 'sinon';
import type { Db } from '../../../shared-libs/couch/index.js';
import type { MessageDoc } from '../../../shared-libs/task-utils/types.js';
import { DocUpdater } from '../../../api/src/store/doc-updater.js';
import { RecentDocs } from '../../../api/src/store/recent-docs.js';
import { watchWrites } from '../../../api/src/store/write-watch.js';

const message = (id: string, n = 0): MessageDoc =>
  ({ _id: id, type: 'data_record', n, tasks: [{ state: 'pending', messages: [] }] }) as unknown as MessageDoc;

const n = (doc: MessageDoc): number => (doc as unknown as { n: number }).n;

describe('DocUpdater with recent copies', function () {
  let dir: string;
  /** This server's handle: its writes are watched. */
  let db: PouchDB.Database;
  /** Someone else writing the same store (CHT, another instance): not watched. */
  let other: PouchDB.Database;
  let recent: RecentDocs;
  let updater: DocUpdater;
  let reads: sinon.SinonSpy;

  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doc-updater-'));
    db = new PouchDB(path.join(dir, 'medic'));
    other = new PouchDB(path.join(dir, 'medic'));
    recent = new RecentDocs(3);
    watchWrites(db as unknown as Db, (docs) => {
      recent.noteWritten(docs);
      return Promise.resolve();
    });
    updater = new DocUpdater(db as unknown as Db, pino({ level: 'silent' }), undefined, recent);
    reads = sinon.spy(db, 'allDocs');
  });

  afterEach(async function () {
    reads.restore();
    await db.close().catch(() => undefined);
    await other.close().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const bump = (docId: string) => ({
    docId,
    apply: (doc: MessageDoc) => {
      (doc as unknown as { n: number }).n = n(doc) + 1;
      return true;
    },
  });

  it('changes a document it just wrote without reading it, each time from the newest copy', async function () {
    await db.put(message('m1'));
    for (let i = 0; i < 3; i++) expect(await updater.update(bump('m1'))).to.deep.equal({ changed: true });
    expect(reads.callCount, 'no read').to.equal(0);
    expect(n((await db.get('m1')) as unknown as MessageDoc)).to.equal(3);
  });

  it('a stale copy: the write is refused and the change re-applied to the stored revision', async function () {
    await db.put(message('m1'));
    const stored = await other.get('m1');
    await other.put({ ...stored, n: 10, by: 'someone else' });
    expect(await updater.update(bump('m1'))).to.deep.equal({ changed: true });
    const doc = (await db.get('m1')) as unknown as MessageDoc & { by?: string };
    expect(n(doc)).to.equal(11);
    expect(doc.by).to.equal('someone else');
    expect(reads.callCount, 'one fresh read after the conflict').to.equal(1);
  });

  it('"nothing to do" on a copy is confirmed on the stored revision', async function () {
    await db.put(message('m1'));
    const stored = await other.get('m1');
    await other.put({ ...stored, n: 5 });
    const seen: number[] = [];
    const result = await updater.update({
      docId: 'm1',
      apply: (doc) => {
        seen.push(n(doc));
        if (n(doc) !== 5) return false;
        (doc as unknown as { done: boolean }).done = true;
        return true;
      },
    });
    expect(result).to.deep.equal({ changed: true });
    expect(seen, 'the copy said no, the stored revision yes').to.deep.equal([0, 5]);
    expect(((await db.get('m1')) as unknown as { done?: boolean }).done).to.equal(true);
  });

  it('a document deleted through the handle is no longer held: the update finds it missing', async function () {
    await db.put(message('m1'));
    await db.remove(await db.get('m1'));
    expect(recent.get('m1')).to.equal(undefined);
    expect(await updater.update(bump('m1'))).to.deep.equal({ changed: false, missing: true });
  });
});

describe('RecentDocs', function () {
  const written = (id: string, rev: string, doc?: Record<string, unknown>) => ({
    id,
    rev,
    ...(doc ? { doc: { _id: id, _rev: rev, ...doc } } : {}),
  });

  it('keeps documents with tasks, newest revision, a snapshot the writer cannot change', function () {
    const recent = new RecentDocs(10);
    const body = { tasks: [{ state: 'pending' }] };
    recent.noteWritten([written('a', '2-x', body), written('person', '1-y', { type: 'person' })]);
    body.tasks[0] = { state: 'sent' };
    expect(recent.get('a')).to.deep.include({ _rev: '2-x', tasks: [{ state: 'pending' }] });
    expect(recent.get('person')).to.equal(undefined);
    // An older revision told late never replaces a newer one.
    recent.noteWritten([written('a', '1-w', { tasks: [] })]);
    expect(recent.get('a')?._rev).to.equal('2-x');
    // Each copy handed out is the caller's own.
    (recent.get('a')?.tasks as unknown[]).length = 0;
    expect(recent.get('a')?.tasks).to.have.length(1);
  });

  it('is bounded: the least recently written go first', function () {
    const recent = new RecentDocs(2);
    recent.noteWritten([written('a', '1-a', { tasks: [] }), written('b', '1-b', { tasks: [] })]);
    recent.noteWritten([written('a', '2-a', { tasks: [] })]);
    recent.noteWritten([written('c', '1-c', { tasks: [] })]);
    expect(['a', 'b', 'c'].map((id) => recent.get(id)?._rev)).to.deep.equal(['2-a', undefined, '1-c']);
    expect(recent.size).to.equal(2);
  });
});

/**
 * follow(): every follower of one database shares a single live changes feed, yet each sees the
 * changes it asked for (its doc_ids, with or without docs) from its own starting point, in order,
 * each revision once; cancelling the last follower closes the feed.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import PouchDB from 'pouchdb';
import { writeSource } from '../../../api/src/store/write-watch.js';
import { followWrites } from '../../../shared-libs/couch/follow.js';
import { follow, type Follower } from '../../../shared-libs/couch/index.js';
import { eventually } from '../../helpers/test-server.js';

type Change = PouchDB.Core.ChangesResponseChange<object>;

/** Follows from `since` (with docs), writing x@2 and z@1 while the follower may still be catching up. */
async function followWhileWriting(
  db: PouchDB.Database,
  since: string | number,
): Promise<{ seen: Change[]; follower: Follower }> {
  const seen: Change[] = [];
  const follower = follow(db, { since, include_docs: true, onChange: (c) => seen.push(c) });
  const x = await db.get('x');
  await db.put({ ...x, n: 2 });
  await db.put({ _id: 'z', n: 1 });
  await eventually(async () => seen.some((c) => c.id === 'z'));
  return { seen, follower };
}

/** Each revision once, these among them (`id@generation`), never an older one of a doc after a newer. */
function expectEachRevisionOnceInOrder(seen: Change[], members: string[]): void {
  const revs = seen.map((c) => `${c.id}@${c.changes[0]?.rev.split('-')[0]}`);
  expect(new Set(revs).size).to.equal(revs.length);
  expect(revs).to.include.members(members);
  const gen = new Map<string, number>();
  for (const c of seen) {
    const g = Number.parseInt(c.changes[0]?.rev ?? '0', 10);
    expect(g).to.be.greaterThan(gen.get(c.id) ?? 0);
    gen.set(c.id, g);
  }
}

describe('shared-libs/couch follow: one shared live feed per database', function () {
  let dir: string;
  let db: PouchDB.Database;
  let liveFeeds: number;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'couch-follow-'));
    db = new PouchDB(path.join(dir, 'medic'));
    liveFeeds = 0;
    const changes = db.changes.bind(db) as (opts: PouchDB.Core.ChangesOptions) => PouchDB.Core.Changes<object>;
    (db as { changes: unknown }).changes = (opts: PouchDB.Core.ChangesOptions) => {
      if (opts.live) liveFeeds++;
      return changes(opts);
    };
  });
  afterEach(async function () {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fans one feed out to followers with their own filters and docs', async function () {
    const all: Change[] = [];
    const settings: Change[] = [];
    const a = follow(db, { since: 'now', include_docs: true, onChange: (c) => all.push(c) });
    const b = follow(db, { since: 'now', doc_ids: ['settings'], onChange: (c) => settings.push(c) });
    await db.bulkDocs([{ _id: 'm1' }, { _id: 'settings', v: 1 }, { _id: 'm2' }]);
    await eventually(async () => all.length === 3 && settings.length === 1);
    expect(all.map((c) => c.id)).to.deep.equal(['m1', 'settings', 'm2']);
    expect(all.every((c) => !!c.doc)).to.equal(true);
    expect(settings.map((c) => c.id)).to.deep.equal(['settings']);
    expect(settings[0]?.doc).to.equal(undefined);
    expect(liveFeeds).to.equal(1);
    a.cancel();
    b.cancel();
  });

  it('a follower starting behind catches up, then follows live, each revision once and in order', async function () {
    const first: Change[] = [];
    const a = follow(db, { since: 'now', onChange: (c) => first.push(c) });
    const info = await db.info();
    await db.put({ _id: 'x', n: 1 });
    await db.put({ _id: 'y', n: 1 });
    await eventually(async () => first.length === 2);
    const { seen, follower: b } = await followWhileWriting(db, info.update_seq);
    await new Promise((r) => setTimeout(r, 100));
    expectEachRevisionOnceInOrder(seen, ['y@1', 'x@2', 'z@1']);
    expect(seen.every((c) => !!c.doc)).to.equal(true);
    expect(await b.position()).to.equal(seen[seen.length - 1]?.seq);
    a.cancel();
    b.cancel();
  });

  it('closes the feed when the last follower cancels, and opens a fresh one for the next', async function () {
    const got: string[] = [];
    const a = follow(db, { since: 'now', onChange: (c) => got.push(c.id) });
    a.cancel();
    await db.put({ _id: 'ignored' });
    const b = follow(db, { since: 'now', onChange: (c) => got.push(c.id) });
    await db.put({ _id: 'seen' });
    await eventually(async () => got.includes('seen'));
    expect(got).to.deep.equal(['seen']);
    expect(liveFeeds).to.equal(2);
    b.cancel();
  });

  describe('told by a WriteSource (the embedded store: every write goes through one handle)', function () {
    beforeEach(function () {
      followWrites(db, writeSource(db));
    });

    it('each write reaches its followers whole, before the writer resumes, with no live feed', async function () {
      const writes: Change[][] = [];
      const settings: Change[] = [];
      const a = follow(db, {
        since: 'now',
        include_docs: true,
        onChange: () => undefined,
        onWrite: (c) => writes.push(c),
      });
      const b = follow(db, { since: 'now', doc_ids: ['settings'], onChange: (c) => settings.push(c) });
      await eventually(async () => (await a.position()) !== 'now' && (await b.position()) !== 'now');
      await db.bulkDocs([{ _id: 'm1' }, { _id: 'settings', v: 1 }, { _id: 'm2' }]);
      expect(writes.map((w) => w.map((c) => c.id))).to.deep.equal([['m1', 'settings', 'm2']]);
      expect(writes[0]?.every((c) => !!c.doc && !c.deleted)).to.equal(true);
      expect(settings.map((c) => [c.id, c.doc])).to.deep.equal([['settings', undefined]]);
      const m1 = await db.get('m1');
      await db.remove(m1);
      expect(writes[1]?.map((c) => [c.id, c.deleted])).to.deep.equal([['m1', true]]);
      expect(liveFeeds).to.equal(0);
      expect(Number(await a.position())).to.equal(Number((await db.info()).update_seq));
      a.cancel();
      b.cancel();
    });

    it('a follower starting behind reads the feed first, then takes told writes, each revision once and in order', async function () {
      const info = await db.info();
      await db.bulkDocs([
        { _id: 'x', n: 1 },
        { _id: 'y', n: 1 },
      ]);
      // x and z are written while b is still reading the feed: held back, then handed over once.
      const { seen, follower: b } = await followWhileWriting(db, info.update_seq);
      expectEachRevisionOnceInOrder(seen, ['y@1', 'x@2', 'z@1']);
      b.cancel();
    });

    it('a write it cannot tell (a replicated revision) is read from the feed', async function () {
      const seen: string[] = [];
      const a = follow(db, { since: 'now', onChange: (c) => seen.push(`${c.id}@${c.changes[0]?.rev}`) });
      await eventually(async () => (await a.position()) !== 'now');
      const rev = '1-0123456789abcdef0123456789abcdef';
      await db.bulkDocs([{ _id: 'replicated', _rev: rev }], { new_edits: false });
      await db.put({ _id: 'after' });
      await eventually(async () => seen.length === 2);
      expect(seen[0]).to.equal(`replicated@${rev}`);
      expect(seen[1]).to.match(/^after@1-/);
      expect(liveFeeds).to.equal(0);
      a.cancel();
    });
  });
});

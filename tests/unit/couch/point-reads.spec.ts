/**
 * pointReads(): a keyed allDocs answered with a get per key gives exactly what PouchDB's own
 * keyed allDocs gives (found, missing, deleted, repeated keys, with and without docs), and every
 * other query takes PouchDB's own path.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import PouchDB from 'pouchdb';
import { pointReads } from '../../../shared-libs/couch/point-reads.js';

describe('shared-libs/couch pointReads: keyed allDocs as point reads on LevelDB', function () {
  let dir: string;
  let plain: PouchDB.Database;
  let fast: PouchDB.Database;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'couch-point-reads-'));
    plain = new PouchDB(path.join(dir, 'medic'));
    fast = new PouchDB(path.join(dir, 'medic'));
    pointReads(fast);
    await plain.bulkDocs([{ _id: 'a', n: 1 }, { _id: 'b', n: 2 }, { _id: 'gone' }, { _id: 'c:1', n: 3 }]);
    const gone = await plain.get('gone');
    await plain.remove(gone);
    const a = await plain.get('a');
    await plain.put({ ...a, n: 10 });
  });

  after(async function () {
    await fast.close().catch(() => undefined);
    await plain.close().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const keys = ['b', 'missing', 'gone', 'a', 'c:1', 'a'];

  it('with docs: the same rows as PouchDB, in key order', async function () {
    const want = await plain.allDocs({ keys, include_docs: true });
    const got = await fast.allDocs({ keys, include_docs: true });
    expect(got.rows).to.deep.equal(want.rows);
  });

  it('without docs: the same rows (revisions, deleted, not_found)', async function () {
    const want = await plain.allDocs({ keys });
    const got = await fast.allDocs({ keys });
    expect(got.rows).to.deep.equal(want.rows);
  });

  it('no keys, and other queries, go through PouchDB unchanged', async function () {
    expect((await fast.allDocs({ keys: [] })).rows).to.deep.equal([]);
    const range = { startkey: 'a', endkey: 'c\ufff0', include_docs: true };
    expect((await fast.allDocs(range)).rows).to.deep.equal((await plain.allDocs(range)).rows);
    const conflicts = { keys: ['a'], include_docs: true, conflicts: true };
    expect((await fast.allDocs(conflicts)).rows).to.deep.equal((await plain.allDocs(conflicts)).rows);
  });
});

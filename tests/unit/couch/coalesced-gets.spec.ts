/**
 * Point reads of one event-loop turn go to LevelDB as one getMany (shared-libs/couch/coalesced-gets.ts):
 * on PouchDB's own leveldown, each caller still gets its own value or leveldown's NotFound, and
 * through the embedded store PouchDB's reads, writes and conflicts answer as before.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import sinon from 'sinon';
import { coalesceGets, type LevelDownLike } from '../../../shared-libs/couch/coalesced-gets.js';
import { isConflict, isNotFound, openDatabases, type Databases } from '../../../shared-libs/couch/index.js';

interface RawStore extends LevelDownLike {
  open(cb: (err?: Error) => void): void;
  close(cb: (err?: Error) => void): void;
  put(key: string, value: string, cb: (err?: Error) => void): void;
}

const leveldown = createRequire(createRequire(import.meta.url).resolve('pouchdb'))('leveldown') as (
  location: string,
) => RawStore;

const call = <T>(fn: (cb: (err?: Error | null, value?: unknown) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))));

describe('shared-libs/couch coalesced LevelDB gets', function () {
  let dir: string;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coalesced-gets-'));
  });
  afterEach(function () {
    sinon.restore();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gets of one turn become one getMany; each caller gets its value, a missing key NotFound', async function () {
    const store = leveldown(path.join(dir, 'raw'));
    await call<void>((cb) => store.open(cb));
    for (const k of ['a', 'b', 'c']) await call<void>((cb) => store.put(k, `value-${k}`, cb));
    const many = sinon.spy(store, '_getMany');
    const single = sinon.spy(store, '_get');
    coalesceGets(store);
    const get = (key: string): Promise<string> =>
      call<string>((cb) => store._get(key, { asBuffer: false, fillCache: true }, cb));
    const results = await Promise.allSettled(['a', 'missing', 'c', 'b'].map(get));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : String(r.reason)))).to.deep.equal([
      'value-a',
      'Error: NotFound: ',
      'value-c',
      'value-b',
    ]);
    expect(many.callCount).to.equal(1);
    expect(single.callCount).to.equal(0);
    // A lone get stays a get; buffers and strings are asked for apart.
    expect(await get('a')).to.equal('value-a');
    expect(single.callCount).to.equal(1);
    const asBuffer = call<Buffer>((cb) => store._get('b', { asBuffer: true, fillCache: true }, cb));
    const asString = get('c');
    expect(Buffer.isBuffer(await asBuffer)).to.equal(true);
    expect(await asString).to.equal('value-c');
    await call<void>((cb) => store.close(cb));
  });

  it('reads asked for just before a close are answered before it closes', async function () {
    const store = leveldown(path.join(dir, 'raw'));
    await call<void>((cb) => store.open(cb));
    await call<void>((cb) => store.put('a', 'value-a', cb));
    coalesceGets(store);
    const reads = ['a', 'a'].map((k) => call<string>((cb) => store._get(k, { asBuffer: false, fillCache: true }, cb)));
    const closed = call<void>((cb) => store._close?.(cb));
    expect(await Promise.all(reads)).to.deep.equal(['value-a', 'value-a']);
    await closed;
  });

  describe('through the embedded store', function () {
    let dbs: Databases;
    beforeEach(async function () {
      dbs = await openDatabases({ dataDir: dir });
    });
    afterEach(async function () {
      await dbs.close();
    });

    it('concurrent reads, new documents, updates and conflicts answer as PouchDB does', async function () {
      const docs = Array.from({ length: 40 }, (_, i) => ({ _id: `doc-${i}`, n: i }));
      const written = await dbs.medic.bulkDocs(docs);
      expect(written.every((r) => 'ok' in r && r.ok)).to.equal(true);
      const read = await Promise.allSettled([
        ...docs.map((d) => dbs.medic.get<{ n: number }>(d._id)),
        dbs.medic.get<{ n: number }>('nope'),
      ]);
      read.slice(0, 40).forEach((r, i) => {
        expect(r.status).to.equal('fulfilled');
        expect(r.status === 'fulfilled' ? r.value.n : undefined).to.equal(i);
      });
      const missing = read[40] as PromiseRejectedResult;
      expect(isNotFound(missing.reason)).to.equal(true);
      const current = await dbs.medic.get<{ n: number }>('doc-3');
      await dbs.medic.put({ ...current, n: 33 });
      const stale = await dbs.medic.put({ ...current, n: 34 }).catch((err: unknown) => err);
      expect(isConflict(stale)).to.equal(true);
      expect((await dbs.medic.get<{ n: number }>('doc-3')).n).to.equal(33);
    });
  });
});

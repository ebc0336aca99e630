/**
 * The message index's writer on a real LevelDB (classic-level in a temporary folder): a document
 * rewritten moves from its old rows to its new ones, with its manifest read from the store once and
 * then kept in memory (api/src/listings/index-writer.ts), and a failed batch leaves nothing
 * remembered that the store does not hold.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ClassicLevel } from 'classic-level';
import sinon from 'sinon';
import { BUCKET_PREFIX, Buckets } from '../../../api/src/listings/buckets.js';
import { CHECKPOINT_ID, IndexStore, MANIFEST_PREFIX, type Manifest } from '../../../api/src/listings/index-store.js';
import { IndexWriteError, IndexWriter } from '../../../api/src/listings/index-writer.js';
import { indexRows, PREFIX, type RowBody } from '../../../api/src/listings/rows.js';
import type { MessageDoc, MessageState } from '../../../shared-libs/task-utils/types.js';

const T = Date.parse('2026-03-01T10:00:00Z');

function message(state: MessageState, to = '+254712345678', id = 'doc-1', ref?: string): MessageDoc {
  return {
    _id: id,
    type: 'data_record',
    reported_date: T,
    kujua_message: true,
    tasks: [
      {
        messages: [{ uuid: `u-${id}`, to, message: 'hi' }],
        state,
        ...(ref ? { gateway_ref: ref } : {}),
        state_history: [{ state, timestamp: new Date(T).toISOString() }],
      },
    ],
  };
}

describe('message index writer: rows per revision, manifests remembered', function () {
  let dir: string;
  let store: IndexStore;
  let writer: IndexWriter;

  beforeEach(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'index-writer-'));
    ({ store } = await IndexStore.open({ dir, source: 'test' }, 0));
    writer = new IndexWriter(store, new Buckets());
  });

  afterEach(async function () {
    sinon.restore();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const keysOf = async (): Promise<string[]> =>
    (await store.entries<unknown>({ gte: '', lt: '\uffff' }))
      .map(([k]) => k)
      .filter((k) => k !== CHECKPOINT_ID && !k.startsWith(BUCKET_PREFIX));

  it('a rewritten document ends with exactly the rows of its newest revision, its manifest read once', async function () {
    const getMany = sinon.spy(store, 'getMany');
    await writer.apply({ id: 'doc-1', rev: '1-a', doc: message('pending') });
    await writer.apply({ id: 'doc-1', rev: '2-b', doc: message('sent') });
    await writer.apply({ id: 'doc-1', rev: '3-c', doc: message('delivered') });
    const want = indexRows(message('delivered')).map((r) => r.key);
    const keys = await keysOf();
    for (const k of want) expect(keys).to.include(k);
    for (const k of indexRows(message('pending')).map((r) => r.key))
      if (!want.includes(k)) expect(keys).not.to.include(k);
    const manifest = await store.get<Manifest>(MANIFEST_PREFIX + 'doc-1');
    expect(manifest?.rev).to.equal('3-c');
    expect(getMany.callCount).to.equal(1);
  });

  it('a reference hint, when present, names a message that holds the reference', async function () {
    const hint = PREFIX.refHint('ATXid_1');
    await writer.apply({ id: 'doc-1', rev: '1-a', doc: message('sent', undefined, 'doc-1', 'ATXid_1') });
    expect(await store.get<RowBody>(hint)).to.deep.equal({ d: 'doc-1', u: 'u-doc-1' });
    // A second message under the same reference takes the hint; when it drops the reference the
    // hint goes, and the g: rows still name the first.
    await writer.apply({ id: 'doc-2', rev: '1-a', doc: message('sent', undefined, 'doc-2', 'ATXid_1') });
    expect(await store.get<RowBody>(hint)).to.deep.equal({ d: 'doc-2', u: 'u-doc-2' });
    await writer.apply({ id: 'doc-2', rev: '2-b', doc: message('sent', undefined, 'doc-2', 'ATXid_2') });
    expect(await store.get<RowBody>(hint)).to.equal(undefined);
    expect(await store.get<RowBody>(PREFIX.gatewayRef('ATXid_1') + 'u-doc-1')).to.deep.equal({
      d: 'doc-1',
      u: 'u-doc-1',
    });
    expect(await store.get<RowBody>(PREFIX.refHint('ATXid_2'))).to.deep.equal({ d: 'doc-2', u: 'u-doc-2' });
    // The first message deleted: no row names the reference any more.
    await writer.apply({ id: 'doc-1', rev: '2-b' });
    expect(await store.get<RowBody>(hint)).to.equal(undefined);
    expect(await store.get<RowBody>(PREFIX.gatewayRef('ATXid_1') + 'u-doc-1')).to.equal(undefined);
  });

  it('an older revision arriving late changes nothing', async function () {
    await writer.apply({ id: 'doc-1', rev: '2-b', doc: message('sent') });
    const before = await keysOf();
    await writer.apply({ id: 'doc-1', rev: '1-a', doc: message('pending') });
    expect(await keysOf()).to.deep.equal(before);
    expect((await store.get<Manifest>(MANIFEST_PREFIX + 'doc-1'))?.rev).to.equal('2-b');
  });

  it('after a batch the store refused, the next one reads the manifests again and ends right', async function () {
    await writer.apply({ id: 'doc-1', rev: '1-a', doc: message('pending') });
    const batch = sinon.stub(store, 'batch').onFirstCall().rejects(new Error('disk full'));
    batch.callThrough();
    let failed: unknown;
    await writer.apply({ id: 'doc-1', rev: '2-b', doc: message('sent') }).catch((err: unknown) => (failed = err));
    expect(failed).to.be.instanceOf(IndexWriteError);
    const getMany = sinon.spy(store, 'getMany');
    await writer.apply({ id: 'doc-1', rev: '3-c', doc: message('delivered') });
    expect(getMany.callCount).to.equal(1);
    const manifest = await store.get<Manifest>(MANIFEST_PREFIX + 'doc-1');
    expect(manifest?.rev).to.equal('3-c');
    expect(manifest?.rows).to.have.members(indexRows(message('delivered')).map((r) => r.key));
    const keys = await keysOf();
    for (const k of indexRows(message('pending')).map((r) => r.key))
      if (!manifest?.rows.includes(k)) expect(keys).not.to.include(k);
  });

  it("the store's point reads of one event-loop turn are one LevelDB getMany, and a close answers those pending", async function () {
    await writer.apply({ id: 'doc-1', rev: '1-a', doc: message('sent', undefined, 'doc-1', 'ATXid_1') });
    const many = sinon.spy(ClassicLevel.prototype, 'getMany');
    const hint = PREFIX.refHint('ATXid_1');
    const [a, b, missing] = await Promise.all([
      store.get<RowBody>(hint),
      store.get<RowBody>(MANIFEST_PREFIX + 'doc-1'),
      store.get<RowBody>('nope'),
    ]);
    expect(a).to.deep.equal({ d: 'doc-1', u: 'u-doc-1' });
    expect((b as unknown as Manifest).rev).to.equal('1-a');
    expect(missing).to.equal(undefined);
    expect(many.callCount).to.equal(1);
    const pending = store.get<RowBody>(hint);
    await store.close();
    expect(await pending).to.deep.equal({ d: 'doc-1', u: 'u-doc-1' });
    ({ store } = await IndexStore.open({ dir, source: 'test' }, 0));
  });

  it('after a reset of the store, a document is indexed from nothing', async function () {
    await writer.apply({ id: 'doc-1', rev: '1-a', doc: message('pending') });
    await writer.suspend();
    await store.reset();
    writer.restart(new Buckets());
    await writer.apply({ id: 'doc-1', rev: '2-b', doc: message('sent') });
    const manifest = await store.get<Manifest>(MANIFEST_PREFIX + 'doc-1');
    expect(manifest?.rows).to.have.members(indexRows(message('sent')).map((r) => r.key));
    const keys = await keysOf();
    expect(keys).to.have.members([...(manifest?.rows ?? []), MANIFEST_PREFIX + 'doc-1']);
  });
});

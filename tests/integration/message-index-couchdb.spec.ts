/**
 * The message index on CouchDB (pouchdb-server here) follows the changes feed, since others write
 * the database too. A read after only this server's writes answers without waiting for the feed
 * (api/src/listings/feed-reconciler.ts: the mark, and write-watch.ts `ownWrites`); a change by any
 * other writer, or a write of ours the index missed, still makes the read wait for the feed. The
 * feed is held (its non-live reads wait on a gate) to tell the two apart without timing.
 */
import { expect } from 'chai';
import PouchDB from 'pouchdb';
import sinon from 'sinon';
import { IndexBehindError } from '../../api/src/listings/index-store.js';
import type { IndexWriter } from '../../api/src/listings/index-writer.js';
import { listAll, outDoc } from '../helpers/listing-fixtures.js';
import { startPouchDbServer, type CouchServer } from '../helpers/pouchdb-server.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const freshNumber = (): string => `+2547${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

describe('message index on CouchDB: reads after only our own writes do not wait for the feed', function () {
  this.timeout(60_000);
  let couch: CouchServer;
  let server: TestServer | undefined;
  let release: () => void = () => undefined;

  before(async function () {
    couch = await startPouchDbServer();
  });
  after(async function () {
    await couch?.close();
  });
  afterEach(async function () {
    release();
    sinon.restore();
    await server?.stop();
    server = undefined;
  });

  /** Started, with the feed read to the end while no write was under way (a mark is set). */
  async function startMarked(): Promise<TestServer> {
    const s = await startTestServer({ storage: { kind: 'couchdb', couch } });
    const until = Date.now() + 20_000;
    while (s.messageIndex.stats().markSeq === undefined) {
      if (Date.now() > until) throw new Error('the message index never set a mark');
      await s.messageIndex.synced(10_000);
      await new Promise((r) => setTimeout(r, 20));
    }
    return s;
  }

  /** From now on the feed's page reads wait until `release()` (live feeds are left alone). */
  function holdFeed(s: TestServer): void {
    const medic = s.dbs.medic;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    release = open;
    const original = medic.changes.bind(medic) as (opts: PouchDB.Core.ChangesOptions) => unknown;
    sinon
      .stub(medic, 'changes')
      .callsFake(((opts: PouchDB.Core.ChangesOptions) =>
        opts.live ? original(opts) : gate.then(() => original(opts))) as never);
  }

  /** A message written by another writer (CHT, another instance): the database through another handle. */
  async function writtenByAnother(s: TestServer, to: string): Promise<{ uuid: string }> {
    const other = new PouchDB(s.dbs.medic.name);
    const theirs = outDoc({ to });
    await other.put(theirs.doc as never);
    await other.close();
    return theirs;
  }

  async function behind(s: TestServer): Promise<boolean> {
    try {
      await s.messageIndex.readyForRead(300);
      return false;
    } catch (err) {
      if (err instanceof IndexBehindError) return true;
      throw err;
    }
  }

  it('answers at once after our bulk writes and puts, and waits for the feed after another writer', async function () {
    server = await startMarked();
    holdFeed(server);
    const to = freshNumber();
    const ours = Array.from({ length: 20 }, () => outDoc({ to }));
    await server.dbs.medic.bulkDocs(ours.slice(0, 19).map((o) => o.doc) as never);
    await server.dbs.medic.put(ours[19]?.doc as never);

    expect(await behind(server), 'waited for the feed after only our writes').to.equal(false);
    const listed = await listAll(server, `direction=outgoing&to=${encodeURIComponent(to)}`);
    expect(listed.map((m) => m.id).sort()).to.deep.equal(ours.map((o) => o.uuid).sort());

    const theirs = await writtenByAnother(server, to);
    expect(await behind(server), 'answered without the feed after another writer').to.equal(true);

    release();
    await server.messageIndex.readyForRead(10_000);
    const after = await listAll(server, `direction=outgoing&to=${encodeURIComponent(to)}`);
    expect(after.map((m) => m.id)).to.include(theirs.uuid);
    expect(after).to.have.length(21);
  });

  it('a local document of ours moves no sequence and is not counted: another writer is still noticed', async function () {
    server = await startMarked();
    holdFeed(server);
    await server.dbs.medic.put({ _id: '_local/test-checkpoint', seq: 1 });
    const to = freshNumber();
    const theirs = await writtenByAnother(server, to);
    expect(await behind(server), 'a local write hid the other writer').to.equal(true);
    release();
    await server.messageIndex.readyForRead(10_000);
    expect((await listAll(server, `direction=outgoing&to=${encodeURIComponent(to)}`)).map((m) => m.id)).to.deep.equal([
      theirs.uuid,
    ]);
  });

  it('waits for the feed after a replicated revision through our own handle (not counted)', async function () {
    server = await startMarked();
    holdFeed(server);
    const to = freshNumber();
    const { doc, uuid } = outDoc({ to });
    await server.dbs.medic.bulkDocs([{ ...doc, _rev: '1-0123456789abcdef0123456789abcdef' }] as never, {
      new_edits: false,
    });
    expect(await behind(server)).to.equal(true);
    release();
    await server.messageIndex.readyForRead(10_000);
    expect((await listAll(server, `direction=outgoing&to=${encodeURIComponent(to)}`)).map((m) => m.id)).to.deep.equal([
      uuid,
    ]);
  });

  it('waits for the feed after a write of ours the index failed to take', async function () {
    server = await startMarked();
    holdFeed(server);
    const writer = (server.messageIndex as unknown as { writer: IndexWriter }).writer;
    sinon.stub(writer, 'apply').onFirstCall().rejects(new Error('index disk full')).callThrough();
    const to = freshNumber();
    const { doc, uuid } = outDoc({ to });
    await server.dbs.medic.put(doc as never);
    expect(await behind(server)).to.equal(true);
    expect(server.messageIndex.stats().markSeq).to.equal(undefined);
    release();
    await server.messageIndex.readyForRead(10_000);
    expect((await listAll(server, `direction=outgoing&to=${encodeURIComponent(to)}`)).map((m) => m.id)).to.deep.equal([
      uuid,
    ]);
  });
});

/**
 * The message index on the embedded store follows the writes through the handle
 * (api/src/store/write-watch.ts) rather than the changes feed: what that cannot see still reaches
 * it. A replicated revision (`new_edits: false`) is read from the feed before the next listing, writes made while
 * the server was down on the next start, and the checkpoint keeps up without the feed being read,
 * so a restart does not read the writes again.
 */
import path from 'node:path';
import { expect } from 'chai';
import PouchDB from 'pouchdb';
import { listAll, outDoc } from '../helpers/listing-fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const freshNumber = (): string => `+2547${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

describe('message index on the embedded store: write-through, and what it cannot see', function () {
  this.timeout(60_000);
  let server: TestServer | undefined;

  afterEach(async function () {
    await server?.stop();
    server = undefined;
  });

  it('a replicated revision (new_edits: false), unseen by the write-through, is listed by the next read', async function () {
    server = await startTestServer();
    const to = freshNumber();
    const { doc, uuid } = outDoc({ to });
    const res = await server.dbs.medic.bulkDocs([{ ...doc, _rev: '1-0123456789abcdef0123456789abcdef' }] as never, {
      new_edits: false,
    });
    expect(res).to.deep.equal([]);
    expect((await listAll(server, `direction=outgoing&to=${encodeURIComponent(to)}`)).map((m) => m.id)).to.deep.equal([
      uuid,
    ]);
  });

  it('writes made while the server was down are listed after the next start', async function () {
    server = await startTestServer();
    const dataDir = server.dataDir;
    await server.stop();
    server = undefined;
    const to = freshNumber();
    const { doc, uuid } = outDoc({ to });
    const medic = new PouchDB(path.join(dataDir, 'medic'));
    await medic.put(doc as never);
    await medic.close();
    server = await startTestServer({ dataDir });
    expect((await listAll(server, `direction=outgoing&to=${encodeURIComponent(to)}`)).map((m) => m.id)).to.deep.equal([
      uuid,
    ]);
  });

  it('the checkpoint keeps up with the writes: a restart starts where the store is', async function () {
    server = await startTestServer();
    const dataDir = server.dataDir;
    const docs = Array.from({ length: 50 }, () => outDoc({ to: freshNumber() }).doc);
    await server.dbs.medic.bulkDocs(docs as never);
    const seq = Number((await server.dbs.medic.info()).update_seq);
    await server.stop();
    server = await startTestServer({ dataDir, start: false });
    const stats = server.messageIndex.stats();
    expect(stats.built).to.equal(true);
    expect(stats.seq).to.be.at.least(seq);
  });
});

/**
 * Storage-facing suites run twice: on the embedded store and against CouchDB over HTTP
 * (pouchdb-server on loopback, started once for the file). Each gets its own server.
 */
import { startPouchDbServer, type CouchServer } from './pouchdb-server.js';
import { startTestServer, type TestServer } from './test-server.js';

export interface StoreSuite {
  name: string;
  kind: 'embedded' | 'couchdb';
  /** Set before the suite's tests run. */
  server: TestServer;
  /** The pouchdb-server (also running for the embedded suite). */
  couch: CouchServer;
}

export function onEachStore(
  define: (s: StoreSuite) => void,
  names = { embedded: 'embedded store', couchdb: 'CouchDB over HTTP (pouchdb-server)' },
): void {
  let couch: CouchServer | undefined;
  before(async function () {
    couch = await startPouchDbServer();
  });
  after(async function () {
    await couch?.close();
  });
  for (const kind of ['embedded', 'couchdb'] as const) {
    describe(names[kind], function () {
      const s = { name: names[kind], kind } as StoreSuite;
      before(async function () {
        s.couch = couch as CouchServer;
        s.server = await startTestServer({ storage: kind === 'embedded' ? { kind } : { kind, couch: s.couch } });
      });
      after(async function () {
        await s.server?.stop();
      });
      define(s);
    });
  }
}

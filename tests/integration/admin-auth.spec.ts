/**
 * Who may call what: /api/info answers anyone; every administrator route answers 401 without
 * valid credentials and, against CouchDB, 403 to a user who is not a server admin (CHT's
 * auth.isDbAdmin rule). In embedded mode the administrator password is generated once, kept 0600
 * under DATA_DIR, and an empty password file stops the start rather than allow an empty password.
 * Runs on both storage modes (tests/helpers/stores.ts): the embedded store (LevelDB files) and
 * CouchDB over HTTP (pouchdb-server on loopback), through HTTP only where users go through HTTP.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCouchUser } from '../helpers/pouchdb-server.js';
import { onEachStore } from '../helpers/stores.js';
import { api, startTestServer } from '../helpers/test-server.js';

const ADMIN_ROUTES: Array<[string, string, unknown?]> = [
  ['GET', '/api/v1/settings'],
  ['PUT', '/api/v1/settings', { x: 1 }],
  ['PUT', '/api/v1/credentials/some.key', 'secret'],
  ['POST', '/api/v1/messages', { to: '+254712345678', message: 'hi' }],
  ['GET', '/api/v1/messages'],
  ['GET', '/api/v1/messages/abc'],
];

describe('administrator authentication', function () {
  onEachStore((s) => {
    it('GET /api/info answers the package version without auth', async function () {
      const res = await fetch(`${s.server.url}/api/info`);
      expect(res.status).to.equal(200);
      const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string };
      expect(await res.json()).to.deep.equal({ version: pkg.version });
    });

    for (const [method, url, body] of ADMIN_ROUTES) {
      it(`${method} ${url}: 401 without or with wrong credentials`, async function () {
        const none = await api({ url: s.server.url, adminAuth: '' }, method, url, body);
        expect(none.status).to.equal(401);
        expect(none.body).to.have.property('code', 401);
        const wrong = await api(
          { url: s.server.url, adminAuth: `Basic ${Buffer.from('admin:nope').toString('base64')}` },
          method,
          url,
          body,
        );
        expect(wrong.status).to.equal(401);
        expect(wrong.body).to.have.property('error').that.is.a('string');
      });
    }

    if (s.kind === 'couchdb') {
      it('403 for a valid CouchDB user who is not an administrator, on every admin route', async function () {
        await createCouchUser(s.couch, 'chw', 'chw-pass');
        for (const [method, url, body] of ADMIN_ROUTES) {
          const res = await api(
            { url: s.server.url, adminAuth: `Basic ${Buffer.from('chw:chw-pass').toString('base64')}` },
            method,
            url,
            body,
          );
          expect(res.status, `${method} ${url}`).to.equal(403);
        }
      });
    }
  });

  describe("embedded mode's generated password", function () {
    this.timeout(30_000);

    it('refuses to start with an empty admin-password file instead of accepting an empty password', async function () {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cht-sms-pw-'));
      fs.writeFileSync(path.join(dataDir, 'admin-password'), '\n', { mode: 0o600 });
      try {
        await startTestServer({ dataDir, env: { ADMIN_PASSWORD: '' } });
        expect.fail('should not start');
      } catch (err) {
        expect((err as Error).message).to.match(/admin-password is empty/);
      }
    });

    it('generates the admin password once, stores only its scrypt hash (0600), and keeps it across restarts', async function () {
      const first = await startTestServer({ env: { ADMIN_PASSWORD: '' } });
      const file = path.join(first.dataDir, 'admin-password');
      const password = first.generatedAdminPassword ?? '';
      expect(password).to.have.length.greaterThan(20);
      const stored = fs.readFileSync(file, 'utf8').trim();
      expect(stored).to.match(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
      expect(stored).to.not.include(password);
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
      await first.stop();
      const second = await startTestServer({ dataDir: first.dataDir, env: { ADMIN_PASSWORD: '' } });
      try {
        expect(second.generatedAdminPassword).to.equal(undefined);
        expect(fs.readFileSync(file, 'utf8').trim()).to.equal(stored);
        const res = await fetch(`${second.url}/api/v1/settings`, {
          headers: { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` },
        });
        expect(res.status).to.equal(200);
      } finally {
        await second.stop();
      }
    });
  });
});

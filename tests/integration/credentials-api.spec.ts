/**
 * PUT /api/v1/credentials/:key as in CHT (the secret as text/plain,
 * https://docs.communityhealthtoolkit.org/building/reference/api/): stored encrypted, never echoed or
 * logged, readable by the services, rotated at once; CHT's own AES-256-CBC values are read and
 * re-encrypted on the next write; a tampered value is refused with a clear error.
 * Runs on both storage modes (tests/helpers/stores.ts): the embedded store (LevelDB files) and
 * CouchDB over HTTP (pouchdb-server on loopback), through HTTP only where users go through HTTP.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { encryptLegacyCht } from '../../shared-libs/credentials/index.js';
import { onEachStore } from '../helpers/stores.js';
import { api } from '../helpers/test-server.js';

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? listFiles(p) : [p];
  });
}

describe('credentials API (PUT /api/v1/credentials/:key)', function () {
  onEachStore((s) => {
    const SECRET = 'at-secret-XYZ-0123456789abcdef';

    it('stores a secret encrypted, never echoed, and readable by services', async function () {
      const res = await api(s.server, 'PUT', '/api/v1/credentials/africastalking.com:outgoing', SECRET);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ ok: true });
      expect(res.text).not.to.contain(SECRET);
      expect(await s.server.credentials.get('africastalking.com:outgoing')).to.equal(SECRET);
      const doc = (await s.server.dbs.vault.get('credential:africastalking.com:outgoing')) as unknown as {
        password: string;
      };
      expect(doc.password).to.match(/^v2:gcm:/);
      expect(doc.password).not.to.contain(SECRET);
    });

    it('rotation takes effect at once (cache cleared on write)', async function () {
      await api(s.server, 'PUT', '/api/v1/credentials/rotating', 'first-value');
      expect(await s.server.credentials.get('rotating')).to.equal('first-value');
      await api(s.server, 'PUT', '/api/v1/credentials/rotating', 'second-value');
      expect(await s.server.credentials.get('rotating')).to.equal('second-value');
    });

    it('accepts curl -d without a content type (form) as the raw secret', async function () {
      const res = await fetch(`${s.server.url}/api/v1/credentials/form.key`, {
        method: 'PUT',
        headers: { authorization: s.server.adminAuth, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a+b=c&d',
      });
      expect(res.status).to.equal(200);
      expect(await s.server.credentials.get('form.key')).to.equal('a+b=c&d');
    });

    it('400 for an empty body, 415 for JSON, 400 for a key outside the namespace rules', async function () {
      expect((await api(s.server, 'PUT', '/api/v1/credentials/k', '')).status).to.equal(400);
      const json = await fetch(`${s.server.url}/api/v1/credentials/k`, {
        method: 'PUT',
        headers: { authorization: s.server.adminAuth, 'content-type': 'application/json' },
        body: '{"a":1}',
      });
      expect(json.status).to.equal(415);
      expect((await api(s.server, 'PUT', '/api/v1/credentials/_design', 'x')).status).to.equal(400);
    });

    if (s.kind === 'couchdb')
      it('reads a CHT-format (AES-256-CBC) credential, and re-encrypts it in our format on the next write', async function () {
        const c = s.couch;
        const secretRes = await fetch(`${c.url}/_config/couch_httpd_auth/secret`, {
          headers: { authorization: `Basic ${Buffer.from(`${c.admin.user}:${c.admin.password}`).toString('base64')}` },
        });
        const couchSecret = (await secretRes.json()) as string;
        await s.server.dbs.vault.put({
          _id: 'credential:legacy.key',
          password: encryptLegacyCht('legacy-value', couchSecret),
        });
        expect(await s.server.credentials.get('legacy.key')).to.equal('legacy-value');
        await api(s.server, 'PUT', '/api/v1/credentials/legacy.key', 'new-value');
        const doc = (await s.server.dbs.vault.get('credential:legacy.key')) as unknown as { password: string };
        expect(doc.password).to.match(/^v2:gcm:/);
      });

    it('a tampered ciphertext is refused with a clear error saying to set it again', async function () {
      await api(s.server, 'PUT', '/api/v1/credentials/tamper.key', 'tamper-value');
      const doc = (await s.server.dbs.vault.get('credential:tamper.key')) as unknown as {
        _rev: string;
        password: string;
      };
      const parts = doc.password.split(':');
      const ct = Buffer.from(parts[4] as string, 'base64url');
      ct[0] = (ct[0] as number) ^ 0xff;
      parts[4] = ct.toString('base64url');
      await s.server.dbs.vault.put({ ...doc, password: parts.join(':') });
      s.server.credentials.clearCache();
      try {
        await s.server.credentials.get('tamper.key');
        expect.fail('should have thrown');
      } catch (err) {
        expect((err as Error).message).to.match(/Try setting the credential again/);
      }
    });

    it('no secret appears in the logs, or in plaintext in any file under DATA_DIR', async function () {
      expect(s.server.logs()).not.to.contain(SECRET);
      expect(s.server.logs()).not.to.contain('second-value');
      if (s.kind === 'embedded') {
        for (const file of listFiles(s.server.dataDir)) {
          const content = fs.readFileSync(file);
          expect(content.includes(Buffer.from(SECRET)), file).to.equal(false);
          expect(content.includes(Buffer.from('second-value')), file).to.equal(false);
        }
      }
    });
  });
});

/**
 * The host server on both storage modes: the embedded store (LevelDB files) and CouchDB over
 * HTTP (pouchdb-server on loopback). The same suite runs twice, through HTTP only where users
 * go through HTTP.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { encryptLegacyCht } from '../../shared-libs/credentials/index.js';
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

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? listFiles(p) : [p];
  });
}

describe('foundation', function () {
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
        const wrong = await api({ url: s.server.url, adminAuth: `Basic ${Buffer.from('admin:nope').toString('base64')}` }, method, url, body);
        expect(wrong.status).to.equal(401);
        expect(wrong.body).to.have.property('error').that.is.a('string');
      });
    }

    if (s.kind === 'couchdb') {
      it('403 for a valid CouchDB user who is not an administrator, on every admin route', async function () {
        await createCouchUser(s.couch, 'chw', 'chw-pass');
        for (const [method, url, body] of ADMIN_ROUTES) {
          const res = await api({ url: s.server.url, adminAuth: `Basic ${Buffer.from('chw:chw-pass').toString('base64')}` }, method, url, body);
          expect(res.status, `${method} ${url}`).to.equal(403);
        }
      });
    }

    describe('settings', function () {
      it('creates CHT defaults on first start (medic-gateway selected)', async function () {
        const res = await api(s.server, 'GET', '/api/v1/settings');
        expect(res.status).to.equal(200);
        expect(res.body).to.have.nested.property('sms.outgoing_service', 'medic-gateway');
      });

      it('merges by default, replaces top-level keys with ?replace=1 (CHT case 87)', async function () {
        expect((await api(s.server, 'PUT', '/api/v1/settings', { _test_sandbox: { times: 'one', b: 'c' } })).body).to.deep.equal({ success: true, updated: true });
        await api(s.server, 'PUT', '/api/v1/settings', { _test_sandbox: { times: 'two' } });
        expect((await api(s.server, 'GET', '/api/v1/settings')).body).to.have.deep.property('_test_sandbox', { times: 'two', b: 'c' });
        await api(s.server, 'PUT', '/api/v1/settings?replace=1', { _test_sandbox: { times: 'three' } });
        expect((await api(s.server, 'GET', '/api/v1/settings')).body).to.have.deep.property('_test_sandbox', { times: 'three' });
      });

      it('answers updated:false when nothing changes, including PUT {}', async function () {
        expect((await api(s.server, 'PUT', '/api/v1/settings', {})).body).to.deep.equal({ success: true, updated: false });
        expect((await api(s.server, 'PUT', '/api/v1/settings', { _test_sandbox: { times: 'three' } })).body).to.deep.equal({ success: true, updated: false });
      });

      it('refuses an unknown outgoing service with 400 listing the known ones, saving nothing', async function () {
        const before = (await api(s.server, 'GET', '/api/v1/settings')).body;
        const res = await api(s.server, 'PUT', '/api/v1/settings', { sms: { outgoing_service: 'carrier-pigeon' }, other: 1 });
        expect(res.status).to.equal(400);
        expect((res.body as { error: string }).error).to.match(/carrier-pigeon.*africas-talking, medic-gateway/);
        expect((await api(s.server, 'GET', '/api/v1/settings')).body).to.deep.equal(before);
      });

      it('refuses africas-talking without a username, naming the field', async function () {
        const res = await api(s.server, 'PUT', '/api/v1/settings', { sms: { outgoing_service: 'africas-talking' } });
        expect(res.status).to.equal(400);
        expect((res.body as { error: string }).error).to.contain('sms.africas_talking.username');
      });

      it('refuses schema violations naming the path', async function () {
        const res = await api(s.server, 'PUT', '/api/v1/settings', { sms: { dispatch: { concurrency: -1 } } });
        expect(res.status).to.equal(400);
        expect((res.body as { error: string }).error).to.contain('sms.dispatch.concurrency');
      });

      it('?overwrite=1 replaces everything', async function () {
        const current = (await api(s.server, 'GET', '/api/v1/settings')).body as Record<string, unknown>;
        await api(s.server, 'PUT', '/api/v1/settings?overwrite=1', { sms: { outgoing_service: 'medic-gateway' } });
        expect((await api(s.server, 'GET', '/api/v1/settings')).body).to.deep.equal({ sms: { outgoing_service: 'medic-gateway' } });
        await api(s.server, 'PUT', '/api/v1/settings?overwrite=1', current);
      });

      it('takes effect from a write made directly to the database (another process), without restart', async function () {
        const doc = (await s.server.dbs.medic.get('settings')) as unknown as { settings: Record<string, unknown> };
        await s.server.dbs.medic.put({ ...doc, settings: { ...doc.settings, marker: 'external' } });
        const until = Date.now() + 5000;
        while (Date.now() < until && (s.server.settings.get() as Record<string, unknown>).marker !== 'external') {
          await new Promise((r) => setTimeout(r, 20));
        }
        expect((await api(s.server, 'GET', '/api/v1/settings')).body).to.have.property('marker', 'external');
      });

      it('answers malformed JSON with 400, a wrong content type with 415, a huge body with 413', async function () {
        const bad = await fetch(`${s.server.url}/api/v1/settings`, { method: 'PUT', headers: { authorization: s.server.adminAuth, 'content-type': 'application/json' }, body: '{"a":' });
        expect(bad.status).to.equal(400);
        expect(await bad.json()).to.have.property('code', 400);
        const xml = await fetch(`${s.server.url}/api/v1/settings`, { method: 'PUT', headers: { authorization: s.server.adminAuth, 'content-type': 'application/xml' }, body: '<a/>' });
        expect(xml.status).to.equal(415);
        const huge = await fetch(`${s.server.url}/api/v1/settings`, { method: 'PUT', headers: { authorization: s.server.adminAuth, 'content-type': 'application/json' }, body: JSON.stringify({ big: 'x'.repeat(2 * 1024 * 1024) }) });
        expect(huge.status).to.equal(413);
        expect(await huge.json()).to.have.property('code', 413);
      });
    });

    describe('credentials', function () {
      const SECRET = 'at-secret-XYZ-0123456789abcdef';

      it('stores a secret encrypted, never echoed, and readable by services', async function () {
        const res = await api(s.server, 'PUT', '/api/v1/credentials/africastalking.com:outgoing', SECRET);
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.equal({ ok: true });
        expect(res.text).not.to.contain(SECRET);
        expect(await s.server.credentials.get('africastalking.com:outgoing')).to.equal(SECRET);
        const doc = (await s.server.dbs.vault.get('credential:africastalking.com:outgoing')) as unknown as { password: string };
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
        const res = await fetch(`${s.server.url}/api/v1/credentials/form.key`, { method: 'PUT', headers: { authorization: s.server.adminAuth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'a+b=c&d' });
        expect(res.status).to.equal(200);
        expect(await s.server.credentials.get('form.key')).to.equal('a+b=c&d');
      });

      it('400 for an empty body, 415 for JSON, 400 for a key outside the namespace rules', async function () {
        expect((await api(s.server, 'PUT', '/api/v1/credentials/k', '')).status).to.equal(400);
        const json = await fetch(`${s.server.url}/api/v1/credentials/k`, { method: 'PUT', headers: { authorization: s.server.adminAuth, 'content-type': 'application/json' }, body: '{"a":1}' });
        expect(json.status).to.equal(415);
        expect((await api(s.server, 'PUT', '/api/v1/credentials/_design', 'x')).status).to.equal(400);
      });

      if (s.kind === 'couchdb') it('reads a CHT-format (AES-256-CBC) credential, and re-encrypts it in our format on the next write', async function () {
        const c = s.couch;
        const secretRes = await fetch(`${c.url}/_config/couch_httpd_auth/secret`, { headers: { authorization: `Basic ${Buffer.from(`${c.admin.user}:${c.admin.password}`).toString('base64')}` } });
        const couchSecret = (await secretRes.json()) as string;
        await s.server.dbs.vault.put({ _id: 'credential:legacy.key', password: encryptLegacyCht('legacy-value', couchSecret) });
        expect(await s.server.credentials.get('legacy.key')).to.equal('legacy-value');
        await api(s.server, 'PUT', '/api/v1/credentials/legacy.key', 'new-value');
        const doc = (await s.server.dbs.vault.get('credential:legacy.key')) as unknown as { password: string };
        expect(doc.password).to.match(/^v2:gcm:/);
      });

      it('a tampered ciphertext is refused with a clear error saying to set it again', async function () {
        await api(s.server, 'PUT', '/api/v1/credentials/tamper.key', 'tamper-value');
        const doc = (await s.server.dbs.vault.get('credential:tamper.key')) as unknown as { _rev: string; password: string };
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

    describe('messages', function () {
      it('queues CHT-shaped outgoing messages in input order and reads them back', async function () {
        const res = await api(s.server, 'POST', '/api/v1/messages', [
          { to: '+254712345678', message: 'first' },
          { to: '+254 722 000 111', message: 'second' },
        ]);
        expect(res.status).to.equal(200);
        const body = res.body as { ok: boolean; messages: Array<{ id: string; doc_id: string; to: string; state: string }> };
        expect(body.ok).to.equal(true);
        expect(body.messages.map((m) => m.to)).to.deep.equal(['+254712345678', '+254722000111']);
        expect(body.messages.every((m) => m.state === 'pending')).to.equal(true);
        const doc = (await s.server.dbs.medic.get(body.messages[0]?.doc_id as string)) as unknown as Record<string, unknown>;
        expect(doc).to.include({ type: 'data_record', kujua_message: true, form: null });
        const task = (doc.tasks as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
        expect(task.state).to.equal('pending');
        expect(task.state_history).to.have.length(1);
        expect(task.messages).to.deep.equal([{ uuid: body.messages[0]?.id, to: '+254712345678', message: 'first' }]);
        const one = await api(s.server, 'GET', `/api/v1/messages/${body.messages[1]?.id}`);
        expect(one.status).to.equal(200);
        expect(one.body).to.include({ id: body.messages[1]?.id, to: '+254722000111', message: 'second', state: 'pending', gateway_ref: null });
        const list = await api(s.server, 'GET', '/api/v1/messages?direction=outgoing&state=pending&limit=10');
        expect((list.body as { messages: unknown[] }).messages.length).to.be.at.least(2);
      });

      const bad: Array<[string, unknown, RegExp]> = [
        ['no to', [{ to: '+254712345678', message: 'ok' }, { message: 'x' }], /messages\[1\]\.to/],
        ['empty message', [{ to: '+254712345678', message: '  ' }], /messages\[0\]\.message/],
        ['unusable number', { to: '12', message: 'x' }, /to: "12" is not a usable phone number/],
        ['not an object', ['hello'], /messages\[0\]: must be an object/],
      ];
      for (const [name, body, pattern] of bad) {
        it(`400 naming the item and field, nothing stored: ${name}`, async function () {
          const before = (await s.server.dbs.medic.info()).doc_count;
          const res = await api(s.server, 'POST', '/api/v1/messages', body);
          expect(res.status).to.equal(400);
          expect((res.body as { error: string }).error).to.match(pattern);
          expect((await s.server.dbs.medic.info()).doc_count).to.equal(before);
        });
      }

      it('truncates text beyond multipart_sms_limit as CHT does, keeping original_message', async function () {
        await api(s.server, 'PUT', '/api/v1/settings', { multipart_sms_limit: 1 });
        const long = 'a'.repeat(400);
        const res = await api(s.server, 'POST', '/api/v1/messages', { to: '+254712345678', message: long });
        const created = (res.body as { messages: Array<{ doc_id: string }> }).messages[0];
        const doc = (await s.server.dbs.medic.get(created?.doc_id as string)) as unknown as { tasks: Array<{ messages: Array<{ message: string; original_message?: string }> }> };
        const msg = doc.tasks[0]?.messages[0];
        expect(msg?.message.endsWith('...')).to.equal(true);
        expect(msg?.message.length).to.be.below(long.length);
        expect(msg?.original_message).to.equal(long);
        await api(s.server, 'PUT', '/api/v1/settings', { multipart_sms_limit: 10 });
      });

      it('404 for an unknown message id; 400 for a bad list query', async function () {
        expect((await api(s.server, 'GET', '/api/v1/messages/nope')).status).to.equal(404);
        const res = await api(s.server, 'GET', '/api/v1/messages?state=bogus');
        expect(res.status).to.equal(400);
        expect((res.body as { error: string }).error).to.contain('state');
      });
    });
  });

  it('embedded data survives a restart (same DATA_DIR)', async function () {
    const first = await startTestServer();
    await api(first, 'PUT', '/api/v1/credentials/persist.key', 'persisted-secret');
    await api(first, 'PUT', '/api/v1/settings', { marker: 'persisted' });
    const created = await api(first, 'POST', '/api/v1/messages', { to: '+254712345678', message: 'kept' });
    const id = (created.body as { messages: Array<{ id: string }> }).messages[0]?.id as string;
    await first.stop();
    const second = await startTestServer({ dataDir: first.dataDir });
    try {
      expect(await second.credentials.get('persist.key')).to.equal('persisted-secret');
      expect((await api(second, 'GET', '/api/v1/settings')).body).to.have.property('marker', 'persisted');
      expect((await api(second, 'GET', `/api/v1/messages/${id}`)).body).to.have.property('message', 'kept');
      const keyFile = fs.statSync(path.join(first.dataDir, 'credentials.key'));
      expect(keyFile.mode & 0o777).to.equal(0o600);
    } finally {
      await second.stop();
    }
  });
});

/**
 * GET/PUT /api/v1/settings with CHT's semantics (https://docs.communityhealthtoolkit.org/building/reference/api/
 * and https://github.com/medic/cht-core/blob/master/tests/integration/api/controllers/settings.spec.js):
 * merge, ?replace=1, ?overwrite=1, validation naming the field, and changes made directly in the
 * database taking effect without a restart.
 * Runs on both storage modes (tests/helpers/stores.ts): the embedded store (LevelDB files) and
 * CouchDB over HTTP (pouchdb-server on loopback), through HTTP only where users go through HTTP.
 */
import { expect } from 'chai';
import { onEachStore } from '../helpers/stores.js';
import { api } from '../helpers/test-server.js';

describe('settings API (GET/PUT /api/v1/settings)', function () {
  onEachStore((s) => {
    it('creates CHT defaults on first start (medic-gateway selected)', async function () {
      const res = await api(s.server, 'GET', '/api/v1/settings');
      expect(res.status).to.equal(200);
      expect(res.body).to.have.nested.property('sms.outgoing_service', 'medic-gateway');
    });

    it("merges by default, replaces top-level keys with ?replace=1 (as CHT's settings integration test)", async function () {
      expect(
        (await api(s.server, 'PUT', '/api/v1/settings', { _test_sandbox: { times: 'one', b: 'c' } })).body,
      ).to.deep.equal({ success: true, updated: true });
      await api(s.server, 'PUT', '/api/v1/settings', { _test_sandbox: { times: 'two' } });
      expect((await api(s.server, 'GET', '/api/v1/settings')).body).to.have.deep.property('_test_sandbox', {
        times: 'two',
        b: 'c',
      });
      await api(s.server, 'PUT', '/api/v1/settings?replace=1', { _test_sandbox: { times: 'three' } });
      expect((await api(s.server, 'GET', '/api/v1/settings')).body).to.have.deep.property('_test_sandbox', {
        times: 'three',
      });
    });

    it('answers updated:false when nothing changes, including PUT {}', async function () {
      expect((await api(s.server, 'PUT', '/api/v1/settings', {})).body).to.deep.equal({
        success: true,
        updated: false,
      });
      expect(
        (await api(s.server, 'PUT', '/api/v1/settings', { _test_sandbox: { times: 'three' } })).body,
      ).to.deep.equal({ success: true, updated: false });
    });

    it('refuses an unknown outgoing service with 400 listing the known ones, saving nothing', async function () {
      const before = (await api(s.server, 'GET', '/api/v1/settings')).body;
      const res = await api(s.server, 'PUT', '/api/v1/settings', {
        sms: { outgoing_service: 'carrier-pigeon' },
        other: 1,
      });
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
      expect((await api(s.server, 'GET', '/api/v1/settings')).body).to.deep.equal({
        sms: { outgoing_service: 'medic-gateway' },
      });
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
      const bad = await fetch(`${s.server.url}/api/v1/settings`, {
        method: 'PUT',
        headers: { authorization: s.server.adminAuth, 'content-type': 'application/json' },
        body: '{"a":',
      });
      expect(bad.status).to.equal(400);
      expect(await bad.json()).to.have.property('code', 400);
      const xml = await fetch(`${s.server.url}/api/v1/settings`, {
        method: 'PUT',
        headers: { authorization: s.server.adminAuth, 'content-type': 'application/xml' },
        body: '<a/>',
      });
      expect(xml.status).to.equal(415);
      const huge = await fetch(`${s.server.url}/api/v1/settings`, {
        method: 'PUT',
        headers: { authorization: s.server.adminAuth, 'content-type': 'application/json' },
        body: JSON.stringify({ big: 'x'.repeat(2 * 1024 * 1024) }),
      });
      expect(huge.status).to.equal(413);
      expect(await huge.json()).to.have.property('code', 413);
    });
  });
});

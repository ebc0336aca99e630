/**
 * Administrator checks are throttled per client address: 10 wrong passwords from one address
 * within 60 s, then 429 with Retry-After (even with the right password), counted in /metrics,
 * while another address signs in fine. In CouchDB mode a throttled guess costs no `_session`
 * request and a busy administrator costs one `_session` request per few seconds, not per call.
 */
import { expect } from 'chai';
import { startPouchDbServer, type CouchServer } from '../helpers/pouchdb-server.js';
import { startCountingProxy, type CountingProxy } from '../helpers/counting-proxy.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

import { basicHeader as basic } from '../../api/src/http/auth.js';

async function getSettings(server: TestServer, authorization: string, from: string): Promise<Response> {
  return fetch(`${server.url}/api/v1/settings`, { headers: { authorization, 'x-forwarded-for': from } });
}

describe('administrator sign-in throttling (429)', function () {
  this.timeout(60_000);

  describe('embedded store, behind a trusted proxy', function () {
    let server: TestServer;
    before(async function () {
      server = await startTestServer({ env: { TRUST_PROXY: '127.0.0.1' } });
    });
    after(async function () {
      await server?.stop();
    });

    it('10 wrong passwords → 401 each; then 429 with Retry-After, even with the right password', async function () {
      const attacker = '203.0.113.7';
      for (let i = 0; i < 10; i++) {
        const res = await getSettings(server, basic('admin', `guess-${i}`), attacker);
        expect(res.status, `guess ${i}`).to.equal(401);
      }
      for (const authorization of [basic('admin', 'guess-10'), server.adminAuth]) {
        const res = await getSettings(server, authorization, attacker);
        expect(res.status).to.equal(429);
        expect(Number(res.headers.get('retry-after'))).to.be.within(1, 60);
        const body = (await res.json()) as { code: number; error: string };
        expect(body).to.deep.include({ code: 429 });
        expect(body.error).to.match(/Too many failed sign-in attempts from this address: try again in \d+ s/);
      }
      // Every admin route shares the count, medic-gateway's included.
      const gateway = await fetch(`${server.url}/api/sms`, {
        headers: { authorization: server.adminAuth, 'x-forwarded-for': attacker },
      });
      expect(gateway.status).to.equal(429);
    });

    it('another address signs in at once, and keeps working with no slow-down', async function () {
      for (let i = 0; i < 20; i++) {
        expect((await getSettings(server, server.adminAuth, '198.51.100.20')).status).to.equal(200);
      }
    });

    it('requests without credentials are not counted as guesses', async function () {
      const from = '198.51.100.30';
      for (let i = 0; i < 15; i++) {
        const res = await fetch(`${server.url}/api/v1/settings`, { headers: { 'x-forwarded-for': from } });
        expect(res.status).to.equal(401);
      }
      expect((await getSettings(server, server.adminAuth, from)).status).to.equal(200);
    });

    it('counts failures and refusals in /metrics', async function () {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(text).to.match(/^sms_auth_failures_total 10$/m);
      expect(text).to.match(/^sms_auth_throttled_total 3$/m);
      // The webhook counters are apart.
      expect(text).to.match(/^sms_webhook_throttled_total 0$/m);
    });

    it('a burst of parallel guesses cannot overshoot the limit', async function () {
      const from = '192.0.2.99';
      const tries = Array.from({ length: 30 }, (_, i) => getSettings(server, basic('admin', `burst-${i}`), from));
      const statuses = await Promise.all(tries.map((t) => t.then((r) => r.status)));
      expect(statuses.filter((s) => s === 401).length).to.be.at.most(10);
      expect(statuses.filter((s) => s === 429).length).to.be.at.least(20);
    });
  });

  describe('CouchDB mode (pouchdb-server behind a counting proxy)', function () {
    let couch: CouchServer;
    let proxy: CountingProxy;
    let server: TestServer;
    before(async function () {
      couch = await startPouchDbServer();
      proxy = await startCountingProxy(couch.url);
      const { user, password } = couch.admin;
      const viaProxy = { ...couch, adminUrl: proxy.url.replace('http://', `http://${user}:${password}@`) };
      server = await startTestServer({
        storage: { kind: 'couchdb', couch: viaProxy },
        env: { TRUST_PROXY: '127.0.0.1' },
      });
    });
    after(async function () {
      await server?.stop();
      await proxy?.close();
      await couch?.close();
    });

    it('a throttled address costs CouchDB no _session request', async function () {
      const from = '203.0.113.50';
      const before = proxy.count('/_session');
      for (let i = 0; i < 10; i++) {
        expect((await getSettings(server, basic('admin', `nope-${i}`), from)).status).to.equal(401);
      }
      expect(proxy.count('/_session') - before).to.equal(10);
      for (let i = 0; i < 20; i++) {
        expect((await getSettings(server, basic('admin', `more-${i}`), from)).status).to.equal(429);
      }
      expect(proxy.count('/_session') - before).to.equal(10);
    });

    it('a busy administrator costs one _session request per few seconds, not one per call', async function () {
      const before = proxy.count('/_session');
      const busy = '198.51.100.60';
      const statuses = await Promise.all(
        Array.from({ length: 25 }, () => getSettings(server, server.adminAuth, busy).then((r) => r.status)),
      );
      for (let i = 0; i < 25; i++) statuses.push((await getSettings(server, server.adminAuth, busy)).status);
      expect(statuses.every((s) => s === 200)).to.equal(true);
      expect(proxy.count('/_session') - before).to.be.within(1, 3);
    });
  });
});

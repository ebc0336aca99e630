/**
 * Webhook auth failure throttling through a real server: 10 failed key checks from one address
 * within 60 s, then 429 with Retry-After and a clear message (even with the right key), counted
 * in /metrics; nothing stored meanwhile and the keys never logged.
 */
import { expect } from 'chai';
import { api, startTestServer, type TestServer } from '../helpers/test-server.js';

const KEY = 'guard-test-incoming-key';

describe('webhook auth failure throttling (429)', function () {
  let server: TestServer;
  before(async function () {
    server = await startTestServer();
    await api(server, 'PUT', '/api/v1/credentials/africastalking.com:incoming', KEY);
  });
  after(async function () {
    await server?.stop();
  });

  const post = (key: string, id: string) =>
    fetch(`${server.url}/api/v1/sms/africastalking/incoming-messages?key=${encodeURIComponent(key)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ id, from: '+254712000999', text: 'guarded' }).toString(),
    });

  it('a valid key works; 10 wrong keys → 403 each; then 429 with Retry-After, even for the valid key', async function () {
    expect((await post(KEY, 'guard-ok-1')).status).to.equal(200);
    for (let i = 0; i < 10; i++) expect((await post(`wrong-${i}`, `guard-bad-${i}`)).status).to.equal(403);
    const res = await post(KEY, 'guard-after');
    expect(res.status).to.equal(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).to.be.within(1, 60);
    const body = (await res.json()) as { code: number; error: string };
    expect(body.code).to.equal(429);
    expect(body.error).to.match(/Too many failed key checks from this address: try again in \d+ s/);
    expect((await api(server, 'GET', '/api/v1/messages?direction=incoming')).text).to.not.include('guard-after');
  });

  it('failures and refusals are counted in /metrics; keys never reach the logs', async function () {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).to.include('sms_webhook_auth_failures_total{route="/api/v1/sms/africastalking/incoming-messages"} 10');
    expect(text).to.match(/^sms_webhook_throttled_total 1$/m);
    const logs = server.logs();
    expect(logs).to.not.include(KEY);
    expect(logs).to.not.include('wrong-3');
  });

  it('admin routes are not affected by the webhook throttle', async function () {
    expect((await api(server, 'GET', '/api/v1/settings')).status).to.equal(200);
  });
});

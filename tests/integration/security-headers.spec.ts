/**
 * Security headers on every route the server has (walked from the live route tree, as the
 * OpenAPI spec does), on successes, refusals and 404s alike; HSTS only over HTTPS.
 */
import { expect } from 'chai';
import { walkRoutes } from '../helpers/routes.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

describe('security headers', function () {
  this.timeout(30_000);
  let server: TestServer;
  before(async function () {
    server = await startTestServer({ env: { TRUST_PROXY: '127.0.0.1' } });
  });
  after(async function () {
    await server?.stop();
  });

  function expectSecure(res: Response, what: string, https = false): void {
    expect(res.headers.get('x-content-type-options'), what).to.equal('nosniff');
    expect(res.headers.get('referrer-policy'), what).to.equal('no-referrer');
    expect(res.headers.get('cache-control'), what).to.equal('no-store');
    expect(res.headers.get('strict-transport-security'), what).to.equal(https ? 'max-age=31536000' : null);
    expect(res.headers.get('x-powered-by'), what).to.equal(null);
    expect(res.headers.get('server'), what).to.equal(null);
  }

  /**
   * The response with its body read: a body left unread keeps a large response (the OpenAPI
   * document, console assets) half-written, its connection busy, and the server's close waiting.
   */
  async function call(method: string, path: string, headers: Record<string, string>): Promise<Response> {
    const url = `${server.url}${path.replace(/:[A-Za-z0-9_]+/g, 'x')}`;
    const withBody = method === 'POST' || method === 'PUT';
    const textBody = path.startsWith('/api/v1/credentials');
    const res = await fetch(url, {
      method,
      headers: { ...headers, ...(withBody ? { 'content-type': textBody ? 'text/plain' : 'application/json' } : {}) },
      body: withBody ? (textBody ? 'header-test-secret' : '{}') : undefined,
    });
    await res.arrayBuffer();
    return res;
  }

  it('every route, with and without credentials, over HTTP and (through the proxy) HTTPS', async function () {
    const routes = walkRoutes(server.app.printRoutes({ commonPrefix: false }));
    expect(routes.length).to.be.greaterThan(10);
    const statuses = new Set<number>();
    for (const route of routes) {
      const [method, path] = route.split(' ') as [string, string];
      for (const auth of [{ authorization: server.adminAuth }, {}] as Array<Record<string, string>>) {
        const plain = await call(method, path, auth);
        statuses.add(plain.status);
        expectSecure(plain, `${route} ${plain.status}`);
        const https = await call(method, path, { ...auth, 'x-forwarded-proto': 'https' });
        expectSecure(https, `${route} via https ${https.status}`, true);
      }
    }
    // Successes and refusals were both seen.
    expect([...statuses]).to.include.members([200, 401]);
  });

  it('404s and bad JSON', async function () {
    expectSecure(await fetch(`${server.url}/no/such/route`), '404');
    const bad = await fetch(`${server.url}/api/v1/messages`, {
      method: 'POST',
      headers: { authorization: server.adminAuth, 'content-type': 'application/json' },
      body: '{',
    });
    expect(bad.status).to.equal(400);
    expectSecure(bad, 'bad json');
  });

  it('X-Forwarded-Proto from a client that is not a trusted proxy does not turn HSTS on', async function () {
    const direct = await startTestServer();
    try {
      const res = await fetch(`${direct.url}/api/info`, { headers: { 'x-forwarded-proto': 'https' } });
      expectSecure(res, 'untrusted x-forwarded-proto');
    } finally {
      await direct.stop();
    }
  });

  it('the version is told at /api/info only', async function () {
    const info = (await (await fetch(`${server.url}/api/info`)).json()) as { version: string };
    const res = await fetch(`${server.url}/api/v1/openapi.json`);
    await res.arrayBuffer();
    res.headers.forEach((value, name) => expect(value, name).to.not.include(info.version));
  });
});

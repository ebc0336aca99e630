/**
 * The console's server side through a real server: sign-in with the API's administrators (on
 * both stores: embedded admin, CouchDB server admins), the session cookie's flags, CSRF token
 * and Origin checks on state changes, sign-out, the failed sign-in throttle, the security
 * headers and the static files.
 */
import { expect } from 'chai';
import { onEachStore } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

interface SignedIn {
  cookie: string;
  csrf: string;
  setCookie: string;
}

function credentialsOf(server: TestServer): { user: string; password: string } {
  const decoded = Buffer.from(server.adminAuth.replace(/^Basic /, ''), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function signInRequest(server: TestServer, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}/console/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.url, 'x-requested-with': 'test', ...headers },
    body: JSON.stringify(body),
  });
}

async function signIn(server: TestServer): Promise<SignedIn> {
  const res = await signInRequest(server, credentialsOf(server));
  expect(res.status, await res.clone().text()).to.equal(200);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const { csrf } = (await res.json()) as { csrf: string };
  return { cookie: setCookie.split(';')[0] ?? '', csrf, setCookie };
}

describe('console sessions', function () {
  onEachStore((s) => {
    it('signs in with the API administrators; the cookie reads the admin API; wrong passwords are refused', async function () {
      const wrong = await signInRequest(s.server, { user: credentialsOf(s.server).user, password: 'not-the-password' });
      expect(wrong.status).to.equal(401);
      expect(wrong.headers.get('set-cookie')).to.equal(null);
      expect(wrong.headers.get('www-authenticate')).to.equal(null);
      const { cookie, setCookie } = await signIn(s.server);
      expect(setCookie).to.match(/^cht-sms-console=[\w-]+\.[\w-]+; Path=\/; HttpOnly; SameSite=Strict$/);
      const settings = await fetch(`${s.server.url}/api/v1/settings`, { headers: { cookie } });
      expect(settings.status).to.equal(200);
      expect(await fetch(`${s.server.url}/api/v1/settings`).then((r) => r.status)).to.equal(401);
    });
  });

  describe('on one server', function () {
    let server: TestServer;
    before(async function () {
      server = await startTestServer();
    });
    after(async function () {
      await server?.stop();
    });

    it('state changes on the session need the CSRF token and this server as Origin', async function () {
      const { cookie, csrf } = await signIn(server);
      const put = (headers: Record<string, string>) =>
        fetch(`${server.url}/api/v1/settings`, {
          method: 'PUT',
          headers: { cookie, 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ sms: { reply_to: 'CONSOLE' } }),
        });
      const cases: Array<[string, Record<string, string>, number]> = [
        ['no token, no Origin', {}, 403],
        ['token, no Origin', { 'x-csrf-token': csrf }, 403],
        ['token, foreign Origin', { 'x-csrf-token': csrf, origin: 'http://evil.example' }, 403],
        ['wrong token, own Origin', { 'x-csrf-token': `${csrf}x`, origin: server.url }, 403],
        ['token and own Origin', { 'x-csrf-token': csrf, origin: server.url }, 200],
      ];
      for (const [name, headers, status] of cases) {
        const res = await put(headers);
        expect(res.status, name).to.equal(status);
      }
      const refused = (await (await put({})).json()) as { error: string };
      expect(refused.error).to.match(/Origin|CSRF/);
    });

    it('a forged or altered cookie is no session', async function () {
      const { cookie } = await signIn(server);
      const [name, value] = cookie.split('=') as [string, string];
      const [id] = value.split('.');
      for (const forged of [`${name}=${id}`, `${name}=${id}.AAAA`, `${name}=x${value}`]) {
        expect((await fetch(`${server.url}/api/v1/settings`, { headers: { cookie: forged } })).status, forged).to.equal(
          401,
        );
      }
    });

    it('signing out ends the session (and needs the CSRF token)', async function () {
      const { cookie, csrf } = await signIn(server);
      const noToken = await fetch(`${server.url}/console/api/session`, {
        method: 'DELETE',
        headers: { cookie, origin: server.url },
      });
      expect(noToken.status).to.equal(403);
      const res = await fetch(`${server.url}/console/api/session`, {
        method: 'DELETE',
        headers: { cookie, origin: server.url, 'x-csrf-token': csrf },
      });
      expect(res.status).to.equal(200);
      expect(res.headers.get('set-cookie')).to.include('Max-Age=0');
      expect((await fetch(`${server.url}/api/v1/settings`, { headers: { cookie } })).status).to.equal(401);
      expect((await fetch(`${server.url}/console/api/session`, { headers: { cookie } })).status).to.equal(401);
    });

    it('sign-in from another origin is refused', async function () {
      const res = await signInRequest(server, credentialsOf(server), { origin: 'http://evil.example' });
      expect(res.status).to.equal(403);
      expect(res.headers.get('set-cookie')).to.equal(null);
    });

    it('Secure is set when the request came over HTTPS (through a trusted proxy)', async function () {
      const proxied = await startTestServer({ env: { TRUST_PROXY: 'true' } });
      try {
        const res = await signInRequest(proxied, credentialsOf(proxied), {
          'x-forwarded-proto': 'https',
          origin: proxied.url.replace('http:', 'https:'),
        });
        expect(res.status).to.equal(200);
        expect(res.headers.get('set-cookie')).to.match(/; Secure$/);
      } finally {
        await proxied.stop();
      }
    });

    it('the page and its files carry a strict CSP; only the console folder is served', async function () {
      const page = await fetch(`${server.url}/console/`);
      expect(page.status).to.equal(200);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp)
        .to.include("script-src 'self'")
        .and.to.include("frame-ancestors 'none'")
        .and.not.to.include('unsafe-inline');
      expect(page.headers.get('x-content-type-options')).to.equal('nosniff');
      const html = await page.text();
      expect(html).to.include('<script type="module" src="app.js"></script>');
      expect(html).to.not.match(/<script>|<script [^>]*>[^<]|\son\w+=|style=/);
      expect(html).to.not.match(/https?:\/\//);
      expect((await fetch(`${server.url}/console/app.js`)).headers.get('content-type')).to.match(/^text\/javascript/);
      for (const bad of ['..%2F..%2Fpackage.json', '%2E%2E%2Fsessions.ts', 'sessions.ts', 'nope.js']) {
        expect((await fetch(`${server.url}/console/${bad}`)).status, bad).to.equal(404);
      }
      const redirect = await fetch(`${server.url}/console`, { redirect: 'manual' });
      expect(redirect.status).to.equal(302);
    });

    it('10 failed sign-ins from one address → 429 with Retry-After, even with the right password', async function () {
      const throttled = await startTestServer();
      try {
        for (let i = 0; i < 10; i++) {
          expect((await signInRequest(throttled, { user: 'admin', password: `guess-${i}` })).status).to.equal(401);
        }
        const res = await signInRequest(throttled, credentialsOf(throttled));
        expect(res.status).to.equal(429);
        expect(Number(res.headers.get('retry-after'))).to.be.within(1, 60);
        expect(throttled.logs()).to.not.include('guess-3');
      } finally {
        await throttled.stop();
      }
    });
  });
});

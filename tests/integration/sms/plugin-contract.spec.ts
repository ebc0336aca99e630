/**
 * The plugin contract holds: a third service, declared in a few lines and registered beside the
 * real ones, gets its settings slice validated, its environment variable, its routes mounted
 * (with body validation and a header token), its sends driven by the outbox, and its routes in
 * the OpenAPI document, with no change to the core. And Africa's Talking knowledge stays in its
 * folder: outside it, only the registry names the service.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { z } from 'zod';
import { projectRoot } from '../../../shared-libs/couch/index.js';
import { DEFAULT_SERVICES, ServiceRegistry } from '../../../api/src/sms/registry.js';
import {
  defineRoute,
  type OutboundMessage,
  type OutgoingService,
  type ServiceEnv,
} from '../../../api/src/sms/types.js';
import { api, eventually, startTestServer, type TestServer } from '../../helpers/test-server.js';

interface EchoSettings {
  sender: string;
}

function echoService(
  sent: Array<{ batch: OutboundMessage[]; env: ServiceEnv; settings: EchoSettings }>,
): OutgoingService {
  const slice = z.strictObject({ sender: z.string().min(2) });
  const service: OutgoingService<EchoSettings> = {
    id: 'echo-sms',
    routePrefix: 'echo',
    mode: 'push',
    credentialKeys: ['echo:incoming'],
    settingsSlice: { key: 'echo', schema: slice },
    env: [{ name: 'ECHO_API_URL', url: true, description: 'where echo would send' }],
    parseSettings: (sms) => slice.parse((sms as { echo?: unknown } | undefined)?.echo),
    async send(batch, ctx) {
      sent.push({ batch, env: ctx.env, settings: ctx.settings });
      return batch.map((m) => ({ id: m.id, ok: true as const, state: 'sent' as const, gatewayRef: `echo-${m.id}` }));
    },
    routes: [
      defineRoute<{ ref: string; status: 'ok' | 'ko' }, EchoSettings>({
        method: 'POST',
        url: '/api/v1/sms/echo/status',
        summary: 'Echo delivery status',
        auth: { kind: 'header-token', header: 'authorization', scheme: 'Token', credentialKey: 'echo:incoming' },
        body: {
          schema: z.object({ ref: z.string(), status: z.enum(['ok', 'ko']) }),
          contentTypes: ['application/json'],
        },
        handle: async ({ body }, ctx) =>
          ctx.core.applyStatusUpdates([
            { gatewayRef: body.ref, status: body.status, state: body.status === 'ok' ? 'delivered' : 'failed' },
          ]),
      }),
    ],
  };
  return service as OutgoingService;
}

describe('the SMS plugin contract', function () {
  const sent: Array<{ batch: OutboundMessage[]; env: ServiceEnv; settings: EchoSettings }> = [];
  let server: TestServer;

  before(async function () {
    const registry = new ServiceRegistry([...DEFAULT_SERVICES, echoService(sent)]);
    server = await startTestServer({ env: { ECHO_API_URL: 'http://127.0.0.1:9/' }, compose: { registry } });
    await api(server, 'PUT', '/api/v1/credentials/echo:incoming', 'tok-123');
  });
  after(async function () {
    await server?.stop();
  });

  it("validates the service's settings slice through the settings API", async function () {
    const bad = await api(server, 'PUT', '/api/v1/settings', {
      sms: { outgoing_service: 'echo-sms', echo: { sender: 1 } },
    });
    expect(bad.status).to.equal(400);
    expect(String((bad.body as { error: string }).error)).to.include('sms.echo.sender');
    const ok = await api(server, 'PUT', '/api/v1/settings', {
      sms: { outgoing_service: 'echo-sms', echo: { sender: 'ME' } },
    });
    expect(ok.status).to.equal(200);
  });

  it('sends through the outbox with its settings and only its declared environment', async function () {
    const res = await api(server, 'POST', '/api/v1/messages', { to: '+254711000001', message: 'hello' });
    expect(res.status).to.equal(200);
    const id = (res.body as { messages: Array<{ id: string }> }).messages[0]?.id as string;
    const msg = await eventually(async () => {
      const r = await api(server, 'GET', `/api/v1/messages/${id}`);
      return (r.body as { state: string }).state === 'sent' ? (r.body as { gateway_ref: string }) : undefined;
    });
    expect(msg.gateway_ref).to.equal(`echo-${id}`);
    expect(sent[0]?.settings).to.deep.equal({ sender: 'ME' });
    expect(sent[0]?.env).to.deep.equal({ ECHO_API_URL: 'http://127.0.0.1:9' });
  });

  it('mounts its route: token checked, body validated, status applied by the core', async function () {
    const send = (body: unknown, token?: string): Promise<Response> =>
      fetch(`${server.url}/api/v1/sms/echo/status`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Token ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    expect((await send({ ref: 'x', status: 'ok' })).status).to.equal(403);
    expect((await send({ ref: 'x', status: 'ok' }, 'wrong')).status).to.equal(403);
    const bad = await send({ ref: 'x', status: 'maybe' }, 'tok-123');
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { error: string }).error).to.include('"status"');
    const id = sent[0]?.batch[0]?.id as string;
    const ok = await send({ ref: `echo-${id}`, status: 'ok' }, 'tok-123');
    expect(ok.status).to.equal(200);
    expect(await ok.json()).to.deep.equal({ saved: 1 });
    const msg = await api(server, 'GET', `/api/v1/messages/${id}`);
    expect((msg.body as { state: string }).state).to.equal('delivered');
  });

  it('is described in the OpenAPI document from its own schema', async function () {
    const doc = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { summary: string; security: unknown }>>;
    };
    const op = doc.paths['/api/v1/sms/echo/status']?.post;
    expect(op?.summary).to.equal('Echo delivery status');
    expect(op?.security).to.deep.equal([{ tokenHeader: [] }]);
  });
});

/**
 * Lines of server code and shared libraries naming `pattern`, outside the folders given; with
 * `codeOnly`, comment lines (a citation of a provider's own project) are not counted.
 */
function namedOutside(pattern: RegExp, skip: readonly string[], codeOnly = false): string[] {
  const root = projectRoot();
  const hits: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (skip.some((s) => p.endsWith(s))) continue;
        walk(p);
      } else if (/\.(ts|js)$/.test(e.name)) {
        fs.readFileSync(p, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            if (codeOnly && /^\s*(\/\/|\/\*|\*)/.test(line)) return;
            if (pattern.test(line)) hits.push(`${path.relative(root, p)}:${i + 1}`);
          });
      }
    }
  };
  walk(path.join(root, 'api', 'src'));
  walk(path.join(root, 'shared-libs'));
  return hits;
}

describe('each provider stays in its folder', function () {
  // Each provider's own folder, and its simulator (a tool that imitates the provider).
  const rows = [
    {
      provider: "Africa's Talking",
      pattern: /africas/i,
      skip: [path.join('services', 'africas-talking'), 'at-simulator'],
      codeOnly: false,
    },
    {
      provider: 'RapidPro',
      pattern: /rapid\s*pro/i,
      skip: [path.join('services', 'rapidpro'), 'rapidpro-simulator'],
      codeOnly: true,
    },
  ];
  for (const row of rows) {
    const where = `server code and shared libraries${row.codeOnly ? ', comments aside' : ''}`;
    it(`${row.provider}: outside its folder, only the registry names it (${where})`, function () {
      const hits = namedOutside(row.pattern, row.skip, row.codeOnly);
      const registry = path.join('api', 'src', 'sms', 'registry.ts');
      expect(
        hits.every((h) => h.startsWith(registry)),
        hits.join(', '),
      ).to.equal(true);
      expect(hits.length).to.be.within(1, 2);
    });
  }
});

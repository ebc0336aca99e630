/**
 * The OpenAPI document is kept in step with the code: every live Fastify route (walked from the
 * running server's route tree) is described, nothing described is missing from the server, and
 * every request schema in the document equals z.toJSONSchema of the validator the route uses.
 */
import { expect } from 'chai';
import { z } from 'zod';
import { listQuerySchema } from '../../api/src/routes/listings.js';
import { newMessageSchema } from '../../api/src/routes/messages.js';
import { openapiPath } from '../../api/src/routes/openapi.js';
import { bulkActionSchema, channelUpdateSchema, editMessageSchema } from '../../api/src/routes/queue.js';
import {
  gatewayIncomingSchema,
  gatewayPollSchema,
  gatewayUpdateSchema,
} from '../../api/src/sms/services/medic-gateway/protocol.js';
import { walkRoutes } from '../helpers/routes.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

type Json = Record<string, unknown>;

/** z.toJSONSchema of a live validator, as a request (input) schema, without `$schema`. */
function live(schema: z.ZodType): Json {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Json;
  return rest;
}

describe('GET /api/v1/openapi.json', function () {
  let server: TestServer;
  let doc: {
    openapi: string;
    paths: Record<string, Record<string, Json>>;
    components: { schemas: Record<string, Json> };
  };
  before(async function () {
    server = await startTestServer();
    const res = await fetch(`${server.url}/api/v1/openapi.json`);
    expect(res.status).to.equal(200);
    doc = (await res.json()) as typeof doc;
  });
  after(async function () {
    await server?.stop();
  });

  const op = (method: string, path: string): Json => doc.paths[path]?.[method.toLowerCase()] as Json;
  const body = (method: string, path: string, type = 'application/json'): unknown =>
    (
      (op(method, path).requestBody as { content: Record<string, { schema: unknown }> }).content[type] as {
        schema: unknown;
      }
    ).schema;

  it('is OpenAPI 3.1, served without auth', function () {
    expect(doc.openapi).to.equal('3.1.0');
  });

  it('describes every route the server has, and no route it lacks', function () {
    const routes = walkRoutes(server.app.printRoutes({ commonPrefix: false }));
    expect(routes.length).to.be.greaterThan(10);
    const described = Object.entries(doc.paths)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    expect(described).to.deep.equal(routes.map((r) => openapiPath(r)).sort());
    for (const r of routes) {
      const [method, path] = r.split(' ') as [string, string];
      expect(op(method, openapiPath(path)).summary, r)
        .to.be.a('string')
        .and.not.equal('');
    }
  });

  it('walkRoutes reads nested route trees', function () {
    const tree = '└── /\n    ├── api/a (GET, HEAD)\n    │   └── /:id (PUT)\n    └── b (POST)\n';
    expect(walkRoutes(tree)).to.deep.equal(['GET /api/a', 'POST /b', 'PUT /api/a/:id']);
  });

  it('request schemas equal z.toJSONSchema of the live validators', function () {
    expect(body('PUT', '/api/v1/settings')).to.deep.equal(live(server.registry.settingsSchema()));
    expect(body('POST', '/api/sms')).to.deep.equal(live(gatewayPollSchema));
    const item = live(newMessageSchema);
    expect(body('POST', '/api/v1/messages')).to.deep.equal({
      oneOf: [item, { type: 'array', items: item, minItems: 1 }],
    });
    expect(doc.components.schemas.GatewayIncomingMessage).to.deep.equal(live(gatewayIncomingSchema));
    expect(doc.components.schemas.GatewayStatusUpdate).to.deep.equal(live(gatewayUpdateSchema));
    const query = live(listQuerySchema) as { properties: Record<string, unknown> };
    const params = op('GET', '/api/v1/messages').parameters as Array<{ name: string; in: string; schema: unknown }>;
    expect(Object.fromEntries(params.filter((p) => p.in === 'query').map((p) => [p.name, p.schema]))).to.deep.equal(
      query.properties,
    );
  });

  it('queue actions: request schemas are the live validators; 404 and 409 are declared', function () {
    expect(body('PATCH', '/api/v1/messages/{id}')).to.deep.equal(live(editMessageSchema));
    expect(body('POST', '/api/v1/messages/bulk')).to.deep.equal(live(bulkActionSchema));
    expect(body('PUT', '/api/v1/sms/channel')).to.deep.equal(live(channelUpdateSchema));
    const actions = [
      ['POST', '/api/v1/messages/{id}/retry'],
      ['POST', '/api/v1/messages/{id}/cancel'],
      ['PATCH', '/api/v1/messages/{id}'],
    ] as const;
    for (const [method, path] of actions) {
      expect(Object.keys(op(method, path).responses as Json), path).to.include.members(['200', '401', '404', '409']);
    }
  });

  it('path parameters and auth are declared', function () {
    const params = op('GET', '/api/v1/messages/{id}').parameters as Array<{ name: string; in: string }>;
    expect(params).to.deep.include({ name: 'id', in: 'path', required: true, schema: { type: 'string' } });
    expect(op('POST', '/api/sms').security).to.deep.equal([{ basicAuth: [] }]);
    expect(op('POST', '/api/v1/sms/africastalking/delivery-reports').security).to.deep.equal([{ webhookKey: [] }]);
    expect(op('GET', '/api/v2/monitoring').security).to.equal(undefined);
  });
});

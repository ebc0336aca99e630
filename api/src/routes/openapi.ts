/**
 * GET /api/v1/openapi.json: an OpenAPI 3.1 description generated from the zod schemas the
 * routes validate with (zod 4's z.toJSONSchema), so the document cannot drift from the code
 * silently; tests/integration/openapi.spec.ts walks the live routes and fails on any route
 * left undescribed or any schema that differs from its validator. No auth: it describes the
 * API, it holds no data (CHT publishes its API docs openly too).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { listQuerySchema, newMessageSchema } from './messages.js';
import { gatewayIncomingSchema, gatewayPollSchema, gatewayUpdateSchema } from '../sms/services/medic-gateway/routes.js';
import { appSettingsSchema } from '../settings/schema.js';

type Json = Record<string, unknown>;
type Auth = 'admin' | 'none' | 'webhook-key';

export interface RouteDoc {
  method: 'GET' | 'POST' | 'PUT';
  /** Fastify path syntax (`:id`). */
  path: string;
  summary: string;
  auth: Auth;
  /** The live request validator, when the route has one. */
  body?: { contentTypes: string[]; schema: z.ZodType; array?: boolean };
  query?: z.ZodObject;
  /** Query parameters read without a zod validator (described by hand). */
  flags?: Array<{ name: string; description: string }>;
  response?: string;
}

/**
 * Africa's Talking callbacks are parsed by the service's hand-written `handle` (not zod): these
 * schemas describe the form fields it reads (africas-talking/webhooks.ts), for readers only.
 */
const atIncomingFields = z.looseObject({ id: z.string(), from: z.string(), text: z.string(), to: z.string().optional(), date: z.string().optional(), linkId: z.string().optional(), networkCode: z.string().optional() });
const atReportFields = z.looseObject({ id: z.string(), status: z.string(), failureReason: z.string().optional() });

const FORM = ['application/x-www-form-urlencoded', 'application/json'];

export const ROUTE_DOCS: readonly RouteDoc[] = [
  { method: 'GET', path: '/api/info', summary: 'Server version; answers when ready', auth: 'none' },
  { method: 'PUT', path: '/api/v1/credentials/:key', summary: 'Store a secret (text/plain body), encrypted; never returned', auth: 'admin', response: '{"ok": true}' },
  { method: 'GET', path: '/api/v1/settings', summary: 'The app settings', auth: 'admin' },
  {
    method: 'PUT',
    path: '/api/v1/settings',
    summary: 'Update app settings (deep merge; ?replace=1 top-level keys; ?overwrite=1 everything). The result is validated as below.',
    auth: 'admin',
    body: { contentTypes: ['application/json'], schema: appSettingsSchema },
    flags: [
      { name: 'replace', description: 'Replace the top-level keys given' },
      { name: 'overwrite', description: 'Replace the whole settings object' },
    ],
  },
  { method: 'POST', path: '/api/v1/messages', summary: 'Queue outgoing SMS: one message or an array', auth: 'admin', body: { contentTypes: ['application/json'], schema: newMessageSchema, array: true } },
  { method: 'GET', path: '/api/v1/messages', summary: 'List messages, newest first', auth: 'admin', query: listQuerySchema },
  { method: 'GET', path: '/api/v1/messages/:id', summary: 'One outgoing message by uuid, with its state history', auth: 'admin' },
  { method: 'POST', path: '/api/v1/sms/africastalking/incoming-messages', summary: "Africa's Talking incoming SMS callback (?key=)", auth: 'webhook-key', body: { contentTypes: FORM, schema: atIncomingFields } },
  { method: 'POST', path: '/api/v1/sms/africastalking/delivery-reports', summary: "Africa's Talking delivery report callback (?key=)", auth: 'webhook-key', body: { contentTypes: FORM, schema: atReportFields } },
  { method: 'GET', path: '/api/sms', summary: 'medic-gateway connection test', auth: 'admin', response: '{"medic-gateway": true}' },
  { method: 'POST', path: '/api/sms', summary: 'medic-gateway poll: incoming messages, status updates; answers messages to send', auth: 'admin', body: { contentTypes: ['application/json'], schema: gatewayPollSchema } },
  { method: 'GET', path: '/api/v2/monitoring', summary: 'CHT-style monitoring figures (outgoing counts, channel, cost)', auth: 'none' },
  { method: 'GET', path: '/metrics', summary: 'Prometheus metrics (text exposition format)', auth: 'none' },
  { method: 'GET', path: '/api/v1/openapi.json', summary: 'This document', auth: 'none' },
];

/** z.toJSONSchema for a request (input side: defaults optional, coercions as declared), minus `$schema`. */
export function requestSchema(schema: z.ZodType): Json {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Json;
  return rest;
}

/** `/api/v1/messages/:id` → `/api/v1/messages/{id}` */
export const openapiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

const ERROR = { $ref: '#/components/schemas/Error' };

function operation(doc: RouteDoc): Json {
  const op: Json = { summary: doc.summary, 'x-auth': doc.auth };
  if (doc.auth === 'admin') op.security = [{ basicAuth: [] }];
  if (doc.auth === 'webhook-key') op.security = [{ webhookKey: [] }];
  const params: Json[] = [...doc.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  if (doc.query) {
    const q = requestSchema(doc.query) as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) params.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema });
  }
  for (const f of doc.flags ?? []) params.push({ name: f.name, in: 'query', required: false, description: f.description, schema: { type: 'string' } });
  if (params.length) op.parameters = params;
  if (doc.body) {
    const item = requestSchema(doc.body.schema);
    const schema = doc.body.array ? { oneOf: [item, { type: 'array', items: item, minItems: 1 }] } : item;
    op.requestBody = { required: true, content: Object.fromEntries(doc.body.contentTypes.map((t) => [t, { schema }])) };
  }
  const responses: Json = { '200': { description: doc.response ?? 'OK' } };
  if (doc.body) responses['400'] = { description: 'Invalid request, naming the field', content: { 'application/json': { schema: ERROR } } };
  if (doc.auth === 'admin') {
    responses['401'] = { description: 'No or wrong credentials', content: { 'application/json': { schema: ERROR } } };
    responses['403'] = { description: 'Not an administrator', content: { 'application/json': { schema: ERROR } } };
  }
  if (doc.auth === 'webhook-key') {
    responses['403'] = { description: 'Key missing or wrong', content: { 'application/json': { schema: ERROR } } };
    responses['429'] = { description: 'Too many failed key checks from this address (Retry-After)', content: { 'application/json': { schema: ERROR } } };
  }
  op.responses = responses;
  return op;
}

export function buildOpenApi(version: string, docs: readonly RouteDoc[] = ROUTE_DOCS): Json {
  const paths: Record<string, Json> = {};
  for (const doc of docs) {
    const p = (paths[openapiPath(doc.path)] ??= {});
    p[doc.method.toLowerCase()] = operation(doc);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'CHT SMS API', version, description: "A CHT-API-compatible server for SMS: Africa's Talking push, medic-gateway pull, monitoring." },
    paths,
    components: {
      securitySchemes: {
        basicAuth: { type: 'http', scheme: 'basic' },
        webhookKey: { type: 'apiKey', in: 'query', name: 'key' },
      },
      schemas: {
        Error: { type: 'object', required: ['code', 'error'], properties: { code: { type: 'integer' }, error: { type: 'string' } } },
        GatewayIncomingMessage: requestSchema(gatewayIncomingSchema),
        GatewayStatusUpdate: requestSchema(gatewayUpdateSchema),
      },
    },
  };
}

export function openapiRoutes(app: FastifyInstance, version: string): void {
  let cached: Json | undefined;
  app.get('/api/v1/openapi.json', async () => (cached ??= buildOpenApi(version)));
}

/**
 * GET /api/v1/openapi.json: an OpenAPI 3.1 description generated from the zod schemas the
 * routes validate with (zod 4's z.toJSONSchema), so the document cannot drift from the code
 * silently; tests/integration/openapi.spec.ts walks the live routes and fails on any route
 * left undescribed or any schema that differs from its validator. No auth: it describes the
 * API, it holds no data (CHT publishes its API docs openly too).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { consoleRouteDocs } from '../console/route-docs.js';
import type { ServiceRegistry } from '../sms/registry.js';
import { auditQuerySchema } from './audit.js';
import { exchangeListQuerySchema } from './exchanges.js';
import { listQuerySchema } from './listings.js';
import { newMessageSchema } from './messages.js';
import { optOutBodySchema, optOutDeleteQuerySchema } from './opt-outs.js';
import { bulkActionSchema, channelUpdateSchema, editMessageSchema } from './queue.js';

type Json = Record<string, unknown>;
type Auth = 'admin' | 'none' | 'webhook-key' | 'header-token';

export interface RouteDoc {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
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
  /** Refusals beyond the usual 400/401/403, by status. */
  errors?: Record<string, string>;
}

const MESSAGE_VIEW = 'The message, as GET /api/v1/messages/{id} returns it';
const ACTION_ERRORS = {
  '404': 'No outgoing message with that id',
  '409': 'The action does not apply to the message now (its state, or it is being sent); nothing changed',
};
const CHANNEL_VIEW = '{"paused", "reason", "by", "at", "circuit"}';
const json = (schema: z.ZodType) => ({ contentTypes: ['application/json'], schema });

/** The core's routes; each SMS service's routes are described from the registry. */
export function coreRouteDocs(settingsSchema: z.ZodType): RouteDoc[] {
  return [
    { method: 'GET', path: '/api/info', summary: 'Server version; answers when ready', auth: 'none' },
    {
      method: 'PUT',
      path: '/api/v1/credentials/:key',
      summary: 'Store a secret (text/plain body), encrypted; never returned',
      auth: 'admin',
      response: '{"ok": true}',
    },
    { method: 'GET', path: '/api/v1/settings', summary: 'The app settings', auth: 'admin' },
    {
      method: 'PUT',
      path: '/api/v1/settings',
      summary:
        'Update app settings (deep merge; ?replace=1 top-level keys; ?overwrite=1 everything). The result is validated as below.',
      auth: 'admin',
      body: { contentTypes: ['application/json'], schema: settingsSchema },
      flags: [
        { name: 'replace', description: 'Replace the top-level keys given' },
        { name: 'overwrite', description: 'Replace the whole settings object' },
      ],
    },
    {
      method: 'POST',
      path: '/api/v1/messages',
      summary: 'Queue outgoing SMS: one message or an array',
      auth: 'admin',
      body: { contentTypes: ['application/json'], schema: newMessageSchema, array: true },
    },
    {
      method: 'GET',
      path: '/api/v1/messages',
      summary:
        'List messages, newest first, a page at a time: filter by direction, state(s), number (full or last 4+ digits) or stuck; pass next_cursor back as cursor',
      auth: 'admin',
      query: listQuerySchema,
      response: '{"messages": [...], "next_cursor": "<opaque>" | null}',
    },
    {
      method: 'GET',
      path: '/api/v1/messages/counts',
      summary: 'Outgoing messages per state, stuck ones, and incoming ones',
      auth: 'admin',
      response: '{"outgoing": {"total", "by_state": {...}}, "stuck", "stuck_after_hours", "incoming"}',
    },
    {
      method: 'GET',
      path: '/api/v1/messages/:id',
      summary: 'One outgoing message by uuid, with its state history and its provider exchanges (`exchanges`)',
      auth: 'admin',
    },
    {
      method: 'POST',
      path: '/api/v1/messages/estimate',
      summary:
        'Encoding, parts and cost (from recent charges) of messages as for POST /api/v1/messages; stores nothing',
      auth: 'admin',
      body: { contentTypes: ['application/json'], schema: newMessageSchema, array: true },
    },
    {
      method: 'GET',
      path: '/api/v1/sms/opt-outs',
      summary: 'Numbers that opted out, per sender id',
      auth: 'admin',
      response: '{"opt_outs": [{"number", "sender_id", "source", "at"}]}',
    },
    {
      method: 'POST',
      path: '/api/v1/sms/opt-outs',
      summary: 'Opt a number out (of one sender id, or of every sender)',
      auth: 'admin',
      body: { contentTypes: ['application/json'], schema: optOutBodySchema },
    },
    {
      method: 'DELETE',
      path: '/api/v1/sms/opt-outs/:number',
      summary: "Opt a number back in (kept in the entry's history)",
      auth: 'admin',
      query: optOutDeleteQuerySchema,
    },
    {
      method: 'GET',
      path: '/api/v1/sms/exchanges',
      summary: 'Provider exchange log (requests to and callbacks from providers, redacted), newest first',
      auth: 'admin',
      query: exchangeListQuerySchema,
    },
    {
      method: 'POST',
      path: '/api/v1/messages/:id/retry',
      summary: 'Send a failed or backing-off message now (attempts reset)',
      auth: 'admin',
      response: MESSAGE_VIEW,
      errors: ACTION_ERRORS,
    },
    {
      method: 'POST',
      path: '/api/v1/messages/:id/cancel',
      summary: 'Cancel a pending or scheduled message: it ends `cleared`, never sent',
      auth: 'admin',
      response: MESSAGE_VIEW,
      errors: ACTION_ERRORS,
    },
    {
      method: 'PATCH',
      path: '/api/v1/messages/:id',
      summary: 'Edit the text of a pending or scheduled message (truncated as POST /api/v1/messages)',
      auth: 'admin',
      body: json(editMessageSchema),
      response: MESSAGE_VIEW,
      errors: ACTION_ERRORS,
    },
    {
      method: 'POST',
      path: '/api/v1/messages/bulk',
      summary: 'Retry or cancel every message a filter selects, page by page; dry_run only counts',
      auth: 'admin',
      body: json(bulkActionSchema),
      response: '{"matched": n, "changed": m}',
    },
    {
      method: 'GET',
      path: '/api/v1/sms/channel',
      summary: 'The operator pause switch for all sending, and the outbox circuit',
      auth: 'admin',
      response: CHANNEL_VIEW,
    },
    {
      method: 'PUT',
      path: '/api/v1/sms/channel',
      summary: 'Pause or resume all sending, on every instance, across restarts; incoming and reports keep flowing',
      auth: 'admin',
      body: json(channelUpdateSchema),
      response: CHANNEL_VIEW,
    },
    {
      method: 'GET',
      path: '/api/v2/monitoring',
      summary: 'CHT-style monitoring figures (outgoing counts, channel, cost)',
      auth: 'none',
    },
    { method: 'GET', path: '/metrics', summary: 'Prometheus metrics (text exposition format)', auth: 'none' },
    { method: 'GET', path: '/api/v1/openapi.json', summary: 'This document', auth: 'none' },
    {
      method: 'GET',
      path: '/api/v1/audit',
      summary:
        'Audit trail, newest first: settings changes, credential writes (never values), queue and channel actions',
      auth: 'admin',
      query: auditQuerySchema,
      response: '{"entries": [{"at", "user", "address", "action", "target", "changes"}]}',
    },
  ];
}

const AUTH_DOC = { admin: 'admin', 'query-key': 'webhook-key', 'header-token': 'header-token' } as const;

/** Each registered service's routes, from the same schemas that validate them. */
export function serviceRouteDocs(registry: ServiceRegistry): RouteDoc[] {
  return registry.all().flatMap((service) =>
    service.routes.map((r) => ({
      method: r.method,
      path: r.url,
      summary: r.summary,
      auth: AUTH_DOC[r.auth.kind],
      ...(r.body ? { body: { contentTypes: [...r.body.contentTypes], schema: r.body.schema } } : {}),
    })),
  );
}

function serviceComponents(registry: ServiceRegistry): Record<string, z.ZodType> {
  return Object.fromEntries(
    registry.all().flatMap((s) => s.routes.flatMap((r) => Object.entries(r.body?.components ?? {}))),
  );
}

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
  if (doc.auth === 'header-token') op.security = [{ tokenHeader: [] }];
  const params: Json[] = [...doc.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  if (doc.query) {
    const q = requestSchema(doc.query) as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {}))
      params.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema });
  }
  for (const f of doc.flags ?? [])
    params.push({ name: f.name, in: 'query', required: false, description: f.description, schema: { type: 'string' } });
  if (params.length) op.parameters = params;
  if (doc.body) {
    const item = requestSchema(doc.body.schema);
    const schema = doc.body.array ? { oneOf: [item, { type: 'array', items: item, minItems: 1 }] } : item;
    op.requestBody = { required: true, content: Object.fromEntries(doc.body.contentTypes.map((t) => [t, { schema }])) };
  }
  const responses: Json = { '200': { description: doc.response ?? 'OK' } };
  if (doc.body)
    responses['400'] = {
      description: 'Invalid request, naming the field',
      content: { 'application/json': { schema: ERROR } },
    };
  if (doc.auth === 'admin') {
    responses['401'] = { description: 'No or wrong credentials', content: { 'application/json': { schema: ERROR } } };
    responses['403'] = { description: 'Not an administrator', content: { 'application/json': { schema: ERROR } } };
    responses['429'] = {
      description: 'Too many failed sign-in attempts from this address (Retry-After)',
      content: { 'application/json': { schema: ERROR } },
    };
  }
  if (doc.auth === 'webhook-key' || doc.auth === 'header-token') {
    responses['403'] = { description: 'Key missing or wrong', content: { 'application/json': { schema: ERROR } } };
    responses['429'] = {
      description: 'Too many failed key checks from this address (Retry-After)',
      content: { 'application/json': { schema: ERROR } },
    };
  }
  for (const [status, description] of Object.entries(doc.errors ?? {})) {
    responses[status] = { description, content: { 'application/json': { schema: ERROR } } };
  }
  op.responses = responses;
  return op;
}

export function buildOpenApi(version: string, registry: ServiceRegistry): Json {
  const docs: RouteDoc[] = [
    ...coreRouteDocs(registry.settingsSchema()),
    ...consoleRouteDocs(),
    ...serviceRouteDocs(registry),
  ];
  const paths: Record<string, Json> = {};
  for (const doc of docs) {
    const p = (paths[openapiPath(doc.path)] ??= {});
    p[doc.method.toLowerCase()] = operation(doc);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'CHT SMS API',
      version,
      description: 'A CHT-API-compatible server for SMS: pluggable outgoing services, webhooks, monitoring.',
    },
    paths,
    components: {
      securitySchemes: {
        basicAuth: { type: 'http', scheme: 'basic' },
        webhookKey: { type: 'apiKey', in: 'query', name: 'key' },
        tokenHeader: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Token <secret>' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['code', 'error'],
          properties: { code: { type: 'integer' }, error: { type: 'string' } },
        },
        ...Object.fromEntries(Object.entries(serviceComponents(registry)).map(([k, v]) => [k, requestSchema(v)])),
      },
    },
  };
}

export function openapiRoutes(app: FastifyInstance, deps: { version: string; registry: ServiceRegistry }): void {
  let cached: Json | undefined;
  app.get('/api/v1/openapi.json', async () => (cached ??= buildOpenApi(deps.version, deps.registry)));
}

/**
 * Mounts every registered service's routes. The core does everything around a route's `handle`:
 * the secret check (constant time, before the body is read, never logged, failures throttled),
 * administrator auth, gzip bodies, validation with the route's schema (400 naming the field),
 * and the context `handle` works through (the core operations, credentials, settings). Every
 * request admitted past the secret or admin check is recorded in the exchange log with the
 * messages its handling touched.
 */
import zlib from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { timingSafeEqualString } from '../../../shared-libs/credentials/index.js';
import { requireAdmin } from '../http/admin.js';
import type { AdminAuthenticator } from '../http/auth.js';
import { mediaType, unsupportedType } from '../http/content-type.js';
import { AppError } from '../http/errors.js';
import type { LogPrivacy } from '../http/log-privacy.js';
import type { ExchangeSink } from '../observability/exchange-recorder.js';
import { runInExchangeScope, type ExchangeScope } from '../sms/exchange-scope.js';
import { serviceSettingsIfValid } from '../sms/service-settings.js';
import type { WebhookGuard } from '../http/webhook-guard.js';
import type { AppSettings } from '../settings/schema.js';
import type { ServiceRegistry } from '../sms/registry.js';
import type {
  CredentialReader,
  OutgoingService,
  RouteAuth,
  RouteContext,
  ServiceEnv,
  ServiceRoute,
  SmsCore,
} from '../sms/types.js';

export interface SmsRouteDeps {
  registry: ServiceRegistry;
  credentials: CredentialReader;
  auth: AdminAuthenticator;
  settings: { get(): AppSettings };
  /** The core operations, bound to one service. */
  core: (service: OutgoingService) => SmsCore;
  http: Dispatcher;
  privacy: LogPrivacy;
  serviceEnv: (service: OutgoingService) => ServiceEnv;
  now: () => Date;
  /** Runs a service's job on demand (routes such as a manual sync). */
  runJob: (service: OutgoingService, name: string) => Promise<unknown>;
  guard?: WebhookGuard;
  /** The exchange log: provider callbacks are recorded there. */
  exchanges?: ExchangeSink;
}

type SecretAuth = Exclude<RouteAuth, { kind: 'admin' }>;

function givenSecret(req: FastifyRequest, auth: SecretAuth): unknown {
  if (auth.kind === 'query-key') return (req.query as Record<string, unknown>).key;
  const header = req.headers[auth.header.toLowerCase()];
  if (typeof header !== 'string') return undefined;
  const prefix = `${auth.scheme} `;
  return header.toLowerCase().startsWith(prefix.toLowerCase()) ? header.slice(prefix.length).trim() : undefined;
}

async function checkSecret(req: FastifyRequest, auth: SecretAuth, deps: SmsRouteDeps, url: string): Promise<void> {
  deps.guard?.check(req.ip);
  const expected = await deps.credentials.get(auth.credentialKey);
  if (!expected) {
    // Not the caller's fault (setup is incomplete): never throttle the provider for it.
    throw new AppError(403, `No incoming key configured: PUT /api/v1/credentials/${auth.credentialKey}`);
  }
  const given = givenSecret(req, auth);
  if (typeof given !== 'string' || !timingSafeEqualString(given, expected)) {
    deps.guard?.failed(req.ip, url);
    throw new AppError(403, 'Incorrect token');
  }
}

/** A body validation failure, naming the field as a reader of the request would. */
export function describeBodyError(err: z.ZodError, body: unknown): string {
  return err.issues
    .map((issue) => {
      const field = issue.path.join('.');
      if (!field) return issue.message;
      const top = issue.path[0];
      const present = typeof body === 'object' && body !== null && top !== undefined && Object.hasOwn(body, top);
      return present ? `Field "${field}": ${issue.message}` : `Missing required field "${field}"`;
    })
    .join('; ');
}

/** medic-gateway may gzip its request (CHT's body-parser inflates it transparently). */
function inflate(encoding: string | undefined, payload: NodeJS.ReadableStream): NodeJS.ReadableStream {
  const enc = (encoding ?? 'identity').toLowerCase();
  if (enc === 'identity') return payload;
  if (enc !== 'gzip' && enc !== 'x-gzip' && enc !== 'deflate') {
    throw new AppError(415, `Unsupported Content-Encoding "${enc}": use gzip, deflate or none`);
  }
  const stream = enc === 'deflate' ? zlib.createInflate() : zlib.createGunzip();
  // fastify compares Content-Length with the bytes received, which are the compressed ones.
  const counted = stream as zlib.Gunzip & { receivedEncodedLength: number };
  counted.receivedEncodedLength = 0;
  payload.on('data', (chunk: Buffer) => {
    counted.receivedEncodedLength += chunk.length;
  });
  stream.on('error', (err: Error & { statusCode?: number }) => {
    err.statusCode = 400;
  });
  payload.pipe(stream);
  return stream;
}

function parseBody(route: ServiceRoute<never, unknown>, raw: unknown, contentType: string | undefined): unknown {
  const spec = route.body;
  if (!spec) return undefined;
  // The server parses every type it knows; a route takes only the ones it declared.
  const type = mediaType(contentType);
  if (raw !== undefined && type !== undefined && !spec.contentTypes.includes(type)) {
    throw unsupportedType(type, spec.contentTypes);
  }
  const body = raw ?? spec.whenEmpty;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    const types = spec.contentTypes.includes('application/x-www-form-urlencoded')
      ? 'form fields (application/x-www-form-urlencoded) or a JSON object'
      : 'a JSON object';
    throw new AppError(400, `Request body must be ${types}`);
  }
  const parsed = spec.schema.safeParse(body);
  if (!parsed.success) throw new AppError(400, describeBodyError(parsed.error, body));
  return parsed.data;
}

interface Tracked {
  scope: ExchangeScope;
  at: Date;
  requestBody?: string;
  responseBody?: string;
}

function bodyText(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  return typeof body === 'string' ? body : JSON.stringify(body);
}

export function smsRoutes(app: FastifyInstance, deps: SmsRouteDeps): void {
  const admin = requireAdmin(deps.auth);
  // Requests that reached their handler (a refused secret is counted in metrics, not logged here).
  const tracked = new WeakMap<FastifyRequest, Tracked>();
  for (const service of deps.registry.all()) {
    const core = deps.core(service);
    const env = deps.serviceEnv(service);
    for (const route of service.routes) {
      const auth = route.auth;
      app.route({
        method: route.method,
        url: route.url,
        // Before the body is read: a caller without the secret gets 403, whatever it sends.
        onRequest: auth.kind === 'admin' ? admin : async (req) => checkSecret(req, auth, deps, route.url),
        ...(route.body?.compressed
          ? {
              preParsing: async (req: FastifyRequest, _reply: unknown, payload: NodeJS.ReadableStream) =>
                inflate(req.headers['content-encoding'], payload),
            }
          : {}),
        onSend: async (req, _reply, payload) => {
          const t = tracked.get(req);
          if (t) t.responseBody = bodyText(Buffer.isBuffer(payload) ? payload.toString('utf8') : payload);
          return payload;
        },
        onResponse: async (req, reply) => {
          const t = tracked.get(req);
          if (!t || !deps.exchanges) return;
          deps.exchanges.record({
            direction: 'incoming',
            service: service.id,
            at: t.at,
            method: req.method,
            url: req.url,
            status: reply.statusCode,
            elapsedMs: reply.elapsedTime,
            ...(t.requestBody !== undefined ? { requestBody: t.requestBody } : {}),
            ...(t.responseBody !== undefined ? { responseBody: t.responseBody } : {}),
            messageIds: t.scope.messageIds,
          });
        },
        handler: async (req) => {
          const scope: ExchangeScope = { service: service.id, messageIds: new Set() };
          const requestBody = bodyText(req.body);
          tracked.set(req, { scope, at: deps.now(), ...(requestBody !== undefined ? { requestBody } : {}) });
          const body = parseBody(route, req.body, req.headers['content-type']) as never;
          const appSettings = deps.settings.get();
          const ctx: RouteContext<unknown> = {
            core,
            appSettings,
            settings: serviceSettingsIfValid(service, appSettings.sms),
            credentials: deps.credentials,
            http: deps.http,
            logger: req.log as Logger,
            now: deps.now,
            env,
            privacy: deps.privacy,
            runJob: (name) => deps.runJob(service, name),
          };
          const query = req.query as Record<string, unknown>;
          return runInExchangeScope(scope, () => route.handle({ body, query }, ctx));
        },
      });
    }
  }
}

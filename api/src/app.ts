/**
 * buildApp(deps) → the HTTP app. Never listens, never starts timers.
 */
import formbody from '@fastify/formbody';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { MessageDoc } from '../../shared-libs/task-utils/types.js';
import type { AdminAuthenticator } from './http/auth.js';
import { registerErrorHandler } from './http/error-handler.js';
import { redactUrl } from './http/redact.js';
import { credentialRoutes } from './routes/credentials.js';
import { infoRoutes } from './routes/info.js';
import { messageRoutes } from './routes/messages.js';
import { settingsRoutes } from './routes/settings.js';
import { smsRoutes, type WebhookGuard } from './routes/sms.js';
import type { CredentialsService } from './credentials/credentials.js';
import type { IncomingMessages } from './messages/incoming.js';
import type { OutgoingMessages } from './messages/outgoing.js';
import type { StatusUpdates } from './reports/status-updates.js';
import type { SettingsService } from './settings/settings.js';
import type { ServiceRegistry } from './sms/registry.js';

export interface AppDeps {
  version: string;
  logger: Logger;
  auth: AdminAuthenticator;
  settings: SettingsService;
  credentials: CredentialsService;
  registry: ServiceRegistry;
  outgoing: OutgoingMessages;
  incoming: IncomingMessages;
  statusUpdates: StatusUpdates;
  now: () => Date;
  guard?: WebhookGuard;
  onMessagesCreated?: (docs: MessageDoc[]) => void;
  /** Extra routes (gateway, monitoring, metrics) registered by their own modules. */
  extraRoutes?: Array<(app: FastifyInstance) => void | Promise<void>>;
  bodyLimit?: number;
  trustProxy?: boolean | string;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Our own access log below redacts `?key=`; fastify's request lines would not.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'req_id' }),
    bodyLimit: deps.bodyLimit ?? 1024 * 1024,
    // Off unless TRUST_PROXY says so: behind a proxy every client would share its address (and its throttle).
    trustProxy: deps.trustProxy ?? false,
  });
  registerErrorHandler(app);
  await app.register(formbody);

  app.addHook('onResponse', async (req, reply) => {
    req.log.info(
      { method: req.method, url: redactUrl(req.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  infoRoutes(app, deps.version);
  await app.register(async (scope) => credentialRoutes(scope, deps));
  settingsRoutes(app, deps);
  messageRoutes(app, { ...deps, onCreated: deps.onMessagesCreated });
  smsRoutes(app, deps);
  for (const register of deps.extraRoutes ?? []) await register(app);
  return app;
}

/**
 * buildApp(deps) → the HTTP app, with every route registered here. Never listens, never starts
 * timers.
 */
import formbody from '@fastify/formbody';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { MessageDoc } from '../../shared-libs/task-utils/types.js';
import { consoleRoutes } from './console/routes.js';
import { consoleSessionAuth } from './console/session-auth.js';
import { ConsoleSessions } from './console/sessions.js';
import type { AuditLog } from './audit/audit-log.js';
import type { CredentialsService } from './credentials/credentials.js';
import type { AdminAuthenticator } from './http/auth.js';
import { frameworkErrors, registerErrorHandler } from './http/error-handler.js';
import { registerJsonParser } from './http/json-body.js';
import { redactUrl } from './http/redact.js';
import { securityHeaders } from './http/security-headers.js';
import { FailureThrottle, retryAfterHeader, type WebhookGuard } from './http/webhook-guard.js';
import type { OutgoingMessages } from './messages/outgoing.js';
import type { SmsMetrics } from './observability/metrics.js';
import type { ExchangeLog } from './observability/exchanges.js';
import type { MonitoringService } from './observability/monitoring.js';
import { ActivityCounter } from './observability/activity.js';
import type { ChannelState } from './outbox/circuit.js';
import { activityRoutes } from './routes/activity.js';
import type { OptOutList } from './consent/opt-outs.js';
import type { CostSamples } from './estimates/cost-samples.js';
import { auditRoutes } from './routes/audit.js';
import { credentialRoutes } from './routes/credentials.js';
import { estimateRoutes } from './routes/estimate.js';
import { exchangeRoutes } from './routes/exchanges.js';
import { infoRoutes } from './routes/info.js';
import { listingRoutes, type ListingRouteDeps } from './routes/listings.js';
import { messageRoutes } from './routes/messages.js';
import { metricsRoutes } from './routes/metrics.js';
import { monitoringRoutes } from './routes/monitoring.js';
import { openapiRoutes } from './routes/openapi.js';
import { optOutRoutes } from './routes/opt-outs.js';
import { queueRoutes, type QueueRouteDeps } from './routes/queue.js';
import { settingsRoutes } from './routes/settings.js';
import { smsRoutes, type SmsRouteDeps } from './routes/sms.js';
import type { AppSettings } from './settings/schema.js';
import type { SettingsService } from './settings/settings.js';

type QueueDeps = Pick<QueueRouteDeps, 'queueActions' | 'bulkActions' | 'channelSwitch' | 'queueAudit'>;

export interface AppDeps extends SmsRouteDeps, QueueDeps, Pick<ListingRouteDeps, 'listings' | 'messageCounts'> {
  version: string;
  logger: Logger;
  auth: AdminAuthenticator;
  settings: SettingsService;
  credentials: CredentialsService;
  outgoing: OutgoingMessages;
  monitoring: MonitoringService;
  metrics: SmsMetrics;
  channelState: () => ChannelState;
  guard?: WebhookGuard;
  exchanges?: ExchangeLog;
  onMessagesCreated?: (docs: MessageDoc[]) => void;
  /** Deny rules, duplicates and the per-recipient cap for new messages. */
  guards?: { screenNew(docs: readonly MessageDoc[], settings: AppSettings, now: Date): Promise<void> };
  optOuts: OptOutList;
  costSamples: CostSamples;
  /** More `sms` figures for /api/v2/monitoring (balance, guards). */
  smsFigures?: () => Promise<Record<string, unknown>>;
  bodyLimit?: number;
  trustProxy?: boolean | string;
  /** Send outcomes per minute for the console's chart (GET /api/v1/sms/activity). */
  activity?: ActivityCounter;
  /** The operator console's sessions (in memory) and its failed sign-in throttle. */
  consoleSessions?: ConsoleSessions;
  signInThrottle?: WebhookGuard;
  audit?: AuditLog;
  timeouts?: HttpTimeouts;
}

/** Slow clients are cut off: headers within `headersMs`, the whole request within `requestMs`. */
export interface HttpTimeouts {
  headersMs?: number;
  requestMs?: number;
  /** How often Node checks those two (its default is 30 s). */
  checkEveryMs?: number;
}

export const DEFAULT_TIMEOUTS = { headersMs: 20_000, requestMs: 120_000, checkEveryMs: 5_000 } as const;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...deps.timeouts };
  const app = Fastify({
    // A client sending its headers or body byte by byte must not hold a connection for ever.
    http: {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      connectionsCheckingInterval: timeouts.checkEveryMs,
    },
    requestTimeout: timeouts.requestMs,
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Our own access log below redacts `?key=`; fastify's request lines would not.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'req_id' }),
    bodyLimit: deps.bodyLimit ?? 1024 * 1024,
    // Off unless TRUST_PROXY says so: behind a proxy every client would share its address (and its throttle).
    trustProxy: deps.trustProxy ?? false,
    // Credential keys may be 200 characters, more once percent-encoded.
    routerOptions: { maxParamLength: 2048 },
    frameworkErrors,
  });
  registerErrorHandler(app);
  retryAfterHeader(app);
  securityHeaders(app);
  registerJsonParser(app);
  await app.register(formbody);

  app.addHook('onResponse', async (req, reply) => {
    req.log.info(
      { method: req.method, url: redactUrl(req.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  // Before every admin route: a console session may stand in for basic auth (http/admin.ts).
  const consoleSessions = deps.consoleSessions ?? new ConsoleSessions();
  consoleSessionAuth(app, consoleSessions);

  infoRoutes(app, deps.version);
  await app.register(async (scope) => credentialRoutes(scope, deps));
  settingsRoutes(app, deps);
  messageRoutes(app, { ...deps, onCreated: deps.onMessagesCreated });
  estimateRoutes(app, deps);
  optOutRoutes(app, deps);
  listingRoutes(app, deps);
  smsRoutes(app, deps);
  exchangeRoutes(app, deps);
  queueRoutes(app, deps);
  monitoringRoutes(app, deps);
  metricsRoutes(app, deps.metrics);
  openapiRoutes(app, deps);
  activityRoutes(app, { auth: deps.auth, activity: deps.activity ?? new ActivityCounter(deps.now) });
  const signInThrottle = deps.signInThrottle ?? new FailureThrottle();
  await app.register(async (scope) =>
    consoleRoutes(scope, { auth: deps.auth, sessions: consoleSessions, signInThrottle }),
  );
  auditRoutes(app, deps);
  return app;
}

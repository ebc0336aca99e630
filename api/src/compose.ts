/**
 * Wires the parts together for one server instance. main.ts calls it with the real
 * environment; tests call it with temporary folders and port 0.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { Agent } from 'undici';
import { followWrites } from '../../shared-libs/couch/follow.js';
import { installDesignDocs, openDatabases, projectRoot, type Databases } from '../../shared-libs/couch/index.js';
import { buildApp, type HttpTimeouts } from './app.js';
import { AuditLog, DEFAULT_AUDIT_DAYS } from './audit/audit-log.js';
import { Consent } from './consent/consent.js';
import { CostSamples, costSampleObserver } from './estimates/cost-samples.js';
import type { Env } from './env.js';
import { throttledAdminAuth } from './http/admin-gate.js';
import { embeddedAdminPassword } from './http/admin-password.js';
import { couchAdminAuth, staticAdminAuth, type AdminAuthenticator } from './http/auth.js';
import { LogPrivacy, privateLogger } from './http/log-privacy.js';
import { FailureThrottle } from './http/failure-throttle.js';
import { handOut } from './outbox/hand-out.js';
import { ChannelSwitch } from './outbox/channel-switch.js';
import { QueueActions } from './messages/actions.js';
import { BulkQueueActions } from './messages/bulk-actions.js';
import { CredentialsService, resolveCredentialKeys } from './credentials/credentials.js';
import type { OutboxObserver } from './outbox/context.js';
import { Outbox } from './outbox/outbox.js';
import { DocUpdater } from './store/doc-updater.js';
import { RecentDocs } from './store/recent-docs.js';
import { watchWrites, writeSource } from './store/write-watch.js';
import { AwaitingStatusIndex } from './reports/awaiting-status.js';
import { IncomingMessages } from './messages/incoming.js';
import { OpenWork } from './outbox/open-work.js';
import { OutgoingMessages } from './messages/outgoing.js';
import { MessageCounter } from './listings/counts.js';
import { indexLocation, MessageIndex } from './listings/indexer.js';
import { DEFAULT_STUCK_AFTER_HOURS, Listings } from './listings/listing.js';
import { docIdForUuid, exchangesOf, messageForRef, parkedAmong } from './listings/lookups.js';
import { StatusUpdates, type StatusUpdateObserver } from './reports/status-updates.js';
import { BalanceWatch } from './observability/balance.js';
import { fanOutDispatch, fanOutStatus, SmsMetrics } from './observability/metrics.js';
import { MonitoringService } from './observability/monitoring.js';
import { ActivityCounter } from './observability/activity.js';
import { recordingInterceptor } from './observability/exchange-recorder.js';
import { DEFAULT_EXCHANGE_LOG_DAYS, ExchangeLog } from './observability/exchanges.js';
import { LeasedCursors } from './store/leased-cursors.js';
import { concernMessages } from './sms/exchange-scope.js';
import { loadDefaultSettings, SettingsService } from './settings/settings.js';
import { ServiceJobRunner } from './sms/job-runner.js';
import { defaultRegistry, type ServiceRegistry } from './sms/registry.js';
import type { OutgoingService, ServiceEnv, SmsCore } from './sms/types.js';

export interface Server {
  app: FastifyInstance;
  dbs: Databases;
  logger: Logger;
  settings: SettingsService;
  credentials: CredentialsService;
  outbox: Outbox;
  /** Listings, counts, the gateway hand-out and uuid lookups read it. */
  messageIndex: MessageIndex;
  /** Documents with outgoing work, as the outbox's sweeps read them (rows of the message index). */
  openWork: OpenWork;
  jobs: ServiceJobRunner;
  /** The operator's pause switch for all sending. */
  channelSwitch: ChannelSwitch;
  statusUpdates: StatusUpdates;
  outgoing: OutgoingMessages;
  incoming: IncomingMessages;
  registry: ServiceRegistry;
  metrics: SmsMetrics;
  monitoring: MonitoringService;
  guard: FailureThrottle;
  exchanges: ExchangeLog;
  cursors: LeasedCursors;
  /** Failed administrator checks per address (API basic auth, and any sign-in built on `auth`). */
  adminThrottle: FailureThrottle;
  /** Administrator checks, throttled per address: what every admin route and sign-in uses. */
  auth: AdminAuthenticator;
  audit: AuditLog;
  /** Set when the embedded admin password was generated on this start (to print once). */
  generatedAdminPassword?: string;
  /** Starts the background work (changes feeds, outbox). */
  start(): void;
  /** Graceful: stops intake, finishes in-flight requests and sends, closes the databases. */
  close(): Promise<void>;
}

export interface ComposeOptions {
  env: Env;
  logger?: Logger;
  now?: () => Date;
  /** The SMS services offered; the default registry unless a test adds its own. */
  registry?: ServiceRegistry;
  /** Observers beside the metrics (benchmarks and tests count events through them). */
  dispatchObserver?: OutboxObserver;
  statusObserver?: StatusUpdateObserver;
  /** HTTP server timeouts (tests shorten them). */
  timeouts?: HttpTimeouts;
}

export function packageVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * This instance's identity: INSTANCE_ID, else one generated once and kept under DATA_DIR, so a
 * restarted instance recognises the claims of its previous life.
 */
function instanceId(env: Env): string {
  if (env.instanceId) return env.instanceId;
  const file = path.join(env.dataDir, 'instance-id');
  try {
    const id = fs.readFileSync(file, 'utf8').trim();
    if (id) return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const id = `${os
    .hostname()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 40)}-${crypto.randomBytes(6).toString('hex')}`;
  fs.mkdirSync(env.dataDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, `${id}\n`, { mode: 0o644 });
  return id;
}

/**
 * Claims carry `<instance id>:<boot id>`. A lease of this instance's previous life is dead at
 * once; in embedded mode every other lease is too (LevelDB's lock is exclusive, so no other
 * process can hold one). Other live instances' leases on a shared CouchDB are left alone.
 */
function claimOwner(
  id: string,
  mode: Databases['mode'],
): { owner: string; deadLease: (l: { owner: string }) => boolean } {
  const owner = `${id}:${crypto.randomBytes(4).toString('hex')}`;
  const deadLease =
    mode === 'embedded'
      ? (l: { owner: string }) => l.owner !== owner
      : (l: { owner: string }) => l.owner !== owner && l.owner.startsWith(`${id}:`);
  return { owner, deadLease };
}

/** Only the variables a service declared: a provider never sees another's configuration. */
function serviceEnvOf(service: OutgoingService, env: Env): ServiceEnv {
  return Object.fromEntries((service.env ?? []).map((v) => [v.name, env.serviceEnv[v.name]]));
}

export async function compose(opts: ComposeOptions): Promise<Server> {
  const { env } = opts;
  // Every log line goes through the privacy redaction; `sms.log_full_content` is read per line.
  const live: { settings?: SettingsService } = {};
  const fullContent = (): boolean => live.settings?.get().sms?.log_full_content === true;
  // Asynchronous writes to stdout: lines logged while a write is under way go out together in the
  // next one instead of a blocking write each; pino flushes what is left when the process exits
  // (https://github.com/pinojs/pino/blob/main/docs/asynchronous.md).
  const logger = privateLogger(
    opts.logger ??
      pino({ level: env.logLevel, base: { service: 'cht-sms' } }, pino.destination({ dest: 1, sync: false })),
    fullContent,
  );
  const metrics = new SmsMetrics();
  const activity = new ActivityCounter(opts.now);
  const now = opts.now ?? (() => new Date());
  const dbs = await openDatabases({ dataDir: env.dataDir, couchUrl: env.couchUrl });
  // Embedded: this process is the store's only writer, so followers are told of writes as they
  // are made instead of reading them back from a live changes feed (shared-libs/couch/follow.ts).
  if (dbs.mode === 'embedded') followWrites(dbs.medic, writeSource(dbs.medic));
  const written = await installDesignDocs(dbs.medic);
  if (written.length) logger.info({ ddocs: written }, 'design docs installed');

  let checkAdmin: AdminAuthenticator;
  let generatedAdminPassword: string | undefined;
  if (dbs.mode === 'couchdb' && dbs.serverUrl) {
    checkAdmin = couchAdminAuth(dbs.serverUrl);
  } else {
    const admin = await embeddedAdminPassword(env.dataDir, env.adminPassword);
    if (admin.converted) logger.warn('admin-password held the plain password: replaced by its scrypt hash');
    generatedAdminPassword = admin.generated;
    checkAdmin = staticAdminAuth(env.adminUser, admin.verifier);
  }
  const adminThrottle = new FailureThrottle({
    noun: 'sign-in attempts',
    onFailure: () => metrics.adminAuthFailure(),
    onThrottled: () => metrics.adminAuthThrottle(),
  });
  const auth = throttledAdminAuth(checkAdmin, { throttle: adminThrottle });
  const audit = new AuditLog(dbs.medic, logger, now);

  const registry = opts.registry ?? defaultRegistry();
  const settings = await SettingsService.open(dbs.medic, {
    defaults: loadDefaultSettings(),
    validate: (s) => registry.validate(s),
    logger,
  });
  live.settings = settings;
  const channelSwitch = await ChannelSwitch.open(dbs.medic, logger, now);
  const keys = await resolveCredentialKeys({ credentialsSecret: env.credentialsSecret, dataDir: env.dataDir, dbs });
  const credentials = new CredentialsService(dbs.vault, keys, logger);
  // Message documents this server just wrote: their next change starts from the copy, not a read.
  const recentDocs = new RecentDocs();
  watchWrites(dbs.medic, (docs) => {
    recentDocs.noteWritten(docs);
    return Promise.resolve();
  });
  const updater = new DocUpdater(dbs.medic, logger, undefined, recentDocs);
  const awaiting = new AwaitingStatusIndex(dbs.medic);
  const messageIndex = await MessageIndex.open(
    dbs.medic,
    indexLocation(env.dataDir, env.couchUrl),
    logger,
    dbs.mode === 'couchdb',
  );
  watchWrites(dbs.medic, (docs) => messageIndex.ingest(docs));
  const stuckAfterHours = (): number => settings.get().sms?.stuck_after_hours ?? DEFAULT_STUCK_AFTER_HOURS;
  const listings = new Listings(dbs.medic, messageIndex, stuckAfterHours, now);
  const messageCounts = new MessageCounter(messageIndex, stuckAfterHours, now);
  const outgoing = new OutgoingMessages(dbs.medic, (uuid) => docIdForUuid(messageIndex, uuid));
  // A callback's exchange is listed with the messages its status updates touched.
  const exchangeConcerns: StatusUpdateObserver = {
    onOutcome: (_update, _outcome, task) => concernMessages((task?.messages ?? []).map((m) => m.uuid)),
  };
  const statusObserver = fanOutStatus(
    metrics.statusObserver,
    activity.statusObserver,
    opts.statusObserver,
    exchangeConcerns,
  );
  const statusUpdates = new StatusUpdates(
    dbs.medic,
    updater,
    logger,
    now,
    statusObserver,
    (uuid) => outgoing.docIdFor(uuid),
    (ref) => messageForRef(messageIndex, ref),
    (refs) => parkedAmong(messageIndex, refs),
  );
  const incoming = new IncomingMessages(dbs.medic, () => settings.get(), now);
  const agent = new Agent({ connect: { timeout: 10_000 }, keepAliveTimeout: 30_000, connections: 128 });
  const exchanges = new ExchangeLog(dbs.medic, {
    now,
    days: () => settings.get().sms?.exchange_log_days ?? DEFAULT_EXCHANGE_LOG_DAYS,
    secrets: async () => {
      const values = await Promise.all(
        registry
          .all()
          .flatMap((s) => s.credentialKeys)
          .map((k) => credentials.get(k)),
      );
      return values.filter((v): v is string => typeof v === 'string');
    },
    logger,
    exchangesOf: (id, limit) => exchangesOf(messageIndex, id, limit),
  });
  // Every provider call made through ctx.http lands in the exchange log.
  const http = agent.compose(recordingInterceptor(exchanges, now));
  const openWork = new OpenWork(dbs.medic, messageIndex);
  const { owner, deadLease } = claimOwner(instanceId(env), dbs.mode);
  const balance = new BalanceWatch(logger, now);
  const consent = new Consent(dbs.medic, () => settings.get(), logger, now, { onGuarded: (g) => metrics.guarded(g) });
  const costSamples = new CostSamples(dbs.medic, logger, now);
  const cursors = new LeasedCursors(dbs.medic, owner, now, deadLease);
  const outbox = new Outbox({
    owner,
    deadLease,
    db: dbs.medic,
    registry,
    settings,
    credentials,
    updater,
    awaiting,
    statusUpdates,
    openWork,
    http,
    logger,
    serviceEnv: (service) => serviceEnvOf(service, env),
    channelSwitch,
    now,
    observer: fanOutDispatch(
      metrics.dispatchObserver,
      activity.dispatchObserver,
      consent.dispatchObserver,
      costSampleObserver(costSamples),
      opts.dispatchObserver,
    ),
    screen: consent.screen,
    reopenGate: (s) => jobs.mayResume({ code: s.code, reason: s.reason }),
  });

  const monitoring = new MonitoringService(dbs.medic, logger, now);
  metrics.attach({
    monitoring,
    channelState: () => outbox.channelState(),
    outbox: () => outbox.stats(),
    optOuts: () => consent.optOuts.count(),
    balance: () => balance.figure(),
    stuck: () => messageCounts.stuck(),
  });
  const guard = new FailureThrottle({
    onFailure: (route) => metrics.authFailure(route),
    onThrottled: () => metrics.throttledRequest(),
  });
  const core = (service: OutgoingService): SmsCore => ({
    saveIncoming: async (list) => {
      const result = await incoming.save(list);
      concernMessages(result.records);
      return { saved: result.saved };
    },
    applyStatusUpdates: async (list) => ({ saved: (await statusUpdates.apply(list)).saved }),
    handOut: (limit) => {
      const paused = () => channelSwitch.get().paused;
      return handOut(
        { db: dbs.medic, updater, index: messageIndex, settings: () => settings.get(), now, logger, paused },
        limit,
      );
    },
    isSelected: () => registry.selectedId(settings.get()) === service.id,
    optOut: (list) => consent.optOuts.add(list),
    reportBalance: (report) => balance.report(service.id, report),
    withCursor: (name, leaseMs, fn) => cursors.run(service.id, name, leaseMs, fn),
    awaitingStatus: (opts) => awaiting.list(service.id, opts),
    stopAwaiting: (keys) => awaiting.remove(service.id, keys),
  });
  const jobs = new ServiceJobRunner({
    registry,
    settings,
    credentials,
    http,
    logger,
    now,
    core,
    serviceEnv: (service) => serviceEnvOf(service, env),
    onRun: (service, job, ok, result) => metrics.jobRun(service, job, ok, result),
  });
  const queueActions = new QueueActions({
    updater,
    docIdFor: (uuid) => outgoing.docIdFor(uuid),
    settings: () => settings.get(),
    now,
    requeue: (docs) => outbox.notify(docs),
  });
  const bulkActions = new BulkQueueActions({
    db: dbs.medic,
    openWork,
    actions: queueActions,
    settings: () => settings.get(),
    now,
    logger,
  });
  const app = await buildApp({
    version: packageVersion(),
    logger,
    auth,
    settings,
    credentials,
    registry,
    outgoing,
    monitoring,
    metrics,
    channelState: () => outbox.channelState(),
    core,
    http,
    privacy: new LogPrivacy(fullContent),
    serviceEnv: (service) => serviceEnvOf(service, env),
    runJob: (service, name) => jobs.runNow(service, name),
    now,
    guard,
    exchanges,
    trustProxy: env.trustProxy,
    onMessagesCreated: (docs) => outbox.notify(docs),
    activity,
    guards: consent.guards,
    optOuts: consent.optOuts,
    costSamples,
    smsFigures: async () => ({ balance: balance.figure(), guards: await consent.figures(() => monitoring.byState()) }),
    audit,
    timeouts: opts.timeouts,
    // The console's sign-in counts against the same per-address limit as basic auth.
    signInThrottle: adminThrottle,
    listings,
    messageCounts,
    queueActions,
    bulkActions,
    channelSwitch,
  });

  let closed = false;
  return {
    app,
    dbs,
    logger,
    settings,
    credentials,
    outbox,
    messageIndex,
    openWork,
    jobs,
    channelSwitch,
    statusUpdates,
    outgoing,
    incoming,
    registry,
    metrics,
    monitoring,
    guard,
    exchanges,
    cursors,
    adminThrottle,
    auth,
    audit,
    generatedAdminPassword,
    start() {
      settings.start();
      messageIndex.start();
      channelSwitch.start();
      outbox.start();
      jobs.start();
      consent.start();
      exchanges.start();
      audit.startPruning(() => settings.get().audit_log_days ?? DEFAULT_AUDIT_DAYS);
    },
    async close() {
      if (closed) return;
      closed = true;
      // Connections busy when closing starts go idle later and would be kept for Fastify's
      // keep-alive timeout (72 s): close them as they go idle.
      const idle = setInterval(() => app.server.closeIdleConnections(), 100);
      await app.close().finally(() => clearInterval(idle));
      await outbox.stop();
      await jobs.stop();
      await consent.stop();
      await costSamples.stop();
      await exchanges.stop();
      await audit.stop();
      settings.stop();
      channelSwitch.stop();
      await agent.close().catch(() => undefined);
      await messageIndex.stop();
      await dbs.close();
    },
  };
}

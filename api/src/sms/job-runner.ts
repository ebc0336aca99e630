/**
 * Runs the selected service's background jobs (`OutgoingService.jobs`): once at start-up, then
 * every `intervalMs(settings)`; rescheduled when the settings change (a job whose interval turns
 * 0 stops; switching services stops the old service's jobs). A run never overlaps the previous
 * run of the same job, and a failing run is logged and retried at the next interval: jobs never
 * block webhooks or sending.
 */
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { dispatchPolicy } from '../outbox/policy.js';
import type { AppSettings } from '../settings/schema.js';
import { withExchangeScope } from './exchange-scope.js';
import { serviceSettings, serviceSettingsIfValid } from './service-settings.js';
import type { ServiceRegistry } from './registry.js';
import type {
  ChannelPause,
  CredentialReader,
  JobContext,
  OutgoingService,
  ResumeDecision,
  ServiceEnv,
  ServiceJob,
  SmsCore,
} from './types.js';

export interface JobRunnerDeps {
  registry: ServiceRegistry;
  settings: { get(): AppSettings; onChange(fn: (s: AppSettings) => void): () => void };
  credentials: CredentialReader;
  http: Dispatcher;
  logger: Logger;
  now: () => Date;
  core: (service: OutgoingService) => SmsCore;
  serviceEnv: (service: OutgoingService) => ServiceEnv;
  /** Called after each run (metrics), with what the run returned. */
  onRun?: (service: string, job: string, ok: boolean, result?: unknown) => void;
}

interface Scheduled {
  key: string;
  timer: NodeJS.Timeout;
}

export class ServiceJobRunner {
  private readonly scheduled = new Map<string, Scheduled>();
  private readonly running = new Map<string, Promise<unknown>>();
  private unsubscribe?: () => void;
  private stopped = true;

  constructor(private readonly deps: JobRunnerDeps) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribe = this.deps.settings.onChange(() => this.reschedule());
    this.reschedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    for (const s of this.scheduled.values()) clearTimeout(s.timer);
    this.scheduled.clear();
    await Promise.all(this.running.values());
  }

  /**
   * Runs one of a service's jobs now (or joins the run in progress) and resolves with its result;
   * a failure is thrown to the caller (an on-demand run answers with the error).
   */
  runNow(service: OutgoingService, jobName: string): Promise<unknown> {
    const job = service.jobs?.find((j) => j.name === jobName);
    if (!job) return Promise.reject(new Error(`${service.id} has no job "${jobName}"`));
    return this.run(service, job, true);
  }

  /**
   * Asks the selected service whether a paused channel may probe again (its `mayResume`); yes
   * when it has no opinion or its settings are unusable (the probe then decides).
   */
  async mayResume(pause: ChannelPause): Promise<ResumeDecision> {
    const appSettings = this.deps.settings.get();
    const service = this.deps.registry.selected(appSettings);
    if (!service?.mayResume) return { resume: true };
    const settings = serviceSettingsIfValid(service, appSettings.sms);
    if (settings === undefined) return { resume: true };
    const logger = this.deps.logger.child({ service: service.id });
    return service.mayResume(pause, this.context(service, settings, appSettings, logger));
  }

  private context(
    service: OutgoingService,
    settings: unknown,
    appSettings: AppSettings,
    logger: Logger,
  ): JobContext<unknown> {
    return {
      settings,
      appSettings,
      core: this.deps.core(service),
      credentials: this.deps.credentials,
      http: this.deps.http,
      logger,
      now: this.deps.now,
      timeoutMs: dispatchPolicy(appSettings.sms?.dispatch).requestTimeoutMs,
      env: this.deps.serviceEnv(service),
    };
  }

  private reschedule(): void {
    if (this.stopped) return;
    const appSettings = this.deps.settings.get();
    const service = this.deps.registry.selected(appSettings);
    const wanted = new Map<string, { job: ServiceJob; interval: number }>();
    if (service) {
      const settings = serviceSettingsIfValid(service, appSettings.sms);
      for (const job of service.jobs ?? []) {
        const interval = settings === undefined ? 0 : job.intervalMs(settings, appSettings);
        if (interval > 0) wanted.set(`${service.id}/${job.name}`, { job, interval });
      }
    }
    for (const [id, s] of this.scheduled) {
      const w = wanted.get(id);
      if (!w || s.key !== String(w.interval)) {
        clearTimeout(s.timer);
        this.scheduled.delete(id);
      }
    }
    for (const [id, w] of wanted) {
      if (this.scheduled.has(id) || !service) continue;
      const tick = (): void => {
        void this.run(service, w.job).finally(() => {
          const s = this.scheduled.get(id);
          if (s && !this.stopped) s.timer = setTimeout(tick, w.interval).unref();
        });
      };
      this.scheduled.set(id, { key: String(w.interval), timer: setTimeout(tick, 0).unref() });
    }
  }

  private run(service: OutgoingService, job: ServiceJob, rethrow = false): Promise<unknown> {
    const id = `${service.id}/${job.name}`;
    const current = this.running.get(id);
    if (current) return current;
    const appSettings = this.deps.settings.get();
    let settings: unknown;
    try {
      settings = serviceSettings(service, appSettings.sms);
    } catch (err) {
      return rethrow ? Promise.reject(err instanceof Error ? err : new Error(String(err))) : Promise.resolve();
    }
    const logger = this.deps.logger.child({ service: service.id, job: job.name });
    // Provider calls of the run are listed under the service in the exchange log.
    const context = this.context(service, settings, appSettings, logger);
    const run = withExchangeScope({ service: service.id }, () => job.run(context))
      .then(
        (result) => {
          this.deps.onRun?.(service.id, job.name, true, result);
          return result;
        },
        (err: unknown) => {
          logger.warn({ err }, 'background job failed; it runs again at its next interval');
          this.deps.onRun?.(service.id, job.name, false);
          if (rethrow) throw err;
        },
      )
      .finally(() => this.running.delete(id));
    this.running.set(id, run);
    return run;
  }
}

/**
 * App settings in CHT's `settings` doc (`{ _id: 'settings', settings: {...} }`). `get()` is
 * always the current value; changes made by anyone (this API, another instance, Fauxton) arrive
 * through the changes feed and take effect without a restart.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Db } from '../../../shared-libs/couch/index.js';
import { follow, getDoc, isConflict, projectRoot, type Follower } from '../../../shared-libs/couch/index.js';
import { ConflictError, DomainError, InvalidInputError } from '../errors.js';
import { describeZodError, firstIssue } from '../validation.js';
import { appSettingsSchema, type AppSettings } from './schema.js';

export const SETTINGS_DOC_ID = 'settings';

interface SettingsDoc {
  _id: string;
  _rev?: string;
  settings: AppSettings;
}

export type UpdateMode = 'merge' | 'replace' | 'overwrite';

/** Extra checks beyond the schema (each outgoing service validates its own slice). */
export type SettingsValidator = (settings: AppSettings) => void;

type Listener = (settings: AppSettings) => void;

export function loadDefaultSettings(): AppSettings {
  const file = path.join(projectRoot(), 'config', 'default', 'app_settings.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as AppSettings;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** CHT's default "extend": objects merge recursively, scalars and arrays are replaced. */
export function deepMerge(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    const current = out[k];
    out[k] = isPlainObject(v) && isPlainObject(current) ? deepMerge(current, v) : v;
  }
  return out;
}

export function applyUpdate(current: AppSettings, patch: Record<string, unknown>, mode: UpdateMode): AppSettings {
  if (mode === 'overwrite') return patch as AppSettings;
  if (mode === 'replace') return { ...current, ...patch } as AppSettings;
  return deepMerge(current, patch) as AppSettings;
}

export class SettingsService {
  private current: AppSettings;
  private listeners = new Set<Listener>();
  private feed?: Follower;
  private reloading: Promise<void> = Promise.resolve();

  private constructor(
    private readonly db: Db,
    private readonly validate: SettingsValidator,
    private readonly logger: Logger,
    initial: AppSettings,
    private readonly since: string | number,
  ) {
    this.current = initial;
  }

  /** Reads the settings doc, creating it from the defaults on first start. */
  static async open(
    db: Db,
    opts: { defaults: AppSettings; validate: SettingsValidator; logger: Logger },
  ): Promise<SettingsService> {
    const since = (await db.info()).update_seq;
    let settings: AppSettings;
    const existing = await getDoc<SettingsDoc>(db, SETTINGS_DOC_ID);
    if (existing) {
      settings = existing.settings ?? {};
    } else {
      try {
        await db.put({ _id: SETTINGS_DOC_ID, settings: opts.defaults });
        opts.logger.info('settings created from config/default/app_settings.json');
        settings = opts.defaults;
      } catch (putErr) {
        if (!isConflict(putErr)) throw putErr;
        settings = ((await db.get(SETTINGS_DOC_ID)) as unknown as SettingsDoc).settings ?? {};
      }
    }
    return new SettingsService(db, opts.validate, opts.logger, settings, since);
  }

  get(): AppSettings {
    return this.current;
  }

  onChange(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Follows the changes feed for the settings doc. */
  start(): void {
    if (this.feed) return;
    // Without include_docs: on the embedded store the doc_ids filter runs after each change is
    // read, so include_docs would load every changed doc; the settings doc is fetched only when
    // it is the one that changed. Starts from the sequence read at open(), so nothing written
    // in between is missed.
    this.feed = follow(this.db, {
      since: this.since,
      doc_ids: [SETTINGS_DOC_ID],
      onChange: (change) => {
        if (change.id === SETTINGS_DOC_ID) this.reload();
      },
      onError: (err, retryInMs) => this.logger.error({ err, retryInMs }, 'settings changes feed failed; resuming'),
    });
  }

  /** Reads reloads one at a time, so an older read can never land after a newer one. */
  private reload(): void {
    this.reloading = this.reloading
      .then(() => this.db.get(SETTINGS_DOC_ID))
      .then((doc) => {
        const settings = (doc as unknown as SettingsDoc).settings;
        if (settings) this.set(settings);
      })
      .catch((err: unknown) => this.logger.error({ err }, 'reading changed settings failed'));
  }

  stop(): void {
    this.feed?.cancel();
    this.feed = undefined;
  }

  /** Validates and saves; nothing is saved when invalid. `previous` and `settings` are the doc's before and after. */
  async update(
    patch: unknown,
    mode: UpdateMode,
  ): Promise<{ updated: boolean; previous?: AppSettings; settings?: AppSettings }> {
    if (!isPlainObject(patch)) {
      throw new InvalidInputError('settings', 'Settings must be a JSON object');
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      const doc: SettingsDoc = (await getDoc<SettingsDoc>(this.db, SETTINGS_DOC_ID)) ?? {
        _id: SETTINGS_DOC_ID,
        settings: {},
      };
      const next = applyUpdate(doc.settings ?? {}, patch, mode);
      this.check(next);
      if (JSON.stringify(next) === JSON.stringify(doc.settings)) return { updated: false };
      try {
        await this.db.put({ ...doc, settings: next });
        this.set(next);
        return { updated: true, previous: doc.settings ?? {}, settings: next };
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
    throw new ConflictError('Settings are being changed concurrently; try again');
  }

  check(settings: unknown): AppSettings {
    const parsed = appSettingsSchema.safeParse(settings);
    if (!parsed.success) {
      const { field } = firstIssue(parsed.error, 'settings');
      throw new InvalidInputError(field, `Invalid settings: ${describeZodError(parsed.error)}`);
    }
    try {
      this.validate(parsed.data);
    } catch (err) {
      if (err instanceof DomainError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw new InvalidInputError('settings', `Invalid settings: ${message}`, { cause: err });
    }
    return parsed.data;
  }

  private set(settings: AppSettings): void {
    if (JSON.stringify(settings) === JSON.stringify(this.current)) return;
    this.current = settings;
    for (const fn of this.listeners) {
      try {
        fn(settings);
      } catch (err) {
        this.logger.error({ err }, 'settings listener failed');
      }
    }
  }
}

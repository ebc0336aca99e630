/**
 * Outgoing services by id, registered explicitly in one list. Adding a provider = one folder,
 * one line here, one table-driven spec.
 */
import type { z } from 'zod';
import { appSettingsSchema, describeZodError, smsSchema, type AppSettings } from '../settings/schema.js';
import { africasTalking } from './services/africas-talking/index.js';
import { medicGateway } from './services/medic-gateway/index.js';
import { rapidPro } from './services/rapidpro/index.js';
import type { OutgoingService, ServiceEnvVar } from './types.js';

export const DEFAULT_SERVICE_ID = 'medic-gateway';

export class ServiceRegistry {
  private readonly services: ReadonlyMap<string, OutgoingService>;

  private readonly schema: z.ZodType<AppSettings>;

  constructor(services: readonly OutgoingService[]) {
    this.services = new Map(services.map((s) => [s.id, s]));
    // Each service's settings slice becomes `sms.<key>` of the settings validator.
    const slices = Object.fromEntries(
      services.flatMap((s) => (s.settingsSlice ? [[s.settingsSlice.key, s.settingsSlice.schema.optional()]] : [])),
    );
    this.schema = appSettingsSchema.extend({ sms: smsSchema.extend(slices).optional() });
  }

  /** The app settings validator: the core's schema with every service's slice. */
  settingsSchema(): z.ZodType<AppSettings> {
    return this.schema;
  }

  /** Environment variables the services read (env.ts reads them; nothing else does). */
  envVars(): ServiceEnvVar[] {
    return this.all().flatMap((s) => s.env ?? []);
  }

  ids(): string[] {
    return [...this.services.keys()];
  }

  all(): OutgoingService[] {
    return [...this.services.values()];
  }

  get(id: string): OutgoingService | undefined {
    return this.services.get(id);
  }

  /**
   * The selected service, as CHT decides: `sms` absent → medic-gateway; `sms` present without
   * `outgoing_service` → none (CHT's behaviour, kept for compatibility).
   */
  selectedId(settings: AppSettings): string | undefined {
    if (!settings.sms) return DEFAULT_SERVICE_ID;
    return settings.sms.outgoing_service;
  }

  selected(settings: AppSettings): OutgoingService | undefined {
    const id = this.selectedId(settings);
    return id ? this.services.get(id) : undefined;
  }

  /** Settings check used by PUT /api/v1/settings: unknown service or a bad slice → clear error. */
  validate(settings: AppSettings): void {
    const parsed = this.schema.safeParse(settings);
    if (!parsed.success) throw new Error(describeZodError(parsed.error));
    const id = settings.sms?.outgoing_service;
    if (id === undefined) return;
    const service = this.services.get(id);
    if (!service) {
      const known = this.ids().join(', ');
      throw new Error(`sms.outgoing_service "${id}" is not a known service; known services: ${known}`);
    }
    service.parseSettings(settings.sms);
  }
}

/** The services this server offers: adding a provider adds one line here. */
export const DEFAULT_SERVICES = [africasTalking, medicGateway, rapidPro] as readonly OutgoingService[];

export function defaultRegistry(): ServiceRegistry {
  return new ServiceRegistry(DEFAULT_SERVICES);
}

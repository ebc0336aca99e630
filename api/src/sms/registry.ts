/**
 * Outgoing services by id, registered explicitly in one list. Adding a provider = one folder,
 * one line here, one table-driven spec.
 */
import type { AppSettings } from '../settings/schema.js';
import { africasTalking } from './services/africas-talking/index.js';
import { medicGateway } from './services/medic-gateway/index.js';
import type { OutgoingService } from './types.js';

export const DEFAULT_SERVICE_ID = 'medic-gateway';

export class ServiceRegistry {
  private readonly services: ReadonlyMap<string, OutgoingService>;

  constructor(services: readonly OutgoingService[]) {
    this.services = new Map(services.map((s) => [s.id, s]));
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
    const id = settings.sms?.outgoing_service;
    if (id === undefined) return;
    const service = this.services.get(id);
    if (!service) {
      throw new Error(`sms.outgoing_service "${id}" is not a known service; known services: ${this.ids().join(', ')}`);
    }
    service.parseSettings(settings.sms);
  }
}

export function defaultRegistry(): ServiceRegistry {
  return new ServiceRegistry([africasTalking as OutgoingService, medicGateway as OutgoingService]);
}

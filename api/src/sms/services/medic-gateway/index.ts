/**
 * `medic-gateway` (CHT's Android gateway app) is a pull service: the gateway polls `/api/sms`
 * for messages, so the core outbox never pushes to it; the core's hand-out (outbox/hand-out.ts)
 * marks what it takes.
 */
import type { OutgoingService } from '../../types.js';
import { gatewayRoutes } from './routes.js';

export const medicGateway: OutgoingService<Record<string, never>> = {
  id: 'medic-gateway',
  routePrefix: 'medic-gateway',
  mode: 'pull',
  credentialKeys: [],
  parseSettings() {
    return {};
  },
  routes: gatewayRoutes,
};

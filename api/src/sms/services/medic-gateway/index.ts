/**
 * `medic-gateway` (CHT's Android gateway app) is a pull service: the gateway polls
 * `/api/sms` for messages, so the core dispatcher never pushes to it. Its routes live in
 * api/src/routes/sms-gateway.ts.
 */
import type { OutgoingService } from '../../types.js';

export const medicGateway: OutgoingService<Record<string, never>> = {
  id: 'medic-gateway',
  routePrefix: 'medic-gateway',
  mode: 'pull',
  credentialKeys: [],
  parseSettings() {
    return {};
  },
  webhooks: [],
};

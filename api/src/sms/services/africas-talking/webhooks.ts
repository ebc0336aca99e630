/**
 * AT's callbacks (reference §2.2, §2.6): form fields as AT posts them. Only parse and map here;
 * the core checks the key, persists, dedupes and applies the state lattice.
 */
import { WebhookInputError, type WebhookRoute } from '../../types.js';
import { deliveryState } from './status-map.js';

export const INCOMING_KEY = 'africastalking.com:incoming';

function field(body: Record<string, unknown>, name: string, opts: { allowEmpty?: boolean } = {}): string {
  const value = body[name];
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new WebhookInputError(name, `Missing required field "${name}"`);
  }
  const s = String(value);
  if (!opts.allowEmpty && s.trim() === '') throw new WebhookInputError(name, `Field "${name}" must not be empty`);
  return s;
}

function optional(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

const AT_EXTRAS = ['to', 'date', 'linkId', 'networkCode'] as const;

export const atWebhooks: readonly WebhookRoute[] = [
  {
    method: 'POST',
    path: 'incoming-messages',
    auth: { kind: 'query-key', credentialKey: INCOMING_KEY },
    handle(body) {
      const id = field(body, 'id');
      const from = field(body, 'from');
      // An empty SMS is stored (with CHT's sys.empty error) rather than dropped: AT would not resend it.
      const text = field(body, 'text', { allowEmpty: true });
      const extra: Record<string, string> = {};
      for (const k of AT_EXTRAS) {
        const v = optional(body, k);
        if (v !== undefined) extra[k] = v;
      }
      return { incoming: [{ gatewayId: id, from, content: text, extra }] };
    },
  },
  {
    method: 'POST',
    path: 'delivery-reports',
    auth: { kind: 'query-key', credentialKey: INCOMING_KEY },
    handle(body) {
      const id = field(body, 'id');
      const status = field(body, 'status');
      const failureReason = optional(body, 'failureReason');
      return {
        statusUpdates: [{ gatewayRef: id, status, state: deliveryState(status), ...(failureReason ? { details: failureReason } : {}) }],
      };
    },
  },
];

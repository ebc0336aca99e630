/**
 * Mounts each registered service's webhooks under /api/v1/sms/<routePrefix>/<path>. The core
 * checks the key (constant time, never logged), hands the body to the service to parse and map,
 * then persists: incoming messages deduped by gateway id, status updates through the lattice.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { timingSafeEqualString } from '../../../shared-libs/credentials/index.js';
import { AppError } from '../http/errors.js';
import type { IncomingMessages } from '../messages/incoming.js';
import type { StatusUpdates } from '../reports/status-updates.js';
import type { ServiceRegistry } from '../sms/registry.js';
import { WebhookInputError, type CredentialReader, type WebhookRoute } from '../sms/types.js';

export interface WebhookGuard {
  /** Throws 429 when this address has failed too often lately. */
  check(ip: string): void;
  failed(ip: string, route: string): void;
}

export interface SmsRouteDeps {
  registry: ServiceRegistry;
  credentials: CredentialReader;
  incoming: IncomingMessages;
  statusUpdates: StatusUpdates;
  guard?: WebhookGuard;
}

async function checkKey(req: FastifyRequest, route: WebhookRoute, deps: SmsRouteDeps, name: string): Promise<void> {
  deps.guard?.check(req.ip);
  const expected = await deps.credentials.get(route.auth.credentialKey);
  const given = (req.query as Record<string, unknown>).key;
  if (!expected) {
    // Not the caller's fault (setup is incomplete): never throttle AT for it.
    throw new AppError(403, `No incoming key configured: PUT /api/v1/credentials/${route.auth.credentialKey}`);
  }
  if (typeof given !== 'string' || !timingSafeEqualString(given, expected)) {
    deps.guard?.failed(req.ip, name);
    throw new AppError(403, 'Incorrect token');
  }
}

export function smsRoutes(app: FastifyInstance, deps: SmsRouteDeps): void {
  for (const service of deps.registry.all()) {
    for (const route of service.webhooks) {
      const url = `/api/v1/sms/${service.routePrefix}/${route.path}`;
      app.route({
        method: route.method,
        url,
        // Before the body is read: a caller without the key gets 403, whatever it sends.
        onRequest: async (req) => checkKey(req, route, deps, url),
        handler: async (req) => {
          const body = req.body;
          if (typeof body !== 'object' || body === null || Array.isArray(body)) {
            throw new AppError(400, 'Request body must be form fields (application/x-www-form-urlencoded) or a JSON object');
          }
          let result;
          try {
            result = route.handle(body as Record<string, unknown>);
          } catch (err) {
            if (err instanceof WebhookInputError) throw new AppError(400, err.message);
            throw err;
          }
          let saved = 0;
          if (result.incoming?.length) saved += (await deps.incoming.save(result.incoming)).saved;
          if (result.statusUpdates?.length) saved += (await deps.statusUpdates.apply(result.statusUpdates)).saved;
          return { saved };
        },
      });
    }
  }
}

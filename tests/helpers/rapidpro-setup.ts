/**
 * A server wired to the RapidPro simulator through the public API (settings, credentials), with
 * dispatch knobs shrunk so retries and pauses take milliseconds, and the status poll run on demand.
 */
import {
  startRapidProSimulator,
  type RapidProSimulator,
  type RapidProSimulatorOptions,
} from '../../shared-libs/rapidpro-simulator/index.js';
import type { OutgoingService } from '../../api/src/sms/types.js';
import { FAST_DISPATCH, type MessageView } from './at-setup.js';
import { api, startTestServer, type TestServer, type TestServerOptions } from './test-server.js';

export const RP_TOKEN = 'rp-api-token-5b2e91-secret';
export const RP_INCOMING = 'rp-incoming-token-0c7d44-secret';

export interface RapidProRig {
  sim: RapidProSimulator;
  server: TestServer;
  stop(): Promise<void>;
  send(items: Array<{ to: string; message: string }>): Promise<string[]>;
  message(id: string): Promise<MessageView>;
  /** Runs the status poll now and returns what it did. */
  poll(): Promise<PollResult>;
  /** Sets `sms` (merged over the rig's defaults) through the settings API. */
  settings(sms?: Record<string, unknown>): Promise<void>;
}

export interface PollResult {
  requests: number;
  read: number;
  saved: number;
  done: number;
  expired: number;
  failed: number;
  throttledUntil?: string;
  skipped?: string;
}

export function rapidProSms(
  sim: Pick<RapidProSimulator, 'url'>,
  sms: Record<string, unknown> = {},
): Record<string, unknown> {
  const { rapidpro, ...rest } = sms as { rapidpro?: Record<string, unknown> };
  return {
    outgoing_service: 'rapidpro',
    dispatch: FAST_DISPATCH,
    ...rest,
    rapidpro: { url: sim.url, status_poll_seconds: 0, ...rapidpro },
  };
}

export async function startRapidProRig(
  opts: {
    sms?: Record<string, unknown>;
    server?: TestServerOptions;
    sim?: RapidProSimulatorOptions;
    token?: string | null;
  } = {},
): Promise<RapidProRig> {
  const sim = await startRapidProSimulator({ tokens: [RP_TOKEN], stepDelayMs: null, ...opts.sim });
  const server = await startTestServer(opts.server);
  sim.configure({ incomingUrl: `${server.url}/api/v2/sms/rapidpro/incoming-messages`, incomingToken: RP_INCOMING });
  if (opts.token !== null) await api(server, 'PUT', '/api/v1/credentials/rapidpro:outgoing', opts.token ?? RP_TOKEN);
  await api(server, 'PUT', '/api/v1/credentials/rapidpro:incoming', RP_INCOMING);
  const rig: RapidProRig = {
    sim,
    server,
    async settings(sms) {
      const res = await api(server, 'PUT', '/api/v1/settings', { sms: rapidProSms(sim, sms) });
      if (res.status !== 200) throw new Error(`settings refused: ${res.text}`);
    },
    async stop() {
      await server.stop();
      await sim.close();
    },
    async send(items) {
      const res = await api(server, 'POST', '/api/v1/messages', items);
      if (res.status !== 200) throw new Error(`POST /api/v1/messages: ${res.text}`);
      return (res.body as { messages: Array<{ id: string }> }).messages.map((m) => m.id);
    },
    async message(id) {
      return (await api(server, 'GET', `/api/v1/messages/${id}`)).body as MessageView;
    },
    async poll() {
      const service = server.registry.get('rapidpro') as OutgoingService;
      return (await server.jobs.runNow(service, 'status-poll')) as PollResult;
    },
  };
  await rig.settings(opts.sms);
  return rig;
}

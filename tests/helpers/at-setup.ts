/**
 * A server wired to a simulator through the public API, with dispatch knobs shrunk so retries
 * and pauses happen in milliseconds rather than minutes.
 */
import { startSimulator, type Simulator } from '../../shared-libs/at-simulator/index.js';
import { api, startTestServer, type TestServer, type TestServerOptions } from './test-server.js';

export const AT_KEY = 'test-at-api-key-7f3e9a';
export const INCOMING_KEY = 'test-incoming-key-c41d07';

export const FAST_DISPATCH = {
  backoff_base_seconds: 0.05,
  backoff_max_seconds: 0.2,
  request_timeout_seconds: 1,
  lease_seconds: 2,
  channel_pause_seconds: 1,
  channel_pause_max_seconds: 2,
  sweep_interval_seconds: 1,
};

export interface AtRig {
  sim: Simulator;
  server: TestServer;
  stop(): Promise<void>;
  send(items: Array<{ to: string; message: string; priority?: string }>): Promise<string[]>;
  message(id: string): Promise<MessageView>;
}

export interface MessageView {
  id: string;
  state: string;
  state_details?: string;
  gateway_ref: string | null;
  attempts?: number;
  state_history: Array<{ state: string; state_details?: string }>;
  delivery_reports?: Array<{ status: string; applied: boolean }>;
}

export async function configureAt(
  server: Pick<TestServer, 'url' | 'adminAuth'>,
  sim: Simulator,
  sms: Record<string, unknown> = {},
): Promise<void> {
  sim.configure({
    accounts: [{ username: 'sandbox', apiKey: AT_KEY }],
    dlrUrl: `${server.url}/api/v1/sms/africastalking/delivery-reports?key=${INCOMING_KEY}`,
    incomingUrl: `${server.url}/api/v1/sms/africastalking/incoming-messages?key=${INCOMING_KEY}`,
    optOutUrl: `${server.url}/api/v1/sms/africastalking/opt-outs?key=${INCOMING_KEY}`,
  });
  await api(server, 'PUT', '/api/v1/credentials/africastalking.com:outgoing', AT_KEY);
  await api(server, 'PUT', '/api/v1/credentials/africastalking.com:incoming', INCOMING_KEY);
  const res = await api(server, 'PUT', '/api/v1/settings', {
    sms: {
      outgoing_service: 'africas-talking',
      reply_to: 'MEDIC',
      africas_talking: { username: 'sandbox' },
      dispatch: FAST_DISPATCH,
      ...sms,
    },
  });
  if (res.status !== 200) throw new Error(`settings refused: ${res.text}`);
}

export async function startAtRig(
  opts: { sms?: Record<string, unknown>; server?: TestServerOptions; sim?: Parameters<typeof startSimulator>[0] } = {},
): Promise<AtRig> {
  const sim = await startSimulator({ latencyMs: 5, reportDelayMs: 5, ...opts.sim });
  const server = await startTestServer({ ...opts.server, env: { AT_API_URL: sim.url, ...opts.server?.env } });
  await configureAt(server, sim, opts.sms);
  return {
    sim,
    server,
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
  };
}

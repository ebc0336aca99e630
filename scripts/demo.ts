/**
 * `npm run demo`: the server (temporary DATA_DIR) and the AT simulator as real processes,
 * configured only through the public API, one full round trip printed as it happens.
 * Exits 0 when every message has reached its final state and the incoming message is stored.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServerProcess, startSimulatorProcess, type Proc } from '../tests/helpers/processes.js';

const AT_KEY = crypto.randomBytes(16).toString('hex');
const INCOMING_KEY = crypto.randomBytes(16).toString('hex');
const ADMIN_PASSWORD = crypto.randomBytes(12).toString('hex');
const t0 = Date.now();
const say = (line: string): void => console.log(`[${String(Date.now() - t0).padStart(6)} ms] ${line}`);

async function main(): Promise<number> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cht-sms-demo-'));
  let sim: (Proc & { url: string }) | undefined;
  let server: (Proc & { url: string }) | undefined;
  try {
    sim = await startSimulatorProcess(['--account', `sandbox:${AT_KEY}`, '--latency', '50', '--report-delay', '150']);
    say(`AT simulator on ${sim.url}`);
    server = await startServerProcess({
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      ADMIN_PASSWORD,
      AT_API_URL: sim.url,
      LOG_LEVEL: 'info',
    });
    say(`server on ${server.url} (embedded store in ${dataDir})`);
    const base = server.url;
    const auth = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
    const call = async (method: string, p: string, body?: unknown, type = 'application/json'): Promise<unknown> => {
      const res = await fetch(`${base}${p}`, {
        method,
        headers: { authorization: auth, ...(body !== undefined ? { 'content-type': type } : {}) },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const json = (await res.json()) as unknown;
      if (!res.ok) throw new Error(`${method} ${p} → ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    await call('PUT', '/api/v1/credentials/africastalking.com:outgoing', AT_KEY, 'text/plain');
    await call('PUT', '/api/v1/credentials/africastalking.com:incoming', INCOMING_KEY, 'text/plain');
    say('credentials stored (africastalking.com:outgoing, africastalking.com:incoming)');
    await call('PUT', '/api/v1/settings', {
      sms: { outgoing_service: 'africas-talking', reply_to: 'MEDIC', africas_talking: { username: 'sandbox' } },
    });
    say('settings: sms.outgoing_service = africas-talking, username sandbox, reply_to MEDIC');
    await fetch(`${sim.url}/simulator/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        dlrUrl: `${base}/api/v1/sms/africastalking/delivery-reports?key=${INCOMING_KEY}`,
        incomingUrl: `${base}/api/v1/sms/africastalking/incoming-messages?key=${INCOMING_KEY}`,
      }),
    });
    say('simulator callbacks point at the server (delivery-reports, incoming-messages)');
    const created = (await call('POST', '/api/v1/messages', [
      { to: '+254711000001', message: 'Reminder: ANC visit tomorrow at 9am' },
      { to: '+254711000002', message: 'Your child is due for measles vaccine' },
      { to: '+254711000403', message: 'This number is invalid' },
    ])) as { messages: Array<{ id: string; to: string }> };
    say(`queued ${created.messages.length} messages`);
    const last = new Map<string, string>();
    const finals = new Set(['delivered', 'failed', 'denied']);
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      let done = 0;
      for (const m of created.messages) {
        const view = (await call('GET', `/api/v1/messages/${m.id}`)) as {
          state: string;
          state_details?: string;
          gateway_ref: string | null;
        };
        const label = `${view.state}${view.state_details ? ` (${view.state_details})` : ''}`;
        if (last.get(m.id) !== label) {
          last.set(m.id, label);
          say(`  ${m.to}  →  ${label}${view.gateway_ref ? `  ref ${view.gateway_ref}` : ''}`);
        }
        if (finals.has(view.state)) done++;
      }
      if (done === created.messages.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const res = await fetch(`${sim.url}/simulator/incoming`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        from: '+254711000009',
        text: 'HELLO I need a visit',
        id: 'demo-mo-1',
        copies: 2,
        concurrent: true,
      }),
    });
    const posts = (await res.json()) as Array<{ httpStatus: number; body: string }>;
    say(`incoming message posted twice by the simulator (an AT retry): answers ${posts.map((p) => p.body).join(', ')}`);
    const incoming = (await call('GET', '/api/v1/messages?direction=incoming')) as {
      messages: Array<{ id: string; from: string; message: string }>;
    };
    const stored = incoming.messages.filter((m) => m.id === 'demo-mo-1');
    say(
      `stored incoming records for that id: ${stored.length} (${stored.map((m) => `${m.from}: "${m.message}"`).join('')})`,
    );
    const ok = created.messages.every((m) => /^(delivered|failed)/.test(last.get(m.id) ?? '')) && stored.length === 1;
    say(ok ? 'round trip complete' : 'round trip INCOMPLETE');
    return ok ? 0 : 1;
  } finally {
    await server?.stop();
    await sim?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('demo failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  },
);

/**
 * End to end with real processes only: `npm start` (the built server on the embedded store) and
 * the AT simulator CLI, driven over HTTP as an operator and Africa's Talking would.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServerProcess, startSimulatorProcess, type Proc } from '../helpers/processes.js';
import { api, eventually } from '../helpers/test-server.js';

const ADMIN = { user: 'admin', password: 'e2e-admin-pass' };
const AT_KEY = 'e2e-at-api-key-0123456789';
const INCOMING_KEY = 'e2e-incoming-key-abcdef';

describe('e2e: npm start + AT simulator (real processes)', function () {
  this.timeout(180_000);
  let sim: Proc & { url: string };
  let server: Proc & { url: string };
  let dataDir: string;
  const client = () => ({
    url: server.url,
    adminAuth: `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64')}`,
  });
  const simControl = async (method: string, p: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${sim.url}${p}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    return res.json();
  };

  before(async function () {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cht-sms-e2e-'));
    sim = await startSimulatorProcess(['--account', `sandbox:${AT_KEY}`, '--latency', '20']);
    server = await startServerProcess(
      {
        DATA_DIR: dataDir,
        PORT: '0',
        HOST: '127.0.0.1',
        ADMIN_PASSWORD: ADMIN.password,
        AT_API_URL: sim.url,
        LOG_LEVEL: 'info',
      },
      { viaNpm: true },
    );
    await simControl('PUT', '/simulator/config', {
      dlrUrl: `${server.url}/api/v1/sms/africastalking/delivery-reports?key=${INCOMING_KEY}`,
      incomingUrl: `${server.url}/api/v1/sms/africastalking/incoming-messages?key=${INCOMING_KEY}`,
    });
  });

  after(async function () {
    await server?.stop();
    await sim?.stop();
  });

  it('is configured only through the public API (credentials, settings)', async function () {
    expect((await api(client(), 'PUT', '/api/v1/credentials/africastalking.com:outgoing', AT_KEY)).status).to.equal(
      200,
    );
    expect(
      (await api(client(), 'PUT', '/api/v1/credentials/africastalking.com:incoming', INCOMING_KEY)).status,
    ).to.equal(200);
    const res = await api(client(), 'PUT', '/api/v1/settings', {
      sms: { outgoing_service: 'africas-talking', reply_to: 'MEDIC', africas_talking: { username: 'sandbox' } },
    });
    expect(res.body).to.deep.equal({ success: true, updated: true });
  });

  it('sends: pending → sent → delivered, and a failing number ends failed', async function () {
    const res = await api(client(), 'POST', '/api/v1/messages', [
      { to: '+254711000001', message: 'Reminder: clinic visit tomorrow' },
      { to: '+254711000403', message: 'To an invalid number' },
      { to: '+254711000598', message: 'Delivery will fail' },
    ]);
    const [ok, invalid, undeliverable] = (res.body as { messages: Array<{ id: string }> }).messages;
    const state = async (id: string | undefined) =>
      (await api(client(), 'GET', `/api/v1/messages/${id}`)).body as {
        state: string;
        state_details?: string;
        gateway_ref: string | null;
        state_history: Array<{ state: string }>;
      };
    await eventually(async () => (await state(ok?.id)).state === 'delivered', 20_000);
    await eventually(async () => (await state(invalid?.id)).state === 'failed', 20_000);
    await eventually(async () => (await state(undeliverable?.id)).state === 'failed', 20_000);
    const delivered = await state(ok?.id);
    expect(delivered.gateway_ref).to.match(/^ATXid_[0-9a-f]{32}$/);
    expect(delivered.state_history.map((h) => h.state)).to.deep.equal(['pending', 'sent', 'delivered']);
    expect((await state(invalid?.id)).state_details).to.equal('InvalidPhoneNumber');
    expect((await state(undeliverable?.id)).state_details).to.equal('DeliveryFailure');
    const sent = (await simControl('GET', '/simulator/messages')) as Array<{
      from?: string;
      headers: Record<string, string>;
    }>;
    expect(sent.every((s) => s.from === 'MEDIC')).to.equal(true);
  });

  it('receives an incoming message once, even when AT retries it concurrently', async function () {
    const results = (await simControl('POST', '/simulator/incoming', {
      from: '+254711000222',
      text: 'HELLO from the field',
      id: 'mo-e2e-1',
      copies: 5,
      concurrent: true,
    })) as Array<{ httpStatus: number; body: string }>;
    expect(results.map((r) => r.httpStatus)).to.deep.equal([200, 200, 200, 200, 200]);
    const saved = results.map((r) => (JSON.parse(r.body) as { saved: number }).saved);
    expect(saved.reduce((a, b) => a + b, 0)).to.equal(1);
    const list = (await api(client(), 'GET', '/api/v1/messages?direction=incoming')).body as {
      messages: Array<{ id: string; from: string; message: string }>;
    };
    expect(list.messages.filter((m) => m.id === 'mo-e2e-1')).to.have.length(1);
    expect(list.messages[0]).to.include({ from: '+254711000222', message: 'HELLO from the field' });
  });

  it('picks up a credential rotation and a settings change without restart', async function () {
    await simControl('PUT', '/simulator/config', { accounts: [{ username: 'sandbox', apiKey: 'rotated-key-999' }] });
    await api(client(), 'PUT', '/api/v1/credentials/africastalking.com:outgoing', 'rotated-key-999');
    await api(client(), 'PUT', '/api/v1/settings', { sms: { reply_to: 'CLINIC' } });
    const res = await api(client(), 'POST', '/api/v1/messages', { to: '+254711000333', message: 'after rotation' });
    const id = (res.body as { messages: Array<{ id: string }> }).messages[0]?.id;
    await eventually(
      async () =>
        ((await api(client(), 'GET', `/api/v1/messages/${id}`)).body as { state: string }).state === 'delivered',
      20_000,
    );
    const sent = (await simControl('GET', '/simulator/messages')) as Array<{ message: string; from?: string }>;
    expect(sent.find((s) => s.message === 'after rotation')?.from).to.equal('CLINIC');
  });

  it('never wrote a secret to its output, and stops cleanly on SIGTERM', async function () {
    const out = server.output();
    for (const secret of [AT_KEY, INCOMING_KEY, 'rotated-key-999', ADMIN.password]) expect(out).not.to.contain(secret);
    expect(out).to.contain('key=***');
    // npm relays the signal to the server; the server's own log says it finished cleanly.
    await server.stop('SIGTERM');
    await eventually(async () => server.output().includes('"msg":"stopped"'), 10_000);
  });
});

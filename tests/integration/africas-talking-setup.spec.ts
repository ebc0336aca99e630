/**
 * The setup steps as written on CHT's Africa's Talking page
 * (https://docs.communityhealthtoolkit.org/apps/guides/messaging/gateways/africas-talking/),
 * against this server over HTTP only (real `curl`, admin:pass in the URL), with the AT simulator
 * standing in for AT (AT_API_URL) and posting delivery reports and an incoming message to the callback URLs
 * configured with `?key=`, as one would paste them into AT's dashboard:
 *
 *   curl -X PUT -H "Content-Type: text/plain" http://admin:pass@host/api/v1/credentials/africastalking.com:outgoing -d 'key'
 *   curl -X PUT -H "Content-Type: text/plain" http://admin:pass@host/api/v1/credentials/africastalking.com:incoming -d 'key'
 *   app settings: { sms: { outgoing_service: 'africas-talking', reply_to: 'MEDIC', africas_talking: { username: 'sandbox' } } }
 *   callbacks: https://host/api/v1/sms/africastalking/{incoming-messages,delivery-reports}?key=<incoming key>
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { eventually, startTestServer, type TestServer } from '../helpers/test-server.js';
import { startSimulator, type Simulator } from '../../shared-libs/at-simulator/index.js';

const run = promisify(execFile);
const AT_API_KEY = 'atsk_5f1c9e0b7a2d4e6f8a0b1c2d3e4f5a6b';
const INCOMING_KEY = 'yabbadabbadoo-7c41';

async function curl(args: string[]): Promise<{ status: number; body: unknown }> {
  const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', ...args], { timeout: 10_000 });
  const i = stdout.lastIndexOf('\n');
  const text = stdout.slice(0, i);
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: Number(stdout.slice(i + 1)), body };
}

describe("AT setup steps as written (CHT docs' Africa's Talking page)", function () {
  let sim: Simulator;
  let server: TestServer;
  let base: string;
  let host: string;

  before(async () => {
    sim = await startSimulator({ accounts: [{ username: 'sandbox', apiKey: AT_API_KEY }], reportDelayMs: 2 });
    server = await startTestServer({ env: { AT_API_URL: sim.url, ADMIN_PASSWORD: 'pass' } });
    host = server.url.replace('http://', '');
    base = `http://admin:pass@${host}`;
  });
  after(async () => {
    await server.stop();
    await sim.close();
  });

  it('credentials by curl, settings, ?key= callbacks: send → delivered, failure, incoming', async () => {
    // 1-2. The two credentials, exactly as the docs' curl commands send them.
    for (const [name, secret] of [
      ['outgoing', AT_API_KEY],
      ['incoming', INCOMING_KEY],
    ] as const) {
      const res = await curl([
        '-X',
        'PUT',
        '-H',
        'Content-Type: text/plain',
        `${base}/api/v1/credentials/africastalking.com:${name}`,
        '-d',
        secret,
      ]);
      expect(res, `credential ${name}`).to.deep.equal({ status: 200, body: { ok: true } });
    }
    // Without the admin's password the same call is refused.
    expect(
      (
        await curl([
          '-X',
          'PUT',
          '-H',
          'Content-Type: text/plain',
          `http://${host}/api/v1/credentials/africastalking.com:outgoing`,
          '-d',
          'x',
        ])
      ).status,
    ).to.equal(401);

    // 3. The app settings.
    const sms = { outgoing_service: 'africas-talking', reply_to: 'MEDIC', africas_talking: { username: 'sandbox' } };
    const put = await curl([
      '-X',
      'PUT',
      '-H',
      'Content-Type: application/json',
      `${base}/api/v1/settings`,
      '-d',
      JSON.stringify({ sms }),
    ]);
    expect(put).to.deep.equal({ status: 200, body: { success: true, updated: true } });
    const got = await curl([`${base}/api/v1/settings`]);
    expect((got.body as { sms: unknown }).sms).to.deep.include(sms);

    // 4. The callback URLs, with ?key=, given to AT (here: the simulator).
    sim.configure({
      dlrUrl: `${server.url}/api/v1/sms/africastalking/delivery-reports?key=${INCOMING_KEY}`,
      incomingUrl: `${server.url}/api/v1/sms/africastalking/incoming-messages?key=${INCOMING_KEY}`,
    });

    // 5. Two messages: one delivered, one to a number whose delivery fails (simulator ...598).
    const queued = await curl([
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      `${base}/api/v1/messages`,
      '-d',
      JSON.stringify([
        { to: '+254711222333', message: 'Hello from CHT' },
        { to: '+254711222598', message: 'This one fails' },
      ]),
    ]);
    expect(queued.status).to.equal(200);
    const [ok, bad] = (queued.body as { messages: Array<{ id: string; state: string }> }).messages;
    expect([ok?.state, bad?.state]).to.deep.equal(['pending', 'pending']);

    const final = async (id: string, state: string) =>
      eventually(
        async () => {
          const r = await curl([`${base}/api/v1/messages/${id}`]);
          const v = r.body as {
            state: string;
            state_details?: unknown;
            gateway_ref: string | null;
            state_history: Array<{ state: string }>;
          };
          return v.state === state ? v : undefined;
        },
        10_000,
        50,
      );
    const delivered = await final(ok?.id as string, 'delivered');
    const failed = await final(bad?.id as string, 'failed');
    expect(delivered.gateway_ref).to.match(/^ATXid_[0-9a-f]{32}$/);
    expect(delivered.state_history.map((h) => h.state)).to.include.members(['pending', 'sent', 'delivered']);
    expect(failed.state_details).to.equal('DeliveryFailure');

    // What AT (the simulator) received: sandbox username, from = reply_to, key in the header.
    const sent = sim.sent();
    expect(sent).to.have.length.within(1, 2);
    for (const s of sent) {
      expect(s.httpStatus).to.equal(201);
      expect(s.username).to.equal('sandbox');
      expect(s.from).to.equal('MEDIC');
      expect(s.headers.apikey).to.equal('***');
      expect(s.headers.accept).to.equal('application/json');
    }
    expect(sent.flatMap((s) => s.to).sort()).to.deep.equal(['+254711222333', '+254711222598']);

    // Every report AT posted was accepted with the key from the URL.
    await sim.idle();
    const reports = sim.reports();
    expect(reports.map((r) => r.status)).to.include.members(['Sent', 'Submitted', 'Success', 'Failed']);
    expect(reports.every((r) => r.httpStatus === 200)).to.equal(true);

    // 6. An incoming message posted by AT → stored and listed.
    const [incoming] = await sim.injectIncoming({ from: '+254711222444', text: 'Hello', to: '40100' });
    expect(incoming?.httpStatus).to.equal(200);
    expect(JSON.parse(incoming?.body ?? '{}')).to.deep.equal({ saved: 1 });
    const list = await curl([`${base}/api/v1/messages?direction=incoming`]);
    const items = (list.body as { messages: Array<{ from: string; message: string; gateway_ref: string }> }).messages;
    expect(items).to.have.length(1);
    expect(items[0]).to.include({ from: '+254711222444', message: 'Hello', gateway_ref: incoming?.id });

    // No secret in any log line.
    const logs = server.logs();
    expect(logs).to.not.include(AT_API_KEY);
    expect(logs).to.not.include(INCOMING_KEY);
    expect(logs).to.not.include('admin:pass');
  });
});

/**
 * Missed-message recovery with real processes: the built server (`node dist/api/src/main.js`)
 * and the AT simulator CLI. While the server is down, SMS reach only AT's inbox; the server
 * fetches them at start-up and stores each once, whichever way (callback, inbox, both) and
 * whatever id form the callback used. An account's history before the first sync is left alone.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AT_KEY, FAST_DISPATCH, INCOMING_KEY } from '../helpers/at-setup.js';
import { startServerProcess, startSimulatorProcess, type Proc } from '../helpers/processes.js';
import { api, eventually } from '../helpers/test-server.js';

const PASSWORD = 'inbox-e2e-pass';
const AUTH = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;

interface IncomingView {
  doc_id: string;
  gateway_ref: string;
  message: string;
}

async function control(sim: { url: string }, method: string, pathname: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${sim.url}/simulator/${pathname}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${method} /simulator/${pathname}: ${res.status} ${text}`);
  return JSON.parse(text) as unknown;
}

class Rig {
  server?: Proc & { url: string };
  readonly dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cht-sms-inbox-e2e-'));
  constructor(readonly sim: Proc & { url: string }) {}

  get client(): { url: string; adminAuth: string } {
    return { url: (this.server as { url: string }).url, adminAuth: AUTH };
  }

  async start(): Promise<void> {
    const env = {
      DATA_DIR: this.dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      ADMIN_PASSWORD: PASSWORD,
      AT_API_URL: this.sim.url,
      LOG_LEVEL: 'info',
    };
    this.server = await startServerProcess(env);
    // The callback URLs follow the server's new port, as AT's dashboard would after a redeploy.
    await control(this.sim, 'PUT', 'config', {
      incomingUrl: `${this.server.url}/api/v1/sms/africastalking/incoming-messages?key=${INCOMING_KEY}`,
    });
  }

  async configure(): Promise<void> {
    await api(this.client, 'PUT', '/api/v1/credentials/africastalking.com:outgoing', AT_KEY);
    await api(this.client, 'PUT', '/api/v1/credentials/africastalking.com:incoming', INCOMING_KEY);
    const res = await api(this.client, 'PUT', '/api/v1/settings', {
      sms: { outgoing_service: 'africas-talking', africas_talking: { username: 'sandbox' }, dispatch: FAST_DISPATCH },
    });
    expect(res.status, res.text).to.equal(200);
  }

  async sync(): Promise<{ status: number; body: unknown }> {
    return api(this.client, 'POST', '/api/v1/sms/africastalking/inbox-sync');
  }

  /**
   * Syncs on demand until a run finds nothing new. A call may join the run started at start-up
   * (or by the settings change), which answers what that run fetched.
   */
  async caughtUp(): Promise<void> {
    await eventually(
      async () => {
        const res = await this.sync();
        return res.status === 200 && (res.body as { fetched: number }).fetched === 0;
      },
      30_000,
      100,
    );
  }

  async incoming(): Promise<IncomingView[]> {
    const res = await api(this.client, 'GET', '/api/v1/messages?direction=incoming&limit=1000');
    return (res.body as { messages: IncomingView[] }).messages;
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }
}

async function inject(sim: { url: string }, texts: string[]): Promise<void> {
  for (const text of texts) await control(sim, 'POST', 'incoming', { from: '+254711222333', text });
}

describe("e2e: missed incoming SMS are recovered from AT's inbox", function () {
  this.timeout(180_000);
  let sim: Proc & { url: string };

  beforeEach(async function () {
    sim = await startSimulatorProcess(['--account', `sandbox:${AT_KEY}`]);
  });
  afterEach(async function () {
    await sim.stop();
  });

  const cases = [
    { name: 'server down: 50 SMS only in the inbox', viaWebhook: 0, ids: 'inbox' },
    { name: '25 of 50 also delivered by webhook, same ids', viaWebhook: 25, ids: 'inbox' },
    { name: '25 of 50 also delivered by webhook, callback ids are UUIDs', viaWebhook: 25, ids: 'uuid' },
  ] as const;

  for (const c of cases) {
    it(`${c.name} → 50 records, once each`, async function () {
      const rig = new Rig(sim);
      try {
        await control(sim, 'PUT', 'config', { incomingCallbackIds: c.ids });
        await rig.start();
        await rig.configure();
        await rig.caughtUp();

        const texts = Array.from({ length: 50 }, (_, i) => `VISIT ${i} while the server is down`);
        // Delivered by callback while the server runs (they are in the inbox too)...
        await inject(sim, texts.slice(0, c.viaWebhook));
        expect(await rig.incoming()).to.have.length(c.viaWebhook);
        await rig.stop();
        // ...the rest only reach AT's inbox: the server is down.
        await control(sim, 'PUT', 'config', { incomingCallbacks: 'fail' });
        await inject(sim, texts.slice(c.viaWebhook));
        await control(sim, 'PUT', 'config', { incomingCallbacks: 'deliver' });

        await rig.start();
        const stored = await eventually(
          async () => {
            const list = await rig.incoming();
            return list.length >= 50 ? list : undefined;
          },
          60_000,
          100,
        );
        await rig.caughtUp();
        const again = await rig.incoming();
        expect(again, 'no record twice').to.have.length(50);
        expect(new Set(again.map((m) => m.message))).to.deep.equal(new Set(texts));
        expect(stored.map((m) => m.doc_id).sort()).to.deep.equal(again.map((m) => m.doc_id).sort());
      } finally {
        await rig.stop();
      }
    });
  }

  it('first configuration with 200 old messages in the inbox imports none of them, then what arrives later', async function () {
    await control(sim, 'POST', 'inbox', { count: 200 });
    const rig = new Rig(sim);
    try {
      await rig.start();
      await rig.configure();
      await eventually(
        async () => {
          const fetches = (await control(sim, 'GET', 'fetches')) as Array<{ returned?: number }>;
          return fetches.reduce((n, f) => n + (f.returned ?? 0), 0) === 200;
        },
        30_000,
        100,
      );
      await rig.caughtUp();
      expect(await rig.incoming(), 'old history imported').to.deep.equal([]);

      await control(sim, 'PUT', 'config', { incomingCallbacks: 'fail' });
      await inject(sim, ['REG after configuration']);
      const res = await rig.sync();
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ fetched: 1, saved: 1 });
      expect((await rig.incoming()).map((m) => m.message)).to.deep.equal(['REG after configuration']);
    } finally {
      await rig.stop();
    }
  });
});

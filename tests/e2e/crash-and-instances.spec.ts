/**
 * Crash safety and multi-instance safety of the outbox, with real processes and a real
 * CouchDB-protocol server: a `kill -9` mid-send loses nothing and re-sends only what was in
 * flight (visible in the history); two instances on one database never send a message twice.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSimulator } from '../../shared-libs/at-simulator/index.js';
import { AT_KEY, configureAt } from '../helpers/at-setup.js';
import { startServerProcess } from '../helpers/processes.js';
import { startPouchDbServer } from '../helpers/pouchdb-server.js';
import { api, eventually, startTestServer } from '../helpers/test-server.js';

describe('e2e: crash safety and two instances', function () {
  this.timeout(180_000);

  it('kill -9 during sending loses no message; re-sends are limited to what was in flight and are recorded', async function () {
    const sim = await startSimulator({
      latencyMs: 300,
      reportDelayMs: 5,
      accounts: [{ username: 'sandbox', apiKey: AT_KEY }],
    });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cht-sms-crash-'));
    const env = {
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      ADMIN_PASSWORD: 'crash-pass',
      AT_API_URL: sim.url,
      LOG_LEVEL: 'info',
    };
    const auth = `Basic ${Buffer.from('admin:crash-pass').toString('base64')}`;
    let server: Awaited<ReturnType<typeof startServerProcess>> | undefined;
    try {
      server = await startServerProcess(env);
      const client = () => ({ url: server?.url ?? '', adminAuth: auth });
      await configureAt(client(), sim, {
        dispatch: {
          concurrency: 4,
          group_recipients: 1,
          request_timeout_seconds: 1,
          lease_seconds: 2,
          sweep_interval_seconds: 1,
          backoff_base_seconds: 0.05,
          backoff_max_seconds: 0.2,
        },
      });
      const items = Array.from({ length: 30 }, (_, i) => ({
        to: `+2547115000${String(i).padStart(2, '0')}`,
        message: `crash test ${i}`,
      }));
      const created = await api(client(), 'POST', '/api/v1/messages', items);
      const ids = (created.body as { messages: Array<{ id: string }> }).messages.map((m) => m.id);
      await eventually(async () => sim.sent().length >= 6, 30_000, 10);
      const killed = server;
      server = undefined;
      killed.child.kill('SIGKILL');
      await new Promise((r) => killed.child.once('exit', r));
      const beforeRestart = sim.sent().length;
      server = await startServerProcess(env);
      sim.configure({ dlrUrl: `${server.url}/api/v1/sms/africastalking/delivery-reports?key=x` });
      for (const id of ids) {
        await eventually(
          async () =>
            ['sent', 'delivered'].includes(
              ((await api(client(), 'GET', `/api/v1/messages/${id}`)).body as { state: string }).state,
            ),
          60_000,
        );
      }
      const counts = new Map<string, number>();
      for (const s of sim.sent()) counts.set(s.message, (counts.get(s.message) ?? 0) + 1);
      expect(counts.size, 'every message reached AT').to.equal(30);
      const twice = [...counts.entries()].filter(([, n]) => n > 1).map(([m]) => m);
      // Only requests in flight at the kill (at most `concurrency` = 4) may go out again.
      expect(twice.length).to.be.at.most(4);
      expect(beforeRestart).to.be.at.least(6);
      for (const text of twice) {
        const i = items.findIndex((it) => it.message === text);
        const m = (await api(client(), 'GET', `/api/v1/messages/${ids[i]}`)).body as {
          state_history: Array<{ state_details?: string }>;
        };
        expect(
          m.state_history.some((h) => /interrupted before its result was recorded/.test(h.state_details ?? '')),
        ).to.equal(true);
      }
    } finally {
      await server?.stop();
      await sim.close();
    }
  });

  it('two instances on one CouchDB never send the same message twice', async function () {
    const couch = await startPouchDbServer();
    const sim = await startSimulator({ latencyMs: 20, reports: { enabled: false } });
    const db = `medic-shared-${process.pid}`;
    const a = await startTestServer({
      storage: { kind: 'couchdb', couch, db },
      env: { AT_API_URL: sim.url, LOG_LEVEL: 'warn' },
    });
    const b = await startTestServer({
      storage: { kind: 'couchdb', couch, db },
      env: { AT_API_URL: sim.url, LOG_LEVEL: 'warn' },
    });
    try {
      await configureAt(a, sim, { dispatch: { concurrency: 8, group_recipients: 1 } });
      await eventually(async () => b.registry.selectedId(b.settings.get()) === 'africas-talking', 10_000);
      const items = Array.from({ length: 200 }, (_, i) => ({
        to: `+254711600${String(i).padStart(3, '0')}`,
        message: `two instances ${i}`,
      }));
      const res = await api(a, 'POST', '/api/v1/messages', items);
      expect(res.status).to.equal(200);
      await eventually(async () => new Set(sim.sent().map((s) => s.message)).size === 200, 60_000, 50);
      await new Promise((r) => setTimeout(r, 500));
      const counts = new Map<string, number>();
      for (const s of sim.sent()) counts.set(s.message, (counts.get(s.message) ?? 0) + 1);
      expect([...counts.values()].filter((n) => n > 1)).to.deep.equal([]);
      expect(sim.sent()).to.have.length(200);
    } finally {
      await a.stop();
      await b.stop();
      await sim.close();
      await couch.close();
    }
  });
});

/**
 * After `kill -9`, a restarted instance takes back its previous life's claims at once instead of
 * waiting out their leases (120 s by default here), on both stores. Claims are taken only for
 * requests about to go out, so re-sends and "possibly sent before a crash" notes are limited to
 * the requests open at the kill (at most `concurrency`).
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSimulator } from '../../shared-libs/at-simulator/index.js';
import { AT_KEY, configureAt } from '../helpers/at-setup.js';
import { startPouchDbServer, type CouchServer } from '../helpers/pouchdb-server.js';
import { startServerProcess } from '../helpers/processes.js';
import { api, eventually } from '../helpers/test-server.js';

const CONCURRENCY = 8;
const TOTAL = 300;
const NOTE = /possibly sent before a crash/;

for (const storage of ['embedded', 'pouchdb-server'] as const) {
  describe(`e2e: crash recovery without a stall (${storage})`, function () {
    this.timeout(240_000);
    let couch: CouchServer | undefined;
    before(async function () {
      if (storage === 'pouchdb-server') couch = await startPouchDbServer({ inMemory: false });
    });
    after(async function () {
      await couch?.close();
    });

    it(`kill -9 with ${TOTAL} queued: the rest go out after the restart, re-sends only among open requests`, async function () {
      const sim = await startSimulator({
        latencyMs: 100,
        reports: { enabled: false },
        accounts: [{ username: 'sandbox', apiKey: AT_KEY }],
      });
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cht-sms-recover-'));
      const env: Record<string, string> = {
        DATA_DIR: dataDir,
        PORT: '0',
        HOST: '127.0.0.1',
        ADMIN_PASSWORD: 'recover-pass',
        AT_API_URL: sim.url,
        LOG_LEVEL: 'info',
        ...(couch ? { COUCH_URL: `${couch.adminUrl}/medic-recover-${process.pid}` } : {}),
      };
      // With COUCH_URL the administrators are CouchDB's.
      const admin = couch ? new URL(couch.adminUrl) : undefined;
      const credentials = admin
        ? `${decodeURIComponent(admin.username)}:${decodeURIComponent(admin.password)}`
        : 'admin:recover-pass';
      const auth = `Basic ${Buffer.from(credentials).toString('base64')}`;
      let server = await startServerProcess(env);
      const client = () => ({ url: server.url, adminAuth: auth });
      try {
        // Default lease (120 s) and sweep interval (60 s): waiting on either would miss the deadline below.
        await configureAt(client(), sim, { dispatch: { concurrency: CONCURRENCY, group_recipients: 1 } });
        const items = Array.from({ length: TOTAL }, (_, i) => ({
          to: `+2547116${String(i).padStart(5, '0')}`,
          message: `recover ${i}`,
        }));
        const created = await api(client(), 'POST', '/api/v1/messages', items);
        expect(created.status).to.equal(200);
        const ids = (created.body as { messages: Array<{ id: string }> }).messages.map((m) => m.id);
        await eventually(async () => sim.sent().length >= 100, 60_000, 5);
        server.child.kill('SIGKILL');
        await new Promise((r) => server.child.once('exit', r));
        const atKill = sim.sent().length;

        server = await startServerProcess(env);
        const restarted = Date.now();
        await eventually(async () => new Set(sim.sent().map((s) => s.message)).size === TOTAL, 60_000, 50);
        console.log(
          `      all ${TOTAL} reached the simulator ${((Date.now() - restarted) / 1000).toFixed(1)} s after the restart`,
        );

        const counts = new Map<string, number>();
        for (const s of sim.sent()) counts.set(s.message, (counts.get(s.message) ?? 0) + 1);
        const twice = [...counts.entries()].filter(([, n]) => n > 1).map(([m]) => m);
        expect(twice.length, 'duplicates only among the requests open at the kill').to.be.at.most(CONCURRENCY);
        expect(atKill).to.be.at.least(100);

        const noted: string[] = [];
        for (const [i, id] of ids.entries()) {
          const m = await eventually(async () => {
            const r = (await api(client(), 'GET', `/api/v1/messages/${id}`)).body as {
              state: string;
              state_history: Array<{ state_details?: string }>;
            };
            return r.state === 'sent' ? r : undefined;
          }, 30_000);
          if (m.state_history.some((h) => NOTE.test(h.state_details ?? ''))) noted.push(items[i]?.message as string);
        }
        expect(noted.length, 'only claims that may have reached AT carry the note').to.be.at.most(CONCURRENCY);
        for (const text of twice) expect(noted, `${text} was sent twice, so it carries the note`).to.include(text);
      } finally {
        await server.stop();
        await sim.close();
      }
    });
  });
}

/**
 * Edge cases found in review: webhook auth before the body, the admin password file, delivery
 * reports for messages CHT-core sent (no reference index entry), and unsafe proxy settings.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { readEnv } from '../../api/src/env.js';
import { INCOMING_KEY, startAtRig, type AtRig } from '../helpers/at-setup.js';
import { eventually, startTestServer } from '../helpers/test-server.js';

describe('hardening', function () {
  this.timeout(30_000);
  let rig: AtRig | undefined;
  afterEach(async function () {
    await rig?.stop();
    rig = undefined;
  });

  it('a webhook without the key answers 403 whatever the body (not 415/400/413)', async function () {
    rig = await startAtRig();
    const url = `${rig.server.url}/api/v1/sms/africastalking/incoming-messages?key=wrong`;
    const bodies: Array<[string, string]> = [
      ['text/plain', 'hello'],
      ['application/json', '{"broken":'],
      ['application/x-www-form-urlencoded', `id=1&from=%2B254711000001&text=${'x'.repeat(2 * 1024 * 1024)}`],
    ];
    for (const [type, body] of bodies) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
      expect(res.status, type).to.equal(403);
    }
    const ok = await fetch(`${rig.server.url}/api/v1/sms/africastalking/incoming-messages?key=${INCOMING_KEY}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    // With the key, the body is judged: plain text is not what AT sends.
    expect(ok.status).to.equal(400);
    expect(((await ok.json()) as { error: string }).error).to.match(/form fields/);
  });

  it('applies a delivery report for a message CHT-core sent (gateway_ref on the task, no index entry)', async function () {
    rig = await startAtRig();
    const uuid = uuidv7();
    const doc = {
      _id: uuidv7(),
      type: 'data_record',
      reported_date: Date.now(),
      tasks: [{ state: 'sent', gateway_ref: 'ATXid_from_cht_core_0001', state_history: [{ state: 'sent', timestamp: new Date().toISOString() }], messages: [{ uuid, to: '+254711900001', message: 'sent by CHT-core' }] }],
    };
    await rig.server.dbs.medic.put(doc);
    const res = await fetch(`${rig.server.url}/api/v1/sms/africastalking/delivery-reports?key=${INCOMING_KEY}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'id=ATXid_from_cht_core_0001&status=Success&phoneNumber=%2B254711900001',
    });
    expect(await res.json()).to.deep.equal({ saved: 1 });
    const r = rig;
    await eventually(async () => (await r.message(uuid)).state === 'delivered', 5_000);
  });

  it('refuses to start with an empty admin-password file instead of accepting an empty password', async function () {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cht-sms-pw-'));
    fs.writeFileSync(path.join(dataDir, 'admin-password'), '\n', { mode: 0o600 });
    try {
      await startTestServer({ dataDir, env: { ADMIN_PASSWORD: '' } });
      expect.fail('should not start');
    } catch (err) {
      expect((err as Error).message).to.match(/admin-password is empty/);
    }
  });

  it('generates the admin password once, 0600, and keeps it across restarts', async function () {
    const first = await startTestServer({ env: { ADMIN_PASSWORD: '' } });
    const file = path.join(first.dataDir, 'admin-password');
    const password = fs.readFileSync(file, 'utf8').trim();
    expect(first.generatedAdminPassword).to.equal(password);
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    await first.stop();
    const second = await startTestServer({ dataDir: first.dataDir, env: { ADMIN_PASSWORD: '' } });
    try {
      expect(second.generatedAdminPassword).to.equal(undefined);
      const res = await fetch(`${second.url}/api/v1/settings`, { headers: { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` } });
      expect(res.status).to.equal(200);
    } finally {
      await second.stop();
    }
  });

  it('TRUST_PROXY takes addresses or true, never a hop count a client could forge', function () {
    expect(readEnv({ TRUST_PROXY: '127.0.0.1,10.0.0.0/8' }).trustProxy).to.equal('127.0.0.1,10.0.0.0/8');
    expect(readEnv({ TRUST_PROXY: 'true' }).trustProxy).to.equal(true);
    expect(readEnv({}).trustProxy).to.equal(false);
    expect(() => readEnv({ TRUST_PROXY: '2' })).to.throw(/not a hop count/);
  });
});

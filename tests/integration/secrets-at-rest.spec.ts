/**
 * Nothing under DATA_DIR holds a password or a secret in plain text: the generated administrator
 * password (only its hash is kept), credentials (encrypted), the audit trail (keys, not values).
 * Every file is scanned, database files included, for the text and its base64 forms.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { api, startTestServer } from '../helpers/test-server.js';

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}

const forms = (secret: string): string[] => [
  secret,
  Buffer.from(secret).toString('base64'),
  Buffer.from(secret).toString('base64url'),
  Buffer.from(secret).toString('hex'),
];

describe('secrets at rest', function () {
  this.timeout(30_000);

  it('no password or credential value in any file under DATA_DIR, nor in the logs', async function () {
    const server = await startTestServer({ env: { ADMIN_PASSWORD: '' } });
    const password = server.generatedAdminPassword ?? '';
    expect(password).to.not.equal('');
    const auth = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
    const secrets = ['at-api-key-plaintext-5d81c0', 'incoming-webhook-key-plaintext-9e27'];
    try {
      const as = { url: server.url, adminAuth: auth };
      for (const [i, key] of ['africastalking.com:outgoing', 'africastalking.com:incoming'].entries()) {
        expect((await api(as, 'PUT', `/api/v1/credentials/${key}`, secrets[i])).status).to.equal(200);
      }
      expect((await api(as, 'PUT', '/api/v1/settings', { sms: { reply_to: 'AUDITED' } })).status).to.equal(200);
      expect((await api(as, 'GET', '/api/v1/audit')).status).to.equal(200);
      expect(await server.credentials.get('africastalking.com:incoming')).to.equal(secrets[1]);
    } finally {
      await server.stop();
    }
    const files = filesUnder(server.dataDir);
    expect(files.map((f) => path.basename(f))).to.include('admin-password');
    expect(files.length).to.be.greaterThan(5);
    for (const file of files) {
      const bytes = fs.readFileSync(file);
      for (const secret of [password, ...secrets]) {
        const where = path.relative(server.dataDir, file);
        for (const form of forms(secret)) expect(bytes.includes(form), `${form} in ${where}`).to.equal(false);
      }
    }
    // The scan does see database contents: the (non-secret) settings value is there in plain text.
    expect(files.some((f) => fs.readFileSync(f).includes('AUDITED'))).to.equal(true);
    for (const secret of [password, ...secrets]) expect(server.logs()).to.not.include(secret);
  });
});

/**
 * The embedded store keeps everything across a restart on the same DATA_DIR: credentials,
 * settings and messages, with the credentials key file kept 0600.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { api, startTestServer } from '../helpers/test-server.js';

describe('embedded store persistence', function () {
  it('embedded data survives a restart (same DATA_DIR)', async function () {
    const first = await startTestServer();
    await api(first, 'PUT', '/api/v1/credentials/persist.key', 'persisted-secret');
    await api(first, 'PUT', '/api/v1/settings', { marker: 'persisted' });
    const created = await api(first, 'POST', '/api/v1/messages', { to: '+254712345678', message: 'kept' });
    const id = (created.body as { messages: Array<{ id: string }> }).messages[0]?.id as string;
    await first.stop();
    const second = await startTestServer({ dataDir: first.dataDir });
    try {
      expect(await second.credentials.get('persist.key')).to.equal('persisted-secret');
      expect((await api(second, 'GET', '/api/v1/settings')).body).to.have.property('marker', 'persisted');
      expect((await api(second, 'GET', `/api/v1/messages/${id}`)).body).to.have.property('message', 'kept');
      const keyFile = fs.statSync(path.join(first.dataDir, 'credentials.key'));
      expect(keyFile.mode & 0o777).to.equal(0o600);
    } finally {
      await second.stop();
    }
  });
});

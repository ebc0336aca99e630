/**
 * The audit trail through the API: settings changes with the paths they changed, credential
 * writes without their values, refused changes leave no entry, entries newest first with
 * `since` and `limit`, administrators only, and pruning after `audit_log_days`.
 */
import { expect } from 'chai';
import type { AuditEntry } from '../../api/src/audit/audit-log.js';
import { onEachStore } from '../helpers/stores.js';
import { api, type TestServer } from '../helpers/test-server.js';

const SECRET = 'audit-test-secret-value-7f3a';

async function entries(server: TestServer, query = ''): Promise<AuditEntry[]> {
  const res = await api(server, 'GET', `/api/v1/audit${query}`);
  expect(res.status, res.text).to.equal(200);
  return (res.body as { entries: AuditEntry[] }).entries;
}

describe('audit log', function () {
  this.timeout(30_000);
  onEachStore((s) => {
    let start: string;
    before(function () {
      start = new Date().toISOString();
    });

    it('records a settings change: who, from where, and the paths with before/after', async function () {
      expect((await api(s.server, 'PUT', '/api/v1/settings', { sms: { reply_to: 'CLINIC' } })).status).to.equal(200);
      const patch = { sms: { reply_to: 'CLINIC2', dispatch: { concurrency: 4 } } };
      const second = await api(s.server, 'PUT', '/api/v1/settings', patch);
      expect(second.status).to.equal(200);
      const [latest, previous] = await entries(s.server);
      expect(latest).to.include({ action: 'settings.update', target: 'merge', address: '127.0.0.1' });
      expect(latest?.user).to.be.a('string').and.not.equal('unknown');
      expect(Date.parse(latest?.at ?? '')).to.be.at.least(Date.parse(start));
      expect(latest?.changes).to.deep.equal([
        { path: 'sms.reply_to', before: 'CLINIC', after: 'CLINIC2' },
        { path: 'sms.dispatch', after: { concurrency: 4 } },
      ]);
      expect(previous?.changes).to.deep.include({ path: 'sms.reply_to', after: 'CLINIC' });
    });

    it('an unchanged or refused settings write leaves no entry', async function () {
      const before = (await entries(s.server)).length;
      expect((await api(s.server, 'PUT', '/api/v1/settings', { sms: { reply_to: 'CLINIC2' } })).status).to.equal(200);
      const refused = await api(s.server, 'PUT', '/api/v1/settings', { sms: { dispatch: { concurrency: -1 } } });
      expect(refused.status).to.equal(400);
      expect((await entries(s.server)).length).to.equal(before);
    });

    it('records a credential write by key, never its value', async function () {
      const res = await api(s.server, 'PUT', '/api/v1/credentials/africastalking.com:outgoing', SECRET);
      expect(res.status).to.equal(200);
      const [latest] = await entries(s.server);
      expect(latest).to.include({ action: 'credential.set', target: 'africastalking.com:outgoing', changes: null });
      expect(JSON.stringify(await entries(s.server))).to.not.include(SECRET);
    });

    it('records opt-outs an administrator adds and removes', async function () {
      const number = '+254711000777';
      expect((await api(s.server, 'POST', '/api/v1/sms/opt-outs', { number, sender_id: 'MEDIC' })).status).to.equal(
        200,
      );
      expect(
        (await api(s.server, 'DELETE', `/api/v1/sms/opt-outs/${encodeURIComponent(number)}?sender_id=MEDIC`)).status,
      ).to.equal(200);
      const [removed, added] = await entries(s.server);
      expect(added).to.deep.include({ action: 'opt_out.add', target: number, changes: { sender_id: 'MEDIC' } });
      expect(removed).to.deep.include({ action: 'opt_out.remove', target: number, changes: { sender_id: 'MEDIC' } });
    });

    it('record() serves other actions (queue, channel) with the same shape', async function () {
      const actor = { user: 'admin', address: '10.1.2.3' };
      await s.server.audit.record(actor, 'channel.pause', 'outgoing', { reason: 'test' });
      const [latest] = await entries(s.server);
      const expected = { ...actor, action: 'channel.pause', target: 'outgoing', changes: { reason: 'test' } };
      expect(latest).to.deep.include(expected);
    });

    it('newest first; since and limit', async function () {
      const all = await entries(s.server);
      expect(all.length).to.be.at.least(4);
      const times = all.map((e) => e.at);
      expect(times).to.deep.equal([...times].sort().reverse());
      expect(await entries(s.server, '?limit=2')).to.deep.equal(all.slice(0, 2));
      const cut = all[1]?.at ?? '';
      const since = await entries(s.server, `?since=${encodeURIComponent(cut)}`);
      expect(since.map((e) => e.at)).to.deep.equal(times.filter((t) => t >= cut));
      expect(await entries(s.server, '?since=2999-01-01T00:00:00Z')).to.deep.equal([]);
      for (const bad of ['?limit=0', '?limit=abc', '?since=yesterday']) {
        const res = await api(s.server, 'GET', `/api/v1/audit${bad}`);
        expect(res.status, bad).to.equal(400);
      }
    });

    it('is for administrators only', async function () {
      const res = await fetch(`${s.server.url}/api/v1/audit`);
      expect(res.status).to.equal(401);
    });

    it('prunes entries older than audit_log_days in bulk', async function () {
      const db = s.server.dbs.medic;
      const old = Array.from({ length: 30 }, (_, i) => {
        const at = new Date(Date.now() - (40.5 + i) * 86_400_000).toISOString();
        const entry = { at, user: 'x', address: 'y', action: 'test.old', target: 't', changes: null };
        return { _id: `sms-audit:${at}:old${i}`, type: 'sms_audit', ...entry };
      });
      await db.bulkDocs(old);
      expect((await entries(s.server, '?limit=1000')).filter((e) => e.action === 'test.old')).to.have.length(30);
      expect((await api(s.server, 'PUT', '/api/v1/settings', { audit_log_days: 50 })).status).to.equal(200);
      expect(await s.server.audit.prune(50)).to.equal(20);
      const left = await entries(s.server, '?limit=1000');
      expect(left.filter((e) => e.action === 'test.old')).to.have.length(10);
      expect(left.filter((e) => e.action === 'settings.update').length).to.be.at.least(3);
    });
  });
});

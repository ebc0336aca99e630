/**
 * Due-time bounds on the listings and the muted group's split by due date (the console's "Will
 * not send" / "Did not send"), on both stores.
 */
import { expect } from 'chai';
import { onEachStore } from '../helpers/stores.js';
import { api } from '../helpers/test-server.js';
import { seed } from '../browser/support.js';

const HOUR = 3600_000;

describe('listings by due time', function () {
  onEachStore((s) => {
    it('due_after / due_before split the muted group; counts give muted_due_later', async function () {
      const now = Date.now();
      await seed(s.server.dbs.medic, [
        { to: '+254700310001', message: 'muted, due tomorrow', state: 'muted', due: now + 24 * HOUR, scheduled: true },
        {
          to: '+254700310002',
          message: 'denied, due in two days',
          state: 'denied',
          due: now + 48 * HOUR,
          scheduled: true,
        },
        { to: '+254700310003', message: 'denied an hour ago', state: 'denied', due: now - HOUR },
        { to: '+254700310004', message: 'duplicate yesterday', state: 'duplicate', due: now - 24 * HOUR },
        { to: '+254700310005', message: 'cleared a minute ago', state: 'cleared', due: now - 60_000 },
      ]);
      const at = new Date(now).toISOString();
      const list = async (q: string) => {
        const res = await api(s.server, 'GET', `/api/v1/messages?state=muted,cleared,denied,duplicate&${q}`);
        expect(res.status, res.text).to.equal(200);
        return (res.body as { messages: Array<{ to: string }> }).messages.map((m) => m.to);
      };
      expect(await list(`due_after=${encodeURIComponent(at)}`)).to.deep.equal(['+254700310002', '+254700310001']);
      expect(await list(`due_before=${encodeURIComponent(at)}`)).to.deep.equal([
        '+254700310005',
        '+254700310003',
        '+254700310004',
      ]);
      expect(await list(`due_before=${encodeURIComponent(at)}&limit=1`)).to.deep.equal(['+254700310005']);
      const counts = (await api(s.server, 'GET', '/api/v1/messages/counts')).body as {
        outgoing: { muted_due_later: number };
      };
      expect(counts.outgoing.muted_due_later).to.equal(2);
      const bad = await api(s.server, 'GET', '/api/v1/messages?due_before=tomorrow');
      expect(bad.status).to.equal(400);
      expect(bad.text).to.include('due_before');
    });
  });
});

/**
 * Retry, cancel and edit one message over HTTP, on both stores: every state's answer (200, or 409
 * with nothing written), 404 for unknown ids, the history entry naming the administrator, edit's
 * validation and truncation, and the pause switch emptying medic-gateway's hand-out. The server
 * runs with medic-gateway selected (pull), so nothing is sent behind the test's back.
 */
import { expect } from 'chai';
import type { Task } from '../../shared-libs/task-utils/types.js';
import { adminName, putQueued, setPaused, type ChannelView, type QueuedFixture } from '../helpers/queue-fixtures.js';
import { onEachStore } from '../helpers/stores.js';
import { api, openWorkIds } from '../helpers/test-server.js';

interface View {
  id: string;
  message: string;
  state: string;
  state_details?: string;
  attempts?: number;
  next_attempt_at?: string;
  gateway_ref: string | null;
  state_history: Array<{ state: string; state_details?: string; user?: string; timestamp: string }>;
}

const inMinutes = (m: number): string => new Date(Date.now() + m * 60_000).toISOString();
const lease = (minutes: number) => ({ owner: 'another-instance', until: inMinutes(minutes), attempt: 1 });

type Action = 'retry' | 'cancel' | 'edit';

interface Row {
  name: string;
  fixture: QueuedFixture;
  action: Action;
  status: 200 | 409;
  /** Expected state after a 200. */
  state?: string;
  error?: RegExp;
}

const FUTURE = inMinutes(24 * 60);
const ok = (action: Action, name: string, fixture: QueuedFixture, state: string): Row => ({
  name,
  fixture,
  action,
  status: 200,
  state,
});
const no = (action: Action, name: string, fixture: QueuedFixture, error: RegExp): Row => ({
  name,
  fixture,
  action,
  status: 409,
  error,
});
const failed: QueuedFixture = { state: 'failed' };
const pending: QueuedFixture = { state: 'pending' };
const scheduled: QueuedFixture = { state: 'scheduled', due: FUTURE };
// Times are taken when the file loads, maybe long before the row runs: hours, not minutes.
const beingSent: QueuedFixture = { state: 'pending', task: { attempts: 1, lease: lease(600) } };
const backingOff: QueuedFixture = { state: 'pending', task: { attempts: 2, next_attempt_at: inMinutes(600) } };
const claimExpired: QueuedFixture = { state: 'pending', task: { attempts: 1, lease: lease(-2) } };

const ROWS: Row[] = [
  ok('retry', 'a failed message', { state: 'failed', task: { attempts: 10, gateway_ref: 'ATXid_x' } }, 'pending'),
  ok('retry', 'a message backing off', backingOff, 'pending'),
  no('retry', 'a message that never failed', pending, /already waiting to go out/),
  no('retry', 'a delivered message', { state: 'delivered' }, /this one is delivered/),
  no('retry', 'a scheduled message', scheduled, /this one is scheduled/),
  no('retry', 'a message being sent', beingSent, /being sent now/),
  ok('cancel', 'a pending message', pending, 'cleared'),
  ok('cancel', 'a scheduled message', scheduled, 'cleared'),
  ok('cancel', 'a message whose claim expired', claimExpired, 'cleared'),
  no('cancel', 'a message being sent', beingSent, /being sent now/),
  no('cancel', 'a failed message', failed, /this one is failed/),
  no('cancel', 'a message handed to the gateway app', { state: 'forwarded-to-gateway' }, /gateway app/),
  no('cancel', 'a cleared message', { state: 'cleared' }, /this one is cleared/),
  ok('edit', 'a pending message', pending, 'pending'),
  ok('edit', 'a scheduled message', scheduled, 'scheduled'),
  no('edit', 'a sent message', { state: 'sent', task: { gateway_ref: 'ATXid_s' } }, /this one is sent/),
  no('edit', 'a message being sent', beingSent, /being sent now/),
  no('edit', 'a failed message', failed, /this one is failed/),
];

const request = (action: Action, id: string, text = 'edited text'): [string, string, unknown?] =>
  action === 'edit'
    ? ['PATCH', `/api/v1/messages/${id}`, { message: text }]
    : ['POST', `/api/v1/messages/${id}/${action}`];

onEachStore((s) => {
  describe('queue actions on one message', function () {
    const docOf = async (uuid: string) => {
      const res = await s.server.dbs.medic.query('medic-sms/messages_by_uuid', { key: uuid, include_docs: true });
      return res.rows[0]?.doc as unknown as { _id: string; _rev: string; tasks?: Task[]; scheduled_tasks?: Task[] };
    };

    for (const row of ROWS) {
      it(`${row.action} ${row.name} → ${row.status}${row.state ? ` (${row.state})` : ''}`, async function () {
        const uuid = await putQueued(s.server.dbs.medic, row.fixture);
        const before = await docOf(uuid);
        const [method, path, body] = request(row.action, uuid);
        const res = await api(s.server, method, path, body);
        expect(res.status, res.text).to.equal(row.status);
        if (row.status === 409) {
          expect((res.body as { error: string }).error).to.match(row.error as RegExp);
          expect((res.body as { code: number }).code).to.equal(409);
          expect((await docOf(uuid))._rev, 'nothing written').to.equal(before._rev);
          return;
        }
        const view = res.body as View;
        const read = (await api(s.server, 'GET', `/api/v1/messages/${uuid}`)).body as View;
        expect(view, 'the answer is the message as GET returns it').to.deep.equal(read);
        expect(view.state).to.equal(row.state);
        const last = view.state_history.at(-1);
        expect(last?.user).to.equal(adminName(s.server));
        expect(Date.now() - Date.parse(last?.timestamp ?? '')).to.be.lessThan(60_000);
        if (row.action === 'retry') {
          const details = `Retried by ${adminName(s.server)}`;
          expect(view).to.include({ attempts: 0, gateway_ref: null, state_details: details });
          expect(view.next_attempt_at).to.equal(undefined);
          expect(await openWorkIds(s.server), 'the outbox finds it again').to.include((await docOf(uuid))._id);
        }
        if (row.action === 'cancel') expect(view.state_details).to.equal(`Cancelled by ${adminName(s.server)}`);
        if (row.action === 'edit') {
          expect(view.message).to.equal('edited text');
          expect(last).to.include({ state: row.state, state_details: `Text edited by ${adminName(s.server)}` });
        }
      });
    }

    for (const action of ['retry', 'cancel', 'edit'] as const) {
      it(`${action} of an unknown id → 404`, async function () {
        const [method, path, body] = request(action, '0190aaaa-0000-7000-8000-000000000000');
        const res = await api(s.server, method, path, body);
        expect(res.status).to.equal(404);
        expect((res.body as { error: string }).error).to.match(/No outgoing message with id/);
      });

      it(`${action} without credentials → 401`, async function () {
        const uuid = await putQueued(s.server.dbs.medic, { state: 'failed' });
        const [method, path, body] = request(action, uuid);
        const res = await api(s.server, method, path, body, { authorization: '' });
        expect(res.status).to.equal(401);
      });
    }

    const badEdits: Array<[string, unknown, RegExp]> = [
      ['no message', {}, /^message: is required/],
      ['an empty message', { message: '   ' }, /^message: must not be empty/],
      ['an unknown field', { message: 'x', to: '+254700000000' }, /to|Unrecognized/i],
      ['not an object', 'text', /message|body/],
    ];
    for (const [name, body, error] of badEdits) {
      it(`edit with ${name} → 400, nothing written`, async function () {
        const uuid = await putQueued(s.server.dbs.medic, { state: 'pending' });
        const before = await docOf(uuid);
        const res = await api(s.server, 'PATCH', `/api/v1/messages/${uuid}`, body);
        expect(res.status, res.text).to.equal(400);
        expect((res.body as { error: string }).error).to.match(error);
        expect((await docOf(uuid))._rev).to.equal(before._rev);
      });
    }

    it('edit truncates as POST /api/v1/messages does (multipart_sms_limit), keeping the original', async function () {
      expect((await api(s.server, 'PUT', '/api/v1/settings', { multipart_sms_limit: 1 })).status).to.equal(200);
      try {
        const uuid = await putQueued(s.server.dbs.medic, { state: 'pending' });
        const long = 'x'.repeat(300);
        const res = await api(s.server, 'PATCH', `/api/v1/messages/${uuid}`, { message: long });
        expect(res.status, res.text).to.equal(200);
        expect((res.body as View).message.length).to.be.at.most(160);
        const msg = (await docOf(uuid)).tasks?.[0]?.messages?.[0];
        expect(msg?.original_message).to.equal(long);
      } finally {
        await api(s.server, 'PUT', '/api/v1/settings', { multipart_sms_limit: 10 });
      }
    });
  });

  describe('the channel switch (pull mode)', function () {
    afterEach(async function () {
      await setPaused(s.server, false);
    });

    it('GET answers open before anyone moved it, with the circuit', async function () {
      const res = await api(s.server, 'GET', '/api/v1/sms/channel');
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.include({ paused: false, reason: null, by: null, at: null });
      expect((res.body as ChannelView).circuit).to.include({ state: 'closed' });
    });

    it('paused: medic-gateway is handed nothing but its updates still apply; resumed: handed out', async function () {
      const sent = await putQueued(s.server.dbs.medic, { state: 'forwarded-to-gateway' });
      const waiting = await putQueued(s.server.dbs.medic, { state: 'pending' });
      const view = await setPaused(s.server, true, 'gateway phone is sending garbage');
      expect(view).to.include({ paused: true, reason: 'gateway phone is sending garbage', by: adminName(s.server) });
      expect(Date.now() - Date.parse(view.at ?? '')).to.be.lessThan(60_000);
      const paused = await api(s.server, 'POST', '/api/sms', { updates: [{ id: sent, status: 'DELIVERED' }] });
      expect(paused.status, paused.text).to.equal(200);
      expect((paused.body as { messages: unknown[] }).messages).to.deep.equal([]);
      expect(((await api(s.server, 'GET', `/api/v1/messages/${sent}`)).body as View).state).to.equal('delivered');
      await setPaused(s.server, false);
      const resumed = await api(s.server, 'POST', '/api/sms', {});
      expect((resumed.body as { messages: Array<{ id: string }> }).messages.map((m) => m.id)).to.include(waiting);
    });

    const badBodies: Array<[string, unknown]> = [
      ['no paused', { reason: 'x' }],
      ['paused not a boolean', { paused: 'yes' }],
      ['an unknown field', { paused: true, because: 'x' }],
      ['a reason too long', { paused: true, reason: 'r'.repeat(501) }],
    ];
    for (const [name, body] of badBodies) {
      it(`PUT with ${name} → 400, not paused`, async function () {
        const res = await api(s.server, 'PUT', '/api/v1/sms/channel', body);
        expect(res.status, res.text).to.equal(400);
        expect(((await api(s.server, 'GET', '/api/v1/sms/channel')).body as ChannelView).paused).to.equal(false);
      });
    }

    it('GET and PUT need an administrator', async function () {
      const anonymous = { authorization: '' };
      expect((await api(s.server, 'GET', '/api/v1/sms/channel', undefined, anonymous)).status).to.equal(401);
      expect((await api(s.server, 'PUT', '/api/v1/sms/channel', { paused: true }, anonymous)).status).to.equal(401);
    });
  });
});

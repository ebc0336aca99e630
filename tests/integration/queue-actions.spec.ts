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
import { api } from '../helpers/test-server.js';

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
const ROWS: Row[] = [
  { name: 'a failed message', fixture: { state: 'failed', task: { attempts: 10, gateway_ref: 'ATXid_x' } }, action: 'retry', status: 200, state: 'pending' },
  { name: 'a message backing off', fixture: { state: 'pending', task: { attempts: 2, next_attempt_at: inMinutes(30) } }, action: 'retry', status: 200, state: 'pending' },
  { name: 'a message that never failed', fixture: { state: 'pending' }, action: 'retry', status: 409, error: /already waiting to go out/ },
  { name: 'a delivered message', fixture: { state: 'delivered' }, action: 'retry', status: 409, error: /this one is delivered/ },
  { name: 'a scheduled message', fixture: { state: 'scheduled', due: FUTURE }, action: 'retry', status: 409, error: /this one is scheduled/ },
  { name: 'a message being sent', fixture: { state: 'pending', task: { attempts: 1, lease: lease(2) } }, action: 'retry', status: 409, error: /being sent now/ },
  { name: 'a pending message', fixture: { state: 'pending' }, action: 'cancel', status: 200, state: 'cleared' },
  { name: 'a scheduled message', fixture: { state: 'scheduled', due: FUTURE }, action: 'cancel', status: 200, state: 'cleared' },
  { name: 'a message whose claim expired', fixture: { state: 'pending', task: { attempts: 1, lease: lease(-2) } }, action: 'cancel', status: 200, state: 'cleared' },
  { name: 'a message being sent', fixture: { state: 'pending', task: { attempts: 1, lease: lease(2) } }, action: 'cancel', status: 409, error: /being sent now/ },
  { name: 'a failed message', fixture: { state: 'failed' }, action: 'cancel', status: 409, error: /this one is failed/ },
  { name: 'a message handed to the gateway app', fixture: { state: 'forwarded-to-gateway' }, action: 'cancel', status: 409, error: /gateway app/ },
  { name: 'a cleared message', fixture: { state: 'cleared' }, action: 'cancel', status: 409, error: /this one is cleared/ },
  { name: 'a pending message', fixture: { state: 'pending' }, action: 'edit', status: 200, state: 'pending' },
  { name: 'a scheduled message', fixture: { state: 'scheduled', due: FUTURE }, action: 'edit', status: 200, state: 'scheduled' },
  { name: 'a sent message', fixture: { state: 'sent', task: { gateway_ref: 'ATXid_s' } }, action: 'edit', status: 409, error: /this one is sent/ },
  { name: 'a message being sent', fixture: { state: 'pending', task: { lease: lease(2) } }, action: 'edit', status: 409, error: /being sent now/ },
  { name: 'a failed message', fixture: { state: 'failed' }, action: 'edit', status: 409, error: /this one is failed/ },
];

const request = (action: Action, id: string, text = 'edited text'): [string, string, unknown?] =>
  action === 'edit' ? ['PATCH', `/api/v1/messages/${id}`, { message: text }] : ['POST', `/api/v1/messages/${id}/${action}`];

onEachStore((s) => {
  describe('queue actions on one message', function () {
    const docOf = async (uuid: string) => {
      const row = (await s.server.dbs.medic.query('medic-sms/messages_by_uuid', { key: uuid, include_docs: true })).rows[0];
      return row?.doc as unknown as { _rev: string; tasks?: Task[]; scheduled_tasks?: Task[] };
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
          expect(view).to.include({ attempts: 0, gateway_ref: null, state_details: `Retried by ${adminName(s.server)}` });
          expect(view.next_attempt_at).to.equal(undefined);
          const open = await s.server.dbs.medic.get(`sms-open:${((await docOf(uuid)) as unknown as { _id: string })._id}`);
          expect(open, 'the outbox index has it again').to.include({ type: 'sms_open_work' });
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
      expect((await api(s.server, 'GET', '/api/v1/sms/channel', undefined, { authorization: '' })).status).to.equal(401);
      expect((await api(s.server, 'PUT', '/api/v1/sms/channel', { paused: true }, { authorization: '' })).status).to.equal(401);
    });
  });
});

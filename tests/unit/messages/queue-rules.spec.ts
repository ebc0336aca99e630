import { expect } from 'chai';
import { cancelTask, editText, refusal, retryTask, type QueueAction } from '../../../api/src/messages/queue-rules.js';
import type { Task } from '../../../shared-libs/task-utils/types.js';

const NOW = new Date('2026-03-02T10:00:00Z');
const LATER = '2026-03-02T10:05:00Z';
const EARLIER = '2026-03-02T09:55:00Z';
const lease = (until: string) => ({ owner: 'other-instance', until, attempt: 1 });

const task = (fields: Partial<Task>): Task => ({
  messages: [{ uuid: 'u1', to: '+254711000001', message: 'hello' }],
  state_history: [{ state: fields.state ?? 'pending', timestamp: EARLIER }],
  ...fields,
});

const ALL: QueueAction[] = ['retry', 'cancel', 'edit'];

describe('queue rules: which action applies to which message', function () {
  const rows: Array<{ name: string; task: Partial<Task>; allowed: QueueAction[]; why?: RegExp }> = [
    { name: 'failed', task: { state: 'failed' }, allowed: ['retry'] },
    { name: 'pending, never tried', task: { state: 'pending' }, allowed: ['cancel', 'edit'] },
    { name: 'pending after a failed attempt', task: { state: 'pending', attempts: 2 }, allowed: ALL },
    { name: 'pending, paused until later', task: { state: 'pending', next_attempt_at: LATER }, allowed: ALL },
    { name: 'pending, claim expired', task: { state: 'pending', attempts: 1, lease: lease(EARLIER) }, allowed: ALL },
    { name: 'pending, being sent', task: { state: 'pending', lease: lease(LATER) }, allowed: [], why: /being sent/ },
    { name: 'scheduled', task: { state: 'scheduled', due: LATER }, allowed: ['cancel', 'edit'] },
    { name: 'forwarded-to-gateway', task: { state: 'forwarded-to-gateway' }, allowed: [], why: /gateway|retry/ },
    { name: 'sent', task: { state: 'sent' }, allowed: [] },
    { name: 'delivered', task: { state: 'delivered' }, allowed: [] },
    { name: 'cleared', task: { state: 'cleared' }, allowed: [] },
    { name: 'denied', task: { state: 'denied' }, allowed: [] },
  ];
  for (const row of rows) {
    for (const action of ['retry', 'cancel', 'edit'] as const) {
      const ok = row.allowed.includes(action);
      it(`${action} ${ok ? 'applies to' : 'is refused for'} a ${row.name} message`, function () {
        const why = refusal(action, task(row.task), NOW);
        if (ok) {
          expect(why).to.equal(undefined);
        } else {
          expect(why).to.be.a('string');
          if (row.why) expect(why).to.match(row.why);
        }
      });
    }
  }
});

describe('queue rules: what each action writes', function () {
  it('retry resets attempts and backoff, keeps the old reference aside, names the user', function () {
    const t = task({ state: 'failed', attempts: 3, next_attempt_at: LATER, gateway_ref: 'ATXid_old' });
    retryTask(t, 'alice', NOW);
    expect(t).to.include({ state: 'pending', attempts: 0, state_details: 'Retried by alice' });
    expect(t.next_attempt_at).to.equal(undefined);
    expect(t.gateway_ref).to.equal(undefined);
    expect(t.previous_gateway_refs).to.deep.equal(['ATXid_old']);
    const entry = { state: 'pending', state_details: 'Retried by alice', timestamp: NOW.toISOString(), user: 'alice' };
    expect(t.state_history?.at(-1)).to.deep.equal(entry);
  });

  it('a second retry with the same details still adds its history line', function () {
    const t = task({ state: 'pending', next_attempt_at: LATER });
    retryTask(t, 'alice', NOW);
    t.next_attempt_at = LATER;
    retryTask(t, 'alice', NOW);
    expect(t.state_history?.filter((h) => h.user === 'alice')).to.have.length(2);
  });

  it('cancel ends cleared and drops the backoff and any expired claim', function () {
    const t = task({ state: 'pending', next_attempt_at: LATER, lease: lease(EARLIER) });
    cancelTask(t, 'bob', NOW);
    expect(t).to.include({ state: 'cleared', state_details: 'Cancelled by bob' });
    expect(t.lease).to.equal(undefined);
    expect(t.next_attempt_at).to.equal(undefined);
    expect(t.state_history?.at(-1)?.user).to.equal('bob');
  });

  it('edit changes the text and history, not the state or its details', function () {
    const t = task({ state: 'scheduled', state_details: 'kept' });
    const msg = t.messages?.[0];
    if (!msg) throw new Error('fixture');
    msg.original_message = 'old long text';
    editText(t, msg, { message: 'new text' }, 'carol', NOW);
    expect(msg.message).to.equal('new text');
    expect(msg.original_message).to.equal(undefined);
    expect(t).to.include({ state: 'scheduled', state_details: 'kept' });
    const entry = { state: 'scheduled', state_details: 'Text edited by carol', timestamp: NOW.toISOString() };
    expect(t.state_history?.at(-1)).to.deep.equal({ ...entry, user: 'carol' });
  });
});

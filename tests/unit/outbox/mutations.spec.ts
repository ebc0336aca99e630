/**
 * The outbox's document changes, one table per mutation: a claim before the request, the record
 * of its result, and giving a claim back.
 */
import { expect } from 'chai';
import {
  claimMutation,
  recordMutation,
  releaseMutation,
  type ClaimResult,
  type RecordKind,
} from '../../../api/src/outbox/mutations.js';
import { dispatchPolicy } from '../../../api/src/outbox/policy.js';
import { SendError, type SendOutcome } from '../../../api/src/sms/types.js';
import type { MessageDoc, Task } from '../../../shared-libs/task-utils/types.js';

const NOW = new Date('2026-12-01T10:00:00Z');
const T = NOW.getTime();
const iso = (ms: number): string => new Date(ms).toISOString();
const policy = dispatchPolicy({ max_attempts: 3, backoff_base_seconds: 10, lease_seconds: 60 }, 48);

function doc(task: Partial<Task> = {}): MessageDoc {
  return {
    _id: 'd1',
    type: 'data_record',
    kujua_message: true,
    reported_date: T - 1000,
    tasks: [{ messages: [{ uuid: 'u1', to: '+254711000001', message: 'hi' }], state: 'pending', ...task } as Task],
  } as MessageDoc;
}
const task = (d: MessageDoc): Task => d.tasks?.[0] as Task;

describe('claimMutation', function () {
  interface Row {
    name: string;
    task: Partial<Task>;
    dead?: boolean;
    changed: boolean;
    result: ClaimResult['kind'];
    check?: (t: Task) => void;
  }
  const rows: Row[] = [
    {
      name: 'pending → claimed: attempt counted, lease set',
      task: {},
      changed: true,
      result: 'claimed',
      check: (t) => {
        expect(t.attempts).to.equal(1);
        expect(t.lease).to.deep.equal({ owner: 'me:1', until: iso(T + 60_000), attempt: 1 });
      },
    },
    { name: 'final state → not sendable', task: { state: 'delivered' }, changed: false, result: 'not-sendable' },
    {
      name: 'a live lease of another owner → held',
      task: { lease: { owner: 'x:1', until: iso(T + 5000), attempt: 1 } },
      changed: false,
      result: 'held',
    },
    {
      name: "a live lease of this instance's previous life → taken back at once, with the crash note",
      task: { attempts: 1, lease: { owner: 'me:0', until: iso(T + 5000), attempt: 1 } },
      dead: true,
      changed: true,
      result: 'claimed',
      check: (t) => {
        expect(t.attempts).to.equal(2);
        expect(JSON.stringify(t.state_history)).to.match(/possibly sent before a crash/);
      },
    },
    { name: 'backing off → not due', task: { next_attempt_at: iso(T + 1000) }, changed: false, result: 'not-due' },
    {
      name: 'older than message_ttl_hours → failed, expired',
      task: { due: iso(T - 49 * 3600_000) },
      changed: true,
      result: 'expired',
      check: (t) => expect(t.state).to.equal('failed'),
    },
  ];
  for (const row of rows) {
    it(row.name, function () {
      const d = doc(row.task);
      const out = { result: { kind: 'not-sendable' } as ClaimResult };
      const changed = claimMutation('u1', 'me:1', policy, NOW, out, () => row.dead === true)(d);
      expect(changed).to.equal(row.changed);
      expect(out.result.kind).to.equal(row.result);
      row.check?.(task(d));
    });
  }
});

describe('recordMutation', function () {
  const claimed = (attempts = 1): Partial<Task> => ({
    attempts,
    lease: { owner: 'me:1', until: iso(T + 60_000), attempt: attempts },
  });
  interface Row {
    name: string;
    task: Partial<Task>;
    outcome: SendOutcome;
    kind: RecordKind;
    check?: (t: Task) => void;
  }
  const rows: Row[] = [
    {
      name: 'accepted → state, ref, cost and parts kept, lease cleared',
      task: claimed(),
      outcome: { id: 'u1', ok: true, state: 'sent', gatewayRef: 'ATXid_1', cost: 'KES 0.8000', parts: 1 },
      kind: 'accepted',
      check: (t) => {
        expect([t.state, t.gateway_ref, t.cost, t.message_parts, t.lease]).to.deep.equal([
          'sent',
          'ATXid_1',
          'KES 0.8000',
          1,
          undefined,
        ]);
      },
    },
    {
      name: 'final error → its state (denied), no retry',
      task: claimed(),
      outcome: { id: 'u1', ok: false, error: new SendError('final', '406', 'UserInBlacklist', 'denied') },
      kind: 'failed',
      check: (t) => expect([t.state, t.next_attempt_at]).to.deep.equal(['denied', undefined]),
    },
    {
      name: 'account error → the attempt does not count; waits for the channel',
      task: claimed(),
      outcome: { id: 'u1', ok: false, error: new SendError('account', '405', 'InsufficientBalance') },
      kind: 'paused',
      check: (t) => expect([t.attempts, t.state]).to.deep.equal([0, 'pending']),
    },
    {
      name: 'retryable error → backoff with a history entry',
      task: claimed(),
      outcome: { id: 'u1', ok: false, error: new SendError('retryable', '500', 'InternalServerError') },
      kind: 'retry',
      check: (t) => {
        expect(Date.parse(t.next_attempt_at as string)).to.be.within(T + 5000, T + 10_000);
        expect(t.last_error?.code).to.equal('500');
      },
    },
    {
      name: 'retryable error at max_attempts → failed, saying so',
      task: claimed(3),
      outcome: { id: 'u1', ok: false, error: new SendError('retryable', '500', 'InternalServerError') },
      kind: 'gave-up',
      check: (t) => expect(t.state_history?.at(-1)?.state_details).to.match(/gave up after 3 attempts/),
    },
    {
      name: 'a delivery report got there first → its state is kept (stale)',
      task: { ...claimed(), state: 'delivered' },
      outcome: { id: 'u1', ok: true, state: 'sent', gatewayRef: 'ATXid_2' },
      kind: 'stale',
      check: (t) => expect([t.state, t.gateway_ref]).to.deep.equal(['delivered', 'ATXid_2']),
    },
  ];
  for (const row of rows) {
    it(row.name, function () {
      const d = doc(row.task);
      const out: { kind: RecordKind; nextAt?: number } = { kind: 'stale' };
      recordMutation('u1', 'me:1', task(d).attempts ?? 1, row.outcome, policy, NOW, () => 0.5, out)(d);
      expect(out.kind).to.equal(row.kind);
      row.check?.(task(d));
    });
  }
});

describe('releaseMutation', function () {
  it("gives back this owner's claim without counting the attempt", function () {
    const d = doc({ attempts: 1, lease: { owner: 'me:1', until: iso(T + 60_000), attempt: 1 } });
    expect(releaseMutation('u1', 'me:1', 1, T + 5000)(d)).to.equal(true);
    expect([task(d).lease, task(d).attempts, task(d).next_attempt_at]).to.deep.equal([undefined, 0, iso(T + 5000)]);
  });
  it("leaves another owner's claim alone", function () {
    const d = doc({ attempts: 1, lease: { owner: 'other:1', until: iso(T + 60_000), attempt: 1 } });
    expect(releaseMutation('u1', 'me:1', 1, T + 5000)(d)).to.equal(false);
  });
});

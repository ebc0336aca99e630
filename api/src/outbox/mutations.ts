/**
 * The outbox's document changes, as pure mutations of one task: claim before sending, record
 * right after. Each runs inside DocUpdater, so a claim is a compare-and-swap on the doc's `_rev`:
 * of two instances claiming the same message, exactly one write wins.
 */
import { applyReportedState, findTask, isSendable, setTaskState } from '../../../shared-libs/task-utils/index.js';
import type { MessageDoc, Task } from '../../../shared-libs/task-utils/types.js';
import type { SendOutcome } from '../sms/types.js';
import { backoffMs, type DispatchPolicy } from './policy.js';

export type ClaimResult =
  | { kind: 'claimed'; attempt: number; to: string; content: string }
  | { kind: 'not-sendable' }
  | { kind: 'held'; until: number }
  | { kind: 'not-due'; at: number }
  | { kind: 'expired' };

export function taskAgeStart(task: Task, doc: MessageDoc): number {
  const due = task.due ?? task.timestamp;
  const t = typeof due === 'string' ? Date.parse(due) : Number.NaN;
  return Number.isFinite(t) ? t : doc.reported_date;
}

/** Whether a lease's holder is known to be gone (this instance's previous life), whatever its time. */
export type DeadLease = (lease: { owner: string }) => boolean;

export function claimMutation(
  uuid: string,
  owner: string,
  policy: DispatchPolicy,
  now: Date,
  out: { result: ClaimResult },
  deadLease: DeadLease = () => false,
) {
  return (doc: MessageDoc): boolean => {
    const task = findTask(doc, uuid);
    const msg = task?.messages?.find((m) => m.uuid === uuid);
    if (!task || !msg || !isSendable(task)) {
      out.result = { kind: 'not-sendable' };
      return false;
    }
    const t = now.getTime();
    if (task.lease && Date.parse(task.lease.until) > t && !deadLease(task.lease)) {
      out.result = { kind: 'held', until: Date.parse(task.lease.until) };
      return false;
    }
    if (task.next_attempt_at && Date.parse(task.next_attempt_at) > t) {
      out.result = { kind: 'not-due', at: Date.parse(task.next_attempt_at) };
      return false;
    }
    if (policy.ttlMs !== undefined && t - taskAgeStart(task, doc) > policy.ttlMs) {
      delete task.lease;
      setTaskState(
        task,
        'failed',
        `Expired: not sent within ${Math.round(policy.ttlMs / 3600000)} h (sms.message_ttl_hours)`,
        undefined,
        now,
      );
      out.result = { kind: 'expired' };
      return true;
    }
    if (task.lease) {
      // The last holder stopped (crash, kill -9) between claim and result. Claims are taken just
      // before the request (outbox/sender.ts), so the message may have left: say so in the
      // history before sending again.
      const details =
        `Attempt ${task.lease.attempt} was interrupted before its result was recorded ` +
        '(possibly sent before a crash); sending again';
      setTaskState(task, task.state ?? 'pending', details, undefined, now);
    }
    const attempt = (task.attempts ?? 0) + 1;
    task.attempts = attempt;
    task.lease = { owner, until: new Date(t + policy.leaseMs).toISOString(), attempt };
    out.result = { kind: 'claimed', attempt, to: msg.to, content: msg.message };
    return true;
  };
}

export type RecordKind = 'accepted' | 'failed' | 'retry' | 'paused' | 'gave-up' | 'stale';

/** Records one send outcome; clears the claim. `pausedUntil` is set for account-level refusals. */
export function recordMutation(
  uuid: string,
  owner: string,
  attempt: number,
  outcome: SendOutcome,
  policy: DispatchPolicy,
  now: Date,
  random: () => number,
  out: { kind: RecordKind; nextAt?: number },
  pausedUntil?: number,
) {
  return (doc: MessageDoc): boolean => {
    const task = findTask(doc, uuid);
    if (!task) return false;
    if (task.lease?.owner === owner && task.lease.attempt === attempt) delete task.lease;
    const t = now.getTime();
    if (outcome.ok) {
      const r = applyReportedState(
        task,
        { state: outcome.state, details: outcome.details, gatewayRef: outcome.gatewayRef },
        now,
      );
      // A delivery report may have got here first (it was parked, then applied): keep its state.
      if (outcome.gatewayRef && !task.gateway_ref) task.gateway_ref = outcome.gatewayRef;
      if (outcome.cost) task.cost = outcome.cost;
      if (outcome.parts !== undefined) task.message_parts = outcome.parts;
      delete task.next_attempt_at;
      out.kind = r === 'stale' ? 'stale' : 'accepted';
      return true;
    }
    const err = outcome.error;
    task.last_error = { code: err.code, message: err.message, at: now.toISOString() };
    if (!isSendable(task)) {
      out.kind = 'stale';
      return true;
    }
    if (err.kind === 'final') {
      delete task.next_attempt_at;
      setTaskState(task, err.state, err.message, undefined, now);
      out.kind = 'failed';
      return true;
    }
    if (err.kind === 'account') {
      // Not the message's fault: the attempt does not count against it.
      task.attempts = Math.max(0, (task.attempts ?? 1) - 1);
      const at = pausedUntil ?? t + policy.pauseMs;
      task.next_attempt_at = new Date(at).toISOString();
      out.kind = 'paused';
      out.nextAt = at;
      return true;
    }
    const attempts = task.attempts ?? attempt;
    if (attempts >= policy.maxAttempts) {
      delete task.next_attempt_at;
      setTaskState(task, 'failed', `${err.message} (gave up after ${attempts} attempts)`, undefined, now);
      out.kind = 'gave-up';
      return true;
    }
    const at = t + backoffMs(attempts, policy, random);
    task.next_attempt_at = new Date(at).toISOString();
    setTaskState(
      task,
      task.state ?? 'pending',
      `Attempt ${attempts} failed (${err.message}); next attempt after ${task.next_attempt_at}`,
      undefined,
      now,
    );
    out.kind = 'retry';
    out.nextAt = at;
    return true;
  };
}

/** Gives a claim back without an attempt (channel paused before the request went out). */
export function releaseMutation(uuid: string, owner: string, attempt: number, until: number) {
  return (doc: MessageDoc): boolean => {
    const task = findTask(doc, uuid);
    if (!task || task.lease?.owner !== owner || task.lease.attempt !== attempt) return false;
    delete task.lease;
    task.attempts = Math.max(0, (task.attempts ?? 1) - 1);
    task.next_attempt_at = new Date(until).toISOString();
    return true;
  };
}

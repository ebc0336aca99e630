import { expect } from 'chai';
import {
  applyReportedState,
  findTask,
  isFinalState,
  isSendable,
  setTaskState,
  stateRank,
  type MessageDoc,
  type MessageState,
  type Task,
} from '../../../shared-libs/task-utils/index.js';

const NOW = new Date('2026-01-02T03:04:05.000Z');
const TS = NOW.toISOString();
// CHT's tests use free-form 'oldState'/'newState'; our state is typed, so real states stand in.
const OLD: MessageState = 'pending';
const NEW: MessageState = 'sent';

function withHistory(): Task {
  return {
    state: OLD,
    state_details: 'oldDetails',
    timestamp: '111',
    state_history: [{ state: OLD, state_details: 'oldDetails', timestamp: '111' }],
  };
}

describe('shared-libs/task-utils', () => {
  // Rows ported from https://github.com/medic/cht-core/blob/master/shared-libs/task-utils/test/set-task-state.js.
  describe('setTaskState (cht-core shared-libs/task-utils/test/set-task-state.js)', () => {
    const rows: Array<{
      name: string;
      task: () => Task;
      args: [MessageState, string?, string?];
      result: boolean;
      expected: Partial<Task>;
    }> = [
      {
        name: '68: adds state history',
        task: () => ({}),
        args: [NEW, 'details'],
        result: true,
        expected: {
          state: NEW,
          state_details: 'details',
          state_history: [{ state: NEW, state_details: 'details', timestamp: TS }],
        },
      },
      {
        name: '69: changes task state, keeps old history',
        task: withHistory,
        args: [NEW, 'details'],
        result: true,
        expected: {
          state: NEW,
          state_details: 'details',
          timestamp: '111',
          state_history: [
            { state: OLD, state_details: 'oldDetails', timestamp: '111' },
            { state: NEW, state_details: 'details', timestamp: TS },
          ],
        },
      },
      {
        name: '70a: same state, new details adds history',
        task: withHistory,
        args: [OLD, 'details'],
        result: true,
        expected: {
          state: OLD,
          state_details: 'details',
          state_history: [
            { state: OLD, state_details: 'oldDetails', timestamp: '111' },
            { state: OLD, state_details: 'details', timestamp: TS },
          ],
        },
      },
      {
        name: '70b: new state, same details adds history',
        task: withHistory,
        args: [NEW, 'oldDetails'],
        result: true,
        expected: {
          state: NEW,
          state_details: 'oldDetails',
          state_history: [
            { state: OLD, state_details: 'oldDetails', timestamp: '111' },
            { state: NEW, state_details: 'oldDetails', timestamp: TS },
          ],
        },
      },
      {
        name: '71a: same state and same details is a no-op',
        task: withHistory,
        args: [OLD, 'oldDetails'],
        result: false,
        expected: withHistory(),
      },
      {
        name: '71b: same state and no details is a no-op',
        task: withHistory,
        args: [OLD],
        result: false,
        expected: withHistory(),
      },
      {
        name: '72: same state/details but no history adds history',
        task: () => ({ state: OLD, state_details: 'oldDetails', timestamp: '111' }),
        args: [OLD, 'oldDetails'],
        result: true,
        expected: {
          state: OLD,
          state_details: 'oldDetails',
          state_history: [{ state: OLD, state_details: 'oldDetails', timestamp: TS }],
        },
      },
      {
        name: '73: state, details and gateway_ref all equal is a no-op',
        task: () => ({ ...withHistory(), gateway_ref: 'abc' }),
        args: [OLD, 'oldDetails', 'abc'],
        result: false,
        expected: { ...withHistory(), gateway_ref: 'abc' },
      },
      {
        name: '73b: different gateway_ref is a change',
        task: () => ({ ...withHistory(), gateway_ref: 'abc' }),
        args: [OLD, 'oldDetails', 'def'],
        result: true,
        expected: { gateway_ref: 'def', state: OLD },
      },
      {
        name: '74: gatewayRef on a fresh task is stored, not in history',
        task: () => ({}),
        args: [NEW, 'details', 'abc'],
        result: true,
        expected: {
          state: NEW,
          state_details: 'details',
          gateway_ref: 'abc',
          state_history: [{ state: NEW, state_details: 'details', timestamp: TS }],
        },
      },
      {
        name: 'deviation: no gatewayRef keeps the stored gateway_ref (CHT wipes it)',
        task: () => ({ ...withHistory(), gateway_ref: 'ATXid_1' }),
        args: [NEW],
        result: true,
        expected: {
          state: NEW,
          gateway_ref: 'ATXid_1',
          state_history: [withHistory().state_history![0]!, { state: NEW, timestamp: TS }],
        },
      },
    ];

    for (const row of rows) {
      it(row.name, () => {
        const task = row.task();
        const [state, details, ref] = row.args;
        expect(setTaskState(task, state, details, ref, NOW)).to.equal(row.result);
        for (const [key, value] of Object.entries(row.expected)) {
          expect(task[key], key).to.deep.equal(value);
        }
      });
    }

    it('omits state_details from history and task when undefined', () => {
      const task: Task = { state: OLD, state_details: 'x', state_history: [] };
      setTaskState(task, NEW, undefined, undefined, NOW);
      expect(task.state_history).to.deep.equal([{ state: NEW, timestamp: TS }]);
      expect(task).to.not.have.property('state_details');
    });

    it('object details never compare equal (CHT uses ===)', () => {
      const task: Task = {};
      expect(setTaskState(task, 'unrecognised', { gateway_status: 'X' }, undefined, NOW)).to.equal(true);
      expect(setTaskState(task, 'unrecognised', { gateway_status: 'X' }, undefined, NOW)).to.equal(true);
      expect(task.state_history).to.have.length(2);
    });

    it('defaults the timestamp to now', () => {
      const task: Task = {};
      setTaskState(task, NEW);
      expect(Date.parse(task.state_history![0]!.timestamp)).to.be.closeTo(Date.now(), 5000);
    });
  });

  describe('stateRank / isFinalState', () => {
    const path: MessageState[] = [
      'scheduled',
      'pending',
      'forwarded-to-gateway',
      'received-by-gateway',
      'forwarded-by-gateway',
      'sent',
      'delivered',
    ];
    path.forEach((state, rank) => {
      it(`${state} ranks ${rank}`, () => expect(stateRank(state)).to.equal(rank));
    });
    for (const state of [
      'failed',
      'denied',
      'cleared',
      'muted',
      'duplicate',
      'unrecognised',
      'clear',
      'received',
    ] as const) {
      it(`${state} has no rank`, () => expect(stateRank(state)).to.equal(undefined));
    }
    const finals: Array<[MessageState | undefined, boolean]> = [
      ['failed', true],
      ['delivered', true],
      ['denied', true],
      ['cleared', true],
      ['muted', true],
      ['duplicate', true],
      ['sent', false],
      ['pending', false],
      ['unrecognised', false],
      ['scheduled', false],
      [undefined, false],
    ];
    for (const [state, final] of finals) {
      it(`${String(state)} final: ${final}`, () => expect(isFinalState(state)).to.equal(final));
    }
  });

  describe('applyReportedState lattice', () => {
    const STATES: MessageState[] = [
      'scheduled',
      'pending',
      'forwarded-to-gateway',
      'received-by-gateway',
      'forwarded-by-gateway',
      'sent',
      'delivered',
      'failed',
      'denied',
      'cleared',
      'muted',
      'duplicate',
      'unrecognised',
    ];
    // Rows: current state; columns: reported state, in STATES order.
    // A = applied, D = duplicate, S = stale.
    const MATRIX: Record<string, string> = {
      scheduled: /*            */ 'D A A A A A A A A A A A A',
      pending: /*              */ 'S D A A A A A A A A A A A',
      'forwarded-to-gateway': /**/ 'S S D A A A A A A A A A A',
      'received-by-gateway': /* */ 'S S S D A A A A A A A A A',
      'forwarded-by-gateway': /**/ 'S S S S D A A A A A A A A',
      sent: /*                 */ 'S S S S S D A A A A A A A',
      delivered: /*            */ 'S S S S S S D S S S S S S',
      failed: /*               */ 'S S S S S S S D S S S S S',
      denied: /*               */ 'S S S S S S S S D S S S S',
      cleared: /*              */ 'S S S S S S S S S D S S S',
      muted: /*                */ 'S S S S S S S S S S D S S',
      duplicate: /*            */ 'S S S S S S S S S S S D S',
      unrecognised: /*         */ 'A A A A A A A A A A A A D',
    };
    const OUTCOME = { A: 'applied', D: 'duplicate', S: 'stale' } as const;

    for (const current of STATES) {
      const cells = (MATRIX[current] ?? '').split(' ') as Array<keyof typeof OUTCOME>;
      STATES.forEach((next, i) => {
        const outcome = OUTCOME[cells[i]!];
        it(`${current} + ${next} → ${outcome}`, () => {
          const task: Task = { state: current, state_history: [{ state: current, timestamp: '111' }] };
          expect(applyReportedState(task, { state: next }, NOW)).to.equal(outcome);
          expect(task.state).to.equal(outcome === 'applied' ? next : current);
          expect(task.state_history).to.have.length(outcome === 'applied' ? 2 : 1);
          expect(task).to.not.have.property('delivery_reports');
        });
      });
    }

    it('a task with no state accepts any report', () => {
      const task: Task = {};
      expect(applyReportedState(task, { state: 'delivered' }, NOW)).to.equal('applied');
      expect(task.state).to.equal('delivered');
    });

    it('late Sent after Success stays delivered and is recorded as not applied', () => {
      const task: Task = {
        state: 'sent',
        gateway_ref: 'ATXid_1',
        state_history: [{ state: 'sent', timestamp: '111' }],
      };
      expect(applyReportedState(task, { state: 'delivered', status: 'Success' }, NOW)).to.equal('applied');
      expect(applyReportedState(task, { state: 'forwarded-by-gateway', status: 'Sent' }, NOW)).to.equal('stale');
      expect(task.state).to.equal('delivered');
      expect(task.gateway_ref).to.equal('ATXid_1');
      expect(task.state_history!.map((h) => h.state)).to.deep.equal(['sent', 'delivered']);
      expect(task.delivery_reports).to.deep.equal([
        { status: 'Success', state: 'delivered', timestamp: TS, applied: true },
        { status: 'Sent', state: 'forwarded-by-gateway', timestamp: TS, applied: false },
      ]);
    });

    it('a replayed report is a duplicate and is not recorded twice', () => {
      const task: Task = { state: 'sent', state_history: [{ state: 'sent', timestamp: '111' }] };
      expect(applyReportedState(task, { state: 'delivered', status: 'Success' }, NOW)).to.equal('applied');
      expect(applyReportedState(task, { state: 'delivered', status: 'Success' }, NOW)).to.equal('duplicate');
      expect(task.delivery_reports).to.have.length(1);
      expect(task.state_history).to.have.length(2);
    });

    it('a replayed stale report is recorded once', () => {
      const task: Task = { state: 'delivered', state_history: [{ state: 'delivered', timestamp: '111' }] };
      applyReportedState(task, { state: 'sent', status: 'Sent' }, NOW);
      applyReportedState(task, { state: 'sent', status: 'Sent' }, NOW);
      expect(task.delivery_reports).to.have.length(1);
    });

    it('failed from sent keeps the failure reason', () => {
      const task: Task = { state: 'sent', state_history: [{ state: 'sent', timestamp: '111' }] };
      const report = { state: 'failed' as const, details: 'DeliveryFailure', status: 'Failed' };
      expect(applyReportedState(task, report, NOW)).to.equal('applied');
      expect(task.state).to.equal('failed');
      expect(task.state_details).to.equal('DeliveryFailure');
      expect(task.state_history![1]).to.deep.equal({
        state: 'failed',
        state_details: 'DeliveryFailure',
        timestamp: TS,
      });
      expect(task.delivery_reports).to.deep.equal([
        { status: 'Failed', state: 'failed', details: 'DeliveryFailure', timestamp: TS, applied: true },
      ]);
    });

    it('a final state with other details is stale', () => {
      const task: Task = {
        state: 'failed',
        state_details: 'A',
        state_history: [{ state: 'failed', timestamp: '111' }],
      };
      expect(applyReportedState(task, { state: 'failed', details: 'B' }, NOW)).to.equal('stale');
      expect(task.state_details).to.equal('A');
    });

    it('same non-final state with new details is applied', () => {
      const task: Task = { state: 'sent', state_details: 'A', state_history: [{ state: 'sent', timestamp: '111' }] };
      expect(applyReportedState(task, { state: 'sent', details: 'B' }, NOW)).to.equal('applied');
      expect(task.state_history).to.have.length(2);
    });

    it('stores the gatewayRef of an applied report and keeps it when a later report has none', () => {
      const task: Task = { state: 'pending', state_history: [{ state: 'pending', timestamp: '111' }] };
      applyReportedState(task, { state: 'sent', gatewayRef: 'ATXid_9' }, NOW);
      applyReportedState(task, { state: 'delivered' }, NOW);
      expect(task.gateway_ref).to.equal('ATXid_9');
    });

    describe('unrecognised', () => {
      const unknown = (status: string) => ({
        state: 'unrecognised' as const,
        details: { gateway_status: status },
        status,
      });
      const rows: Array<{
        name: string;
        start: Task;
        report: ReturnType<typeof unknown> | { state: MessageState };
        outcome: string;
        state: MessageState;
      }> = [
        {
          name: 'over pending',
          start: { state: 'pending' },
          report: unknown('WAT'),
          outcome: 'applied',
          state: 'unrecognised',
        },
        {
          name: 'over sent',
          start: { state: 'sent' },
          report: unknown('WAT'),
          outcome: 'applied',
          state: 'unrecognised',
        },
        {
          name: 'not over delivered',
          start: { state: 'delivered' },
          report: unknown('WAT'),
          outcome: 'stale',
          state: 'delivered',
        },
        {
          name: 'not over failed',
          start: { state: 'failed' },
          report: unknown('WAT'),
          outcome: 'stale',
          state: 'failed',
        },
        {
          name: 'same details (deep equal) is a duplicate',
          start: { state: 'unrecognised', state_details: { gateway_status: 'WAT' } },
          report: unknown('WAT'),
          outcome: 'duplicate',
          state: 'unrecognised',
        },
        {
          name: 'different details is applied',
          start: { state: 'unrecognised', state_details: { gateway_status: 'WAT' } },
          report: unknown('HUH'),
          outcome: 'applied',
          state: 'unrecognised',
        },
        {
          name: 'overwritten by a known path state',
          start: { state: 'unrecognised' },
          report: { state: 'forwarded-by-gateway' },
          outcome: 'applied',
          state: 'forwarded-by-gateway',
        },
        {
          name: 'overwritten by a final state',
          start: { state: 'unrecognised' },
          report: { state: 'failed' },
          outcome: 'applied',
          state: 'failed',
        },
      ];
      for (const row of rows) {
        it(row.name, () => {
          const task: Task = { ...row.start, state_history: [{ state: row.start.state!, timestamp: '111' }] };
          expect(applyReportedState(task, row.report, NOW)).to.equal(row.outcome);
          expect(task.state).to.equal(row.state);
        });
      }

      it('records object details as JSON in delivery_reports', () => {
        const task: Task = { state: 'pending', state_history: [] };
        applyReportedState(task, unknown('WAT'), NOW);
        expect(task.delivery_reports).to.deep.equal([
          { status: 'WAT', state: 'unrecognised', details: '{"gateway_status":"WAT"}', timestamp: TS, applied: true },
        ]);
        expect(task.state_details).to.deep.equal({ gateway_status: 'WAT' });
      });
    });
  });

  describe('findTask', () => {
    const msg = (uuid: string) => ({ uuid, to: '+254712345678', message: 'hi' });
    const doc: Pick<MessageDoc, 'tasks' | 'scheduled_tasks'> = {
      tasks: [{ messages: [msg('a')] }, { messages: [msg('b'), msg('c')] }],
      scheduled_tasks: [{ messages: [msg('d')] }, { messages: [msg('b')], state: 'scheduled' }],
    };
    const rows: Array<[string, string, Task | undefined]> = [
      ['first task', 'a', doc.tasks![0]],
      ['second message of a task', 'c', doc.tasks![1]],
      ['scheduled task', 'd', doc.scheduled_tasks![0]],
      ['tasks win over scheduled_tasks (CHT order)', 'b', doc.tasks![1]],
      ['unknown uuid', 'zzz', undefined],
    ];
    for (const [name, uuid, expected] of rows) {
      it(name, () => expect(findTask(doc, uuid)).to.equal(expected));
    }

    it('copes with missing arrays and tasks without messages', () => {
      expect(findTask({}, 'a')).to.equal(undefined);
      expect(findTask({ tasks: [{}], scheduled_tasks: undefined }, 'a')).to.equal(undefined);
    });
  });

  describe('isSendable', () => {
    const good = { uuid: 'u', to: '+254712345678', message: 'hi' };
    const rows: Array<[string, Task, boolean]> = [
      ['pending with a full message', { state: 'pending', messages: [good] }, true],
      ['forwarded-to-gateway with a full message', { state: 'forwarded-to-gateway', messages: [good] }, true],
      ['scheduled', { state: 'scheduled', messages: [good] }, false],
      ['sent', { state: 'sent', messages: [good] }, false],
      ['no messages', { state: 'pending' }, false],
      ['message without text', { state: 'pending', messages: [{ ...good, message: '' }] }, false],
      ['message without to', { state: 'pending', messages: [{ ...good, to: '' }] }, false],
      ['message without uuid', { state: 'pending', messages: [{ ...good, uuid: '' }] }, false],
      [
        'error message only',
        { state: 'pending', messages: [{ uuid: 'u', to: 'x', message: '', error: 'messages.errors.message.empty' }] },
        false,
      ],
    ];
    for (const [name, task, sendable] of rows) {
      it(name, () => expect(isSendable(task)).to.equal(sendable));
    }
  });
});

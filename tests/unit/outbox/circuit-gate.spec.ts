import { expect } from 'chai';
import pino from 'pino';
import { Circuit, type ChannelState } from '../../../api/src/outbox/circuit.js';
import { dispatchPolicy } from '../../../api/src/outbox/policy.js';
import type { ResumeDecision } from '../../../api/src/sms/types.js';

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('channel circuit breaker with a reopen gate', function () {
  const policy = dispatchPolicy({ channel_pause_seconds: 60, channel_pause_max_seconds: 900 });
  let now: number;
  let circuit: Circuit;
  let answers: Array<ResumeDecision | Error>;
  let asked: ChannelState[];
  beforeEach(function () {
    now = Date.parse('2026-11-25T10:00:00Z');
    answers = [];
    asked = [];
    const gate = async (s: ChannelState): Promise<ResumeDecision> => {
      asked.push(s);
      const a = answers.shift() ?? { resume: true };
      if (a instanceof Error) throw a;
      return a;
    };
    circuit = new Circuit(
      () => new Date(now),
      pino({ level: 'silent' }),
      () => undefined,
      gate,
    );
  });
  afterEach(function () {
    circuit.dispose();
  });

  it('is not asked while the pause runs', async function () {
    circuit.open('405', 'InsufficientBalance', policy);
    expect(circuit.allow()).to.equal('blocked');
    await settle();
    expect(asked).to.have.length(0);
  });

  const rows: Array<{ name: string; answer: ResumeDecision | Error; state: ChannelState['state']; held?: string }> = [
    { name: 'yes → half-open: one message probes', answer: { resume: true }, state: 'half-open' },
    {
      name: 'no → stays open for another pause, saying why',
      answer: { resume: false, reason: 'balance KES 2.0000 is low' },
      state: 'open',
      held: 'balance KES 2.0000 is low',
    },
    {
      name: 'the gate fails → half-open (the probe decides)',
      answer: new Error('balance API down'),
      state: 'half-open',
    },
  ];
  for (const row of rows) {
    it(`at the end of the pause it is asked once: ${row.name}`, async function () {
      circuit.open('405', 'InsufficientBalance', policy);
      now += 60_001;
      answers.push(row.answer);
      expect(circuit.allow()).to.equal('blocked');
      expect(circuit.allow()).to.equal('blocked');
      await settle();
      expect(asked).to.have.length(1);
      expect(asked[0]?.code).to.equal('405');
      const s = circuit.state();
      expect(s.state).to.equal(row.state);
      expect(s.held).to.equal(row.held);
      if (row.state === 'open') expect(Date.parse(s.until ?? '')).to.equal(now + 60_000);
      else expect(circuit.allow()).to.equal('probe');
    });
  }

  it('held, then yes at the next check: probes and closes; the hold reason is gone', async function () {
    circuit.open('405', 'InsufficientBalance', policy);
    now += 60_001;
    answers.push({ resume: false, reason: 'low' }, { resume: true });
    circuit.allow();
    await settle();
    expect(circuit.state().held).to.equal('low');
    now += 60_001;
    circuit.allow();
    await settle();
    expect(circuit.allow()).to.equal('probe');
    expect(circuit.state().held).to.equal(undefined);
    circuit.success();
    expect(circuit.state()).to.deep.equal({ state: 'closed', pauses: 0 });
  });
});

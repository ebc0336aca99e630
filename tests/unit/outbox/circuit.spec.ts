import { expect } from 'chai';
import pino from 'pino';
import { Circuit } from '../../../api/src/outbox/circuit.js';
import { dispatchPolicy } from '../../../api/src/outbox/policy.js';

describe('channel circuit breaker', function () {
  const policy = dispatchPolicy({ channel_pause_seconds: 60, channel_pause_max_seconds: 900 });
  let now: number;
  let circuit: Circuit;
  beforeEach(function () {
    now = Date.parse('2026-11-25T10:00:00Z');
    circuit = new Circuit(
      () => new Date(now),
      pino({ level: 'silent' }),
      () => undefined,
    );
  });
  afterEach(function () {
    circuit.dispose();
  });

  it('many refusals from requests already in flight make one pause, not one doubling each', function () {
    const first = circuit.open('405', 'InsufficientBalance', policy);
    for (let i = 0; i < 31; i++) expect(circuit.open('405', 'InsufficientBalance', policy)).to.equal(first);
    expect(first - now).to.equal(60_000);
    expect(circuit.state().pauses).to.equal(1);
  });

  it('a success from a request that started before the pause does not close it; the probe does', function () {
    circuit.open('invalid_api_key', 'bad key', policy);
    circuit.success();
    expect(circuit.state().state).to.equal('open');
    expect(circuit.allow()).to.equal('blocked');
    now += 60_001;
    expect(circuit.allow()).to.equal('probe');
    circuit.success();
    expect(circuit.state().state).to.equal('closed');
    expect(circuit.allow()).to.equal('go');
  });

  it('a refused probe reopens for twice as long, up to the cap', function () {
    const pauses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const until = circuit.open('405', 'InsufficientBalance', policy);
      pauses.push(until - now);
      now = until + 1;
      expect(circuit.allow()).to.equal('probe');
    }
    expect(pauses).to.deep.equal([60_000, 120_000, 240_000, 480_000, 900_000, 900_000]);
  });
});

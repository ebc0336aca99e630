/**
 * FailureThrottle: per address, `limit` failed key checks within the window → 429 with
 * Retry-After until the oldest failure leaves the window; addresses are independent;
 * successes reset nothing; memory stays bounded.
 */
import { expect } from 'chai';
import { FailureThrottle, ThrottledError } from '../../../api/src/http/webhook-guard.js';

function throttle(opts: { limit?: number; windowMs?: number; maxTracked?: number } = {}) {
  let t = 1_000_000;
  const failures: string[] = [];
  let throttled = 0;
  const guard = new FailureThrottle({
    limit: 3,
    windowMs: 60_000,
    ...opts,
    now: () => t,
    onFailure: (r) => failures.push(r),
    onThrottled: () => throttled++,
  });
  return { guard, failures, throttled: () => throttled, advance: (ms: number) => (t += ms) };
}

const blocked = (guard: FailureThrottle, ip: string): ThrottledError | undefined => {
  try {
    guard.check(ip);
    return undefined;
  } catch (err) {
    if (err instanceof ThrottledError) return err;
    throw err;
  }
};

describe('http/webhook-guard FailureThrottle', function () {
  it('defaults: 10 failures within 60 s', function () {
    const g = new FailureThrottle();
    expect([g.limit, g.windowMs]).to.deep.equal([10, 60_000]);
  });

  it('allows up to `limit` failures, then answers 429 with a clear message and Retry-After', function () {
    const { guard, failures, throttled, advance } = throttle();
    for (let i = 0; i < 3; i++) {
      expect(blocked(guard, '10.0.0.1')).to.equal(undefined);
      guard.failed('10.0.0.1', '/hook');
      advance(10_000);
    }
    const err = blocked(guard, '10.0.0.1');
    expect(err?.status).to.equal(429);
    expect(err?.message).to.match(/Too many failed key checks.*try again in 30 s/);
    expect(err?.retryAfterSeconds).to.equal(30); // first failure at 0 s leaves the window at 60 s; now is 30 s
    expect(failures).to.deep.equal(['/hook', '/hook', '/hook']);
    expect(throttled()).to.equal(1);
  });

  it('lets the address through again once its oldest failure leaves the window (sliding)', function () {
    const { guard, advance } = throttle();
    guard.failed('a', 'r');
    advance(20_000);
    guard.failed('a', 'r');
    guard.failed('a', 'r');
    expect(blocked(guard, 'a')).to.be.instanceOf(ThrottledError);
    advance(40_000); // the first failure is now exactly 60 s old
    expect(blocked(guard, 'a')).to.equal(undefined);
    guard.failed('a', 'r');
    expect(blocked(guard, 'a')?.retryAfterSeconds).to.equal(20);
  });

  it('addresses are independent: one address blocked, another still allowed', function () {
    const { guard } = throttle();
    for (let i = 0; i < 3; i++) guard.failed('bad', 'r');
    expect(blocked(guard, 'bad')).to.be.instanceOf(ThrottledError);
    expect(blocked(guard, 'good')).to.equal(undefined);
  });

  it('successes reset nothing (there is no success hook to call): failures still count', function () {
    const { guard } = throttle();
    guard.failed('a', 'r');
    guard.failed('a', 'r');
    guard.check('a'); // a successful request in between
    guard.failed('a', 'r');
    expect(blocked(guard, 'a')).to.be.instanceOf(ThrottledError);
  });

  it('bounds memory: expired entries are dropped and at most maxTracked addresses are kept', function () {
    const { guard, advance } = throttle({ maxTracked: 100 });
    for (let i = 0; i < 1000; i++) guard.failed(`10.0.${i >> 8}.${i & 255}`, 'r');
    expect(guard.tracked).to.equal(100);
    advance(61_000);
    guard.check('10.0.3.231');
    expect(guard.tracked).to.equal(99);
  });
});

/**
 * The administrator gate around any authenticator: per-address failure throttle checked before
 * the authenticator runs, a short cache of successes, one check per distinct header in flight.
 */
import { expect } from 'chai';
import { throttledAdminAuth } from '../../../api/src/http/admin-gate.js';
import { basicHeader, unauthorized, type AdminAuthenticator } from '../../../api/src/http/auth.js';
import { AppError } from '../../../api/src/http/errors.js';
import { FailureThrottle, ThrottledError } from '../../../api/src/http/failure-throttle.js';

const guess = (i: number): string => basicHeader('admin', `guess-${i}`);

function rig(opts: { cacheMs?: number; delayMs?: number } = {}) {
  let t = 1_000_000;
  const calls: Array<string | undefined> = [];
  const good = basicHeader('admin', 'right');
  const inner: AdminAuthenticator = {
    async authenticate(header) {
      calls.push(header);
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      if (header === basicHeader('user', 'pw')) throw new AppError(403, 'not admin');
      if (header !== good) throw unauthorized();
      return { name: 'admin' };
    },
  };
  const throttle = new FailureThrottle({ limit: 10, windowMs: 60_000, now: () => t, noun: 'sign-in attempts' });
  const gate = throttledAdminAuth(inner, { throttle, cacheMs: opts.cacheMs ?? 5000, now: () => t });
  const status = (p: Promise<unknown>): Promise<number> =>
    p.then(
      () => 200,
      (err: unknown) => (err instanceof AppError ? err.status : 500),
    );
  return { gate, calls, good, status, advance: (ms: number) => (t += ms) };
}

describe('http/admin-gate throttledAdminAuth', function () {
  it('10 failures from one address → 429 without asking the authenticator; others unaffected', async function () {
    const { gate, calls, good, status } = rig();
    for (let i = 0; i < 10; i++) expect(await status(gate.authenticate(guess(i), { ip: 'a' }))).to.equal(401);
    expect(calls).to.have.length(10);
    const err = await gate.authenticate(good, { ip: 'a' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ThrottledError);
    expect((err as ThrottledError).retryAfterSeconds).to.equal(60);
    expect((err as ThrottledError).message).to.match(/sign-in attempts/);
    expect(calls).to.have.length(10);
    expect(await status(gate.authenticate(good, { ip: 'b' }))).to.equal(200);
  });

  it('the window slides: an address may try again once its oldest failure is older than 60 s', async function () {
    const { gate, status, good, advance } = rig();
    for (let i = 0; i < 10; i++) expect(await status(gate.authenticate(guess(i), { ip: 'a' }))).to.equal(401);
    advance(59_000);
    expect(await status(gate.authenticate(good, { ip: 'a' }))).to.equal(429);
    advance(1_001);
    expect(await status(gate.authenticate(good, { ip: 'a' }))).to.equal(200);
  });

  it('403 (valid user, not an administrator) and missing credentials are not counted', async function () {
    const { gate, status } = rig();
    for (let i = 0; i < 12; i++) {
      expect(await status(gate.authenticate(basicHeader('user', 'pw'), { ip: 'a' }))).to.equal(403);
      expect(await status(gate.authenticate(undefined, { ip: 'a' }))).to.equal(401);
    }
  });

  it('caches a success for cacheMs, keyed by the exact header', async function () {
    const { gate, calls, good, advance } = rig({ cacheMs: 5000 });
    for (let i = 0; i < 5; i++) await gate.authenticate(good, { ip: 'a' });
    expect(calls).to.have.length(1);
    advance(5001);
    await gate.authenticate(good, { ip: 'a' });
    expect(calls).to.have.length(2);
  });

  it('failures are never cached as successes', async function () {
    const { gate, calls, status } = rig();
    const bad = basicHeader('admin', 'wrong');
    expect(await status(gate.authenticate(bad, { ip: 'a' }))).to.equal(401);
    expect(await status(gate.authenticate(bad, { ip: 'b' }))).to.equal(401);
    expect(calls).to.have.length(2);
  });

  it('parallel checks of one header share one real check', async function () {
    const { gate, calls, good } = rig({ delayMs: 20 });
    await Promise.all(Array.from({ length: 20 }, () => gate.authenticate(good, { ip: 'a' })));
    expect(calls).to.have.length(1);
  });

  it('parallel distinct guesses from one address stop at the limit', async function () {
    const { gate, calls, status } = rig({ delayMs: 20 });
    const tries = Array.from({ length: 25 }, (_, i) => status(gate.authenticate(guess(i), { ip: 'a' })));
    const statuses = await Promise.all(tries);
    expect(calls.length).to.equal(10);
    expect(statuses.filter((s) => s === 429)).to.have.length(15);
  });
});

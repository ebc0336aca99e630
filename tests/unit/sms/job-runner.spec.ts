/**
 * The job runner runs the selected service's jobs at start-up and on their interval, follows
 * settings changes, never overlaps two runs of one job, and answers on-demand runs.
 */
import { expect } from 'chai';
import pino from 'pino';
import { Agent } from 'undici';
import type { AppSettings } from '../../../api/src/settings/schema.js';
import { ServiceJobRunner } from '../../../api/src/sms/job-runner.js';
import { ServiceRegistry } from '../../../api/src/sms/registry.js';
import type { OutgoingService, SmsCore } from '../../../api/src/sms/types.js';

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function rig(initial: AppSettings) {
  let current = initial;
  const listeners = new Set<(s: AppSettings) => void>();
  const runs: string[] = [];
  let release: (() => void) | undefined;
  const service: OutgoingService<{ every: number }> = {
    id: 'jobby',
    routePrefix: 'jobby',
    mode: 'push',
    credentialKeys: [],
    parseSettings: (sms) => ({ every: Number((sms as { every?: number } | undefined)?.every ?? 0) }),
    routes: [],
    jobs: [
      {
        name: 'tick',
        intervalMs: (s) => s.every,
        run: async () => {
          runs.push('tick');
          return runs.length;
        },
      },
      {
        name: 'slow',
        intervalMs: () => 0,
        run: () => {
          runs.push('slow');
          return new Promise<string>((r) => (release = () => r('done')));
        },
      },
    ],
  };
  const registry = new ServiceRegistry([service as OutgoingService]);
  const runner = new ServiceJobRunner({
    registry,
    settings: {
      get: () => current,
      onChange: (fn) => {
        listeners.add(fn);
        return () => listeners.delete(fn);
      },
    },
    credentials: { get: async () => undefined },
    http: new Agent(),
    logger: pino({ level: 'silent' }),
    now: () => new Date(),
    core: () => ({}) as SmsCore,
    serviceEnv: () => ({}),
  });
  const set = (s: AppSettings): void => {
    current = s;
    for (const fn of listeners) fn(s);
  };
  return { runner, runs, set, service: service as OutgoingService, release: () => release?.() };
}

describe('ServiceJobRunner', function () {
  it('runs at start-up, then on its interval; 0 turns it off; another service stops it', async function () {
    const r = rig({ sms: { outgoing_service: 'jobby', every: 30 } as AppSettings['sms'] });
    r.runner.start();
    await wait(100);
    const n = r.runs.filter((x) => x === 'tick').length;
    expect(n).to.be.greaterThan(1);
    r.set({ sms: { outgoing_service: 'jobby', every: 0 } as AppSettings['sms'] });
    await wait(20);
    const stopped = r.runs.length;
    await wait(80);
    expect(r.runs.length).to.equal(stopped);
    r.set({ sms: { outgoing_service: 'jobby', every: 20 } as AppSettings['sms'] });
    await wait(60);
    expect(r.runs.length).to.be.greaterThan(stopped);
    r.set({ sms: { outgoing_service: 'other' } });
    await wait(20);
    const after = r.runs.length;
    await wait(60);
    expect(r.runs.length).to.equal(after);
    await r.runner.stop();
  });

  it('joins a run in progress instead of overlapping it, and returns its result', async function () {
    const r = rig({ sms: { outgoing_service: 'jobby' } as AppSettings['sms'] });
    const a = r.runner.runNow(r.service, 'slow');
    const b = r.runner.runNow(r.service, 'slow');
    await wait(10);
    expect(r.runs.filter((x) => x === 'slow')).to.have.length(1);
    r.release();
    expect(await a).to.equal('done');
    expect(await b).to.equal('done');
    await r.runner.runNow(r.service, 'nope').then(
      () => expect.fail('should reject'),
      (err: Error) => expect(err.message).to.include('no job "nope"'),
    );
  });
});

/**
 * The balance check against the AT simulator (a real HTTP server): the request on the wire, the
 * parsed balance, what is reported to the core, errors that name the problem without the key,
 * and the decision before a paused channel probes again.
 */
import { expect } from 'chai';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Agent } from 'undici';
import { startSimulator, type Simulator } from '../../../../shared-libs/at-simulator/index.js';
import { checkBalance, fetchBalance, mayResume } from '../../../../api/src/sms/services/africas-talking/balance.js';
import { africasTalking } from '../../../../api/src/sms/services/africas-talking/index.js';
import type { AtSettings } from '../../../../api/src/sms/services/africas-talking/settings.js';
import type { BalanceReport, JobContext, SmsCore } from '../../../../api/src/sms/types.js';

const API_KEY = 'balance-unit-key-51c0';

describe('africas-talking balance', function () {
  let sim: Simulator;
  const agent = new Agent();
  let logs = '';
  const logger = pino(
    { level: 'trace' },
    new Writable({
      write: (c: Buffer, _e, cb) => {
        logs += c.toString();
        cb();
      },
    }),
  );
  let reported: BalanceReport[];

  function ctx(settings: Partial<AtSettings> = {}, key: string | null = API_KEY): JobContext<AtSettings> {
    const core = { reportBalance: (b: BalanceReport) => reported.push(b) } as unknown as SmsCore;
    return {
      settings: { username: 'sandbox', ...settings },
      appSettings: {},
      core,
      credentials: { get: async () => key ?? undefined },
      http: agent,
      logger,
      now: () => new Date(),
      timeoutMs: 2000,
      env: { AT_API_URL: sim.url },
    };
  }

  before(async function () {
    sim = await startSimulator({ accounts: [{ username: 'sandbox', apiKey: API_KEY }], reports: { enabled: false } });
  });
  after(async function () {
    await sim.close();
    await agent.close();
  });
  beforeEach(function () {
    sim.reset();
    reported = [];
  });

  it('GET /version1/user?username= with apiKey and Accept; "KES 1785.50" → 1785.5 KES', async function () {
    sim.configure({ balance: 1785.5 });
    expect(await fetchBalance(ctx())).to.deep.equal({ amount: 1785.5, currency: 'KES' });
    const [req] = sim.fetches();
    expect(req?.path).to.equal('/version1/user');
    expect(req?.query).to.deep.equal({ username: 'sandbox' });
    expect(req?.headers.accept).to.equal('application/json');
    expect(req?.headers.apikey).to.equal('***');
  });

  const lows: Array<{ balance: number; threshold?: number; low: boolean }> = [
    { balance: 0, low: true },
    { balance: 0.5, low: false },
    { balance: 50, threshold: 50, low: true },
    { balance: 50.01, threshold: 50, low: false },
  ];
  for (const row of lows) {
    const name = `balance ${row.balance}, threshold ${row.threshold ?? 'unset (0)'}: ${row.low ? 'low' : 'not low'}`;
    it(`${name}, reported to the core`, async function () {
      sim.configure({ balance: row.balance });
      const report = await checkBalance(ctx(row.threshold === undefined ? {} : { lowBalanceThreshold: row.threshold }));
      expect(report.low).to.equal(row.low);
      expect(reported).to.deep.equal([report]);
    });
  }

  const failures: Array<{ name: string; setup: () => void; key?: null; error: RegExp }> = [
    { name: 'no API key stored', setup: () => undefined, key: null, error: /No API key configured/ },
    {
      name: 'HTTP 401 (wrong key)',
      setup: () => sim.configure({ fetchFailNext: { status: 401, count: 1 } }),
      error: /HTTP 401/,
    },
    { name: 'HTTP 500', setup: () => sim.configure({ fetchFailNext: { status: 500, count: 1 } }), error: /HTTP 500/ },
  ];
  for (const row of failures) {
    it(`fails clearly: ${row.name}; the key appears nowhere`, async function () {
      row.setup();
      logs = '';
      let error: unknown;
      try {
        await fetchBalance(ctx({}, row.key === null ? null : API_KEY));
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(Error);
      expect((error as Error).message).to.match(row.error);
      expect((error as Error).message).to.not.include(API_KEY);
      expect(logs).to.not.include(API_KEY);
    });
  }

  const resumes: Array<{ code: string; balance: number; threshold?: number; resume: boolean; checks: number }> = [
    { code: '405', balance: 0, resume: true, checks: 0 },
    { code: '405', balance: 10, threshold: 50, resume: false, checks: 1 },
    { code: 'InsufficientBalance', balance: 10, threshold: 50, resume: false, checks: 1 },
    { code: '405', balance: 60, threshold: 50, resume: true, checks: 1 },
    { code: 'invalid_api_key', balance: 0, threshold: 50, resume: true, checks: 0 },
    { code: '402', balance: 0, threshold: 50, resume: true, checks: 0 },
  ];
  for (const row of resumes) {
    const name = `paused by ${row.code}, balance ${row.balance} (threshold ${row.threshold ?? 'unset'})`;
    it(`${name} → ${row.resume ? 'probe' : 'stay paused'}`, async function () {
      sim.configure({ balance: row.balance });
      const settings = row.threshold === undefined ? {} : { lowBalanceThreshold: row.threshold };
      const decision = await mayResume({ code: row.code, reason: 'x' }, ctx(settings));
      expect(decision.resume).to.equal(row.resume);
      if (!row.resume)
        expect(decision.reason).to.match(
          /balance KES 10\.0000 is not above sms\.africas_talking\.low_balance_threshold \(50\)/,
        );
      expect(sim.fetches()).to.have.length(row.checks);
    });
  }

  const intervals: Array<[Record<string, unknown>, number]> = [
    [{}, 15 * 60_000],
    [{ balance_check_minutes: 5 }, 5 * 60_000],
    [{ balance_check_minutes: 0 }, 0],
  ];
  for (const [slice, ms] of intervals) {
    it(`the balance job runs every ${ms / 60_000} minutes with ${JSON.stringify(slice)}`, function () {
      const settings = africasTalking.parseSettings({ africas_talking: { username: 'u', ...slice } });
      const job = africasTalking.jobs?.find((j) => j.name === 'balance');
      expect(job?.intervalMs(settings, {})).to.equal(ms);
    });
  }
});

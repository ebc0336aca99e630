/**
 * The account balance: `GET /version1/user?username=` with the `apiKey` header answers
 * `{"UserData":{"balance":"KES 1785.50"}}` (https://developers.africastalking.com/docs/application).
 * Read every `sms.africas_talking.balance_check_minutes` (the `balance` job) and before a channel
 * paused by 405 InsufficientBalance probes again: while the balance is not above
 * `sms.africas_talking.low_balance_threshold`, a probe would only be refused, so it stays paused.
 */
import { request } from 'undici';
import { formatCost, parseAtCost } from '../../../../../shared-libs/message-utils/index.js';
import type {
  BalanceReport,
  ChannelPause,
  JobContext,
  ResumeDecision,
  ServiceContext,
  ServiceJob,
} from '../../types.js';
import { apiBaseUrl, OUTGOING_KEY } from './sender.js';
import { AT_ENV_API_URL, DEFAULT_BALANCE_CHECK_MINUTES, type AtSettings } from './settings.js';

/** Refusals that mean "no credit": the per-recipient 405 and the request-level message. */
const NO_CREDIT = new Set(['405', 'InsufficientBalance']);

export class BalanceError extends Error {
  override name = 'BalanceError';
}

/** Reads the balance; throws a BalanceError saying what went wrong (never the key). */
export async function fetchBalance(ctx: ServiceContext<AtSettings>): Promise<{ amount: number; currency: string }> {
  const apiKey = await ctx.credentials.get(OUTGOING_KEY);
  if (!apiKey) throw new BalanceError(`No API key configured: PUT /api/v1/credentials/${OUTGOING_KEY}`);
  const query = new URLSearchParams({ username: ctx.settings.username });
  const url = `${apiBaseUrl(ctx.settings, ctx.env[AT_ENV_API_URL])}/version1/user?${query}`;
  let status: number;
  let text: string;
  try {
    const res = await request(url, {
      method: 'GET',
      dispatcher: ctx.http,
      headers: { apiKey, accept: 'application/json' },
      signal: AbortSignal.timeout(ctx.timeoutMs),
      headersTimeout: ctx.timeoutMs,
      bodyTimeout: ctx.timeoutMs,
    });
    status = res.statusCode;
    text = await res.body.text();
  } catch (err) {
    throw new BalanceError(`Could not reach AT's balance API: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (status !== 200) throw new BalanceError(`AT's balance API answered HTTP ${status}: ${text.slice(0, 120).trim()}`);
  let raw: unknown;
  try {
    raw = (JSON.parse(text) as { UserData?: { balance?: unknown } } | null)?.UserData?.balance;
  } catch {
    throw new BalanceError(`AT's balance API answered with a body that is not JSON: ${text.slice(0, 80)}`);
  }
  const balance = parseAtCost(raw);
  if (!balance)
    throw new BalanceError(`AT's balance is not "<currency> <amount>": ${JSON.stringify(raw)?.slice(0, 80)}`);
  return balance;
}

/** Reads the balance and reports it to the core, with whether it is low. */
export async function checkBalance(ctx: JobContext<AtSettings>): Promise<BalanceReport> {
  const balance = await fetchBalance(ctx);
  const threshold = ctx.settings.lowBalanceThreshold ?? 0;
  const report: BalanceReport = { ...balance, low: balance.amount <= threshold, threshold };
  ctx.core.reportBalance(report);
  return report;
}

export const balanceJob: ServiceJob<AtSettings> = {
  name: 'balance',
  intervalMs: (settings) => (settings.balanceCheckMinutes ?? DEFAULT_BALANCE_CHECK_MINUTES) * 60_000,
  run: checkBalance,
};

/**
 * With `low_balance_threshold` set, a pause for lack of credit ends only once the balance is above
 * it. Unset, every pause ends with a probe, as for other refusals: messages waiting then keep
 * meeting their `sms.message_ttl_hours` expiry while the account is empty.
 */
export async function mayResume(pause: ChannelPause, ctx: JobContext<AtSettings>): Promise<ResumeDecision> {
  if (!NO_CREDIT.has(pause.code ?? '') || ctx.settings.lowBalanceThreshold === undefined) return { resume: true };
  const report = await checkBalance(ctx);
  if (!report.low) return { resume: true };
  const shown = formatCost({ amount: report.amount, currency: report.currency });
  return {
    resume: false,
    reason: `balance ${shown} is not above sms.africas_talking.low_balance_threshold (${report.threshold ?? 0})`,
  };
}

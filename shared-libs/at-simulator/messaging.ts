/**
 * `POST /version1/messaging` (https://developers.africastalking.com/docs/sms/sending/bulk): fault modes first (they
 * model the network or AT's front end failing before the request is understood), then auth,
 * required fields, sender check and per-recipient outcomes.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AUTH_ERROR, authorized } from './auth.js';
import { reasonPhrase, takeFailNext } from './faults.js';
import { maskedHeaders, send, sendText, sleep } from './http-io.js';
import { decideRecipient, formatCost } from './outcomes.js';
import type { DeliveryReporter, ReportJob } from './reports.js';
import { summaryLine, toJson, toXml, type SendSummary } from './response-format.js';
import { messageParts } from './sms-parts.js';
import type { SimulatorState } from './state.js';
import type { RecipientResult, SentRecord } from './types.js';

/** `ATXid_` + 32 lowercase hex, as live ids look (https://github.com/medic/cht-core/issues/10068). */
const newMessageId = (): string => `ATXid_${randomBytes(16).toString('hex')}`;

/** `to` is comma separated; AT's own gateway class shows spaces after the commas. */
const splitTo = (to: string | null): string[] =>
  (to ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

export async function handleMessaging(
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
  receivedAt: number,
  state: SimulatorState,
  reporter: DeliveryReporter,
): Promise<void> {
  const form = new URLSearchParams(body);
  const from = form.get('from');
  const base = {
    at: receivedAt,
    username: form.get('username') ?? '',
    to: splitTo(form.get('to')),
    message: form.get('message') ?? '',
    ...(from !== null ? { from } : {}),
    headers: maskedHeaders(req),
  };
  const record = (httpStatus: number, recipients: RecipientResult[] = []): void => {
    const rec: SentRecord = { ...base, httpStatus, recipients };
    state.sentLog.push(rec);
  };
  const text = (status: number, msg: string): void => {
    record(status);
    sendText(res, status, msg);
  };

  let cfg = state.cfg;
  if (cfg.latencyMs > 0) {
    if (!(await sleep(cfg.latencyMs, state.lifetimeSignal))) return void res.destroy();
    cfg = state.cfg; // a PUT during the wait applies to the rest of this request
  }
  if (cfg.hang) {
    record(0);
    return state.hold(res);
  }
  const failure = takeFailNext(cfg.failNext);
  if (failure) {
    state.cfg = { ...cfg, failNext: failure.left };
    return text(failure.status, failure.status === 401 ? AUTH_ERROR : reasonPhrase(failure.status));
  }
  if (cfg.failRate > 0 && state.random() < cfg.failRate) return text(500, 'Internal Server Error');
  if (cfg.rate429 > 0 && state.random() < cfg.rate429) return text(429, 'Too Many Requests');
  if (cfg.nonJson) {
    record(201);
    return send(res, 201, 'text/html', '<html>Bad gateway</html>');
  }

  const missing = (name: string): void => text(400, `Request is missing required form field '${name}'`);
  if (!base.username) return missing('username');
  if (!authorized(cfg.accounts, base.username, req)) return text(401, AUTH_ERROR);
  if (base.to.length === 0) return missing('to');
  if (!form.get('message')) return missing('message');

  const wantsJson = (req.headers.accept ?? '').includes('application/json');
  const answer = (summary: SendSummary): void => {
    record(201, summary.recipients);
    if (wantsJson) send(res, 201, 'application/json', toJson(summary));
    else send(res, 201, 'application/xml', toXml(summary));
  };

  // A request-level refusal arrives as a 2xx with no recipients (https://github.com/medic/medic-docs/pull/112).
  if (cfg.senders && from !== null && !cfg.senders.includes(from)) {
    return answer({ message: 'InvalidSenderId', recipients: [] });
  }

  const parts = messageParts(base.message);
  const jobs: ReportJob[] = [];
  const recipients: RecipientResult[] = [];
  let total = 0;
  for (const number of base.to) {
    const d = decideRecipient(number, {
      parts,
      currency: cfg.currency,
      acceptCode: cfg.acceptCode,
      transientSeen: state.transientSeen,
      optedOut: (n) => state.optOuts.blocks(from, n),
      charge: (units) => charge(state, units),
      newMessageId,
    });
    recipients.push(d.result);
    total += d.units;
    if (d.plan) jobs.push({ id: d.result.messageId, phoneNumber: number, plan: d.plan });
  }
  const summary = { message: summaryLine(recipients, total, (u) => formatCost(cfg.currency, u)), recipients };

  if (cfg.reports.beforeResponse) {
    // Models a report racing ahead of the send result: the receiver sees it first.
    await reporter.run(jobs);
    return answer(summary);
  }
  answer(summary);
  void reporter.run(jobs);
}

/** Takes `units` (1/10000 of the currency) from the balance; unlimited when no balance is configured. */
function charge(state: SimulatorState, units: number): boolean {
  const { balance } = state.cfg;
  if (balance === null) return true;
  const left = Math.round(balance * 10_000);
  if (left < units) return false;
  state.cfg = { ...state.cfg, balance: (left - units) / 10_000 };
  return true;
}

/**
 * `npm run simulator`: starts the AT simulator from flags and environment. The first stdout line
 * is always `AT simulator listening on <url>` (tests and scripts parse it). Secrets are never
 * printed: api keys are not echoed and callback URLs show `key=***`.
 */
import { closeOnSignals, lineLogger, num, oneOf, parseFlags, parseOrExit, UsageError } from './cli-support.js';
import { CONTROL_USAGE } from './control.js';
import { redactUrl } from './http-io.js';
import { startSimulator } from './simulator.js';
import type { Account, SimulatorOptions } from './types.js';

const HELP = `Usage: npm run simulator -- [options]
  --port <n>                    listen port (env SIMULATOR_PORT; default 0 = random)
  --host <addr>                 listen address (default 127.0.0.1)
  --account <user>:<key>        AT account, repeatable (env SIMULATOR_ACCOUNTS="u1:k1,u2:k2";
                                default sandbox:sandbox-api-key)
  --dlr-url <url>               delivery-report callback, including ?key=...
  --incoming-url <url>          incoming-message callback, including ?key=...
  --opt-out-url <url>           bulk SMS opt-out callback, including ?key=...
  --incoming-callbacks <m>      deliver (default) | fail: incoming messages only reach the inbox
  --incoming-callback-ids <m>   inbox (default: the callback carries the fetch API id) | uuid
  --inbox-page-size <n>         messages per inbox fetch page (default 100)
  --first-inbox-id <n>          first inbox id (default: the clock in ms)
  --balance <amount>            account balance (default: unlimited)
  --currency <code>             currency of costs and balance (default KES)
  --accept-code <code>          100 | 101 | 102 (default 101)
  --senders <A,B>               allowed sender ids (default: any)
  --latency <ms>                delay before each messaging answer
  --report-delay <ms>           gap between delivery reports (default 20)
  --quiet                       no per-request log lines`;

function account(spec: string): Account {
  const i = spec.indexOf(':');
  if (i <= 0 || i === spec.length - 1) throw new UsageError('--account must look like <username>:<apiKey>');
  return { username: spec.slice(0, i), apiKey: spec.slice(i + 1) };
}

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): { options: SimulatorOptions; quiet: boolean } {
  const values = parseFlags(
    argv,
    {
      account: { type: 'string', multiple: true },
      'dlr-url': { type: 'string' },
      'incoming-url': { type: 'string' },
      'opt-out-url': { type: 'string' },
      'incoming-callbacks': { type: 'string' },
      'incoming-callback-ids': { type: 'string' },
      'inbox-page-size': { type: 'string' },
      'first-inbox-id': { type: 'string' },
      balance: { type: 'string' },
      currency: { type: 'string' },
      'accept-code': { type: 'string' },
      senders: { type: 'string' },
      'report-delay': { type: 'string' },
    },
    HELP,
  );
  const accountSpecs = values.account ?? (env.SIMULATOR_ACCOUNTS ? env.SIMULATOR_ACCOUNTS.split(',') : []);
  const acceptCode = num(values['accept-code'], '--accept-code');
  if (acceptCode !== undefined && acceptCode !== 100 && acceptCode !== 101 && acceptCode !== 102)
    throw new UsageError('--accept-code must be 100, 101 or 102');
  const options: SimulatorOptions = {
    port: num(values.port ?? env.SIMULATOR_PORT, '--port') ?? 0,
    host: values.host ?? '127.0.0.1',
    latencyMs: num(values.latency, '--latency'),
    reportDelayMs: num(values['report-delay'], '--report-delay'),
    acceptCode,
    dlrUrl: values['dlr-url'],
    incomingUrl: values['incoming-url'],
    optOutUrl: values['opt-out-url'],
    incomingCallbacks: oneOf(values['incoming-callbacks'], '--incoming-callbacks', ['deliver', 'fail'] as const),
    incomingCallbackIds: oneOf(values['incoming-callback-ids'], '--incoming-callback-ids', ['inbox', 'uuid'] as const),
    inboxPageSize: num(values['inbox-page-size'], '--inbox-page-size'),
    firstInboxId: num(values['first-inbox-id'], '--first-inbox-id'),
    balance: num(values.balance, '--balance'),
    currency: values.currency,
    senders: values.senders
      ? values.senders
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : undefined,
    ...(accountSpecs.length > 0 ? { accounts: accountSpecs.map((s) => account(s.trim())) } : {}),
  };
  return { options, quiet: values.quiet === true };
}

async function main(): Promise<void> {
  const { options, quiet } = parseOrExit(() => parseOptions(process.argv.slice(2), process.env), HELP);
  const sim = await startSimulator({ ...options, onLog: lineLogger(quiet) });
  const cfg = sim.config();
  console.log(`AT simulator listening on ${sim.url}`);
  console.log(`  AT API:     POST ${sim.url}/version1/messaging (set AT_API_URL=${sim.url})`);
  console.log(`  inbox:      GET  ${sim.url}/version1/messaging?username=<u>&lastReceivedId=<id>`);
  console.log(`  balance:    GET  ${sim.url}/version1/user?username=<u>`);
  console.log(`  accounts:   ${cfg.accounts.map((a) => a.username).join(', ')} (keys not shown)`);
  console.log(`  DLR url:    ${cfg.dlrUrl ? redactUrl(cfg.dlrUrl) : '(none)'}`);
  console.log(`  MO url:     ${cfg.incomingUrl ? redactUrl(cfg.incomingUrl) : '(none)'} (${cfg.incomingCallbacks})`);
  console.log(`  opt-outs:   ${cfg.optOutUrl ? redactUrl(cfg.optOutUrl) : '(none)'}`);
  console.log('  control endpoints:');
  for (const line of CONTROL_USAGE) console.log(`    ${line}`);
  console.log('  magic numbers: see shared-libs/at-simulator/README.md');

  closeOnSignals(() => sim.close());
}

main().catch((err: unknown) => {
  console.error(`AT simulator failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

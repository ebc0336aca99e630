/**
 * `npm run simulator:rapidpro`: the RapidPro simulator from flags and environment. The first
 * stdout line is always `RapidPro simulator listening on <url>` (tests and scripts parse it).
 * Tokens are never printed.
 */
import { closeOnSignals, lineLogger, num, parseFlags, parseOrExit } from '../at-simulator/cli-support.js';
import { redactUrl } from '../at-simulator/http-io.js';
import { DEFAULT_TOKEN } from './config.js';
import { CONTROL_USAGE } from './control.js';
import { startRapidProSimulator } from './simulator.js';
import type { RapidProSimulatorOptions } from './types.js';

const HELP = `Usage: npm run simulator:rapidpro -- [options]
  --port <n>              listen port (env RAPIDPRO_SIMULATOR_PORT; default 0 = random)
  --host <addr>           listen address (default 127.0.0.1)
  --token <token>         accepted API token, repeatable (env RAPIDPRO_SIMULATOR_TOKENS="t1,t2";
                          default ${DEFAULT_TOKEN})
  --incoming-url <url>    where incoming messages are posted (CHT's rapidpro incoming URL)
  --incoming-token <t>    sent as Authorization: Token <t> with them
                          (env RAPIDPRO_SIMULATOR_INCOMING_TOKEN)
  --step-delay <ms>       time between message status steps (default 100); "manual": only
                          POST /simulator/advance moves them
  --page-size <n>         results per page of the list endpoints (default 250)
  --latency <ms>          delay before each API answer
  --retry-after <s>       Retry-After of 429 answers (default 1)
  --first-id <n>          first broadcast/message id (default: the clock in ms)
  --quiet                 no per-request log lines`;

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): { options: RapidProSimulatorOptions; quiet: boolean } {
  const values = parseFlags(
    argv,
    {
      token: { type: 'string', multiple: true },
      'incoming-url': { type: 'string' },
      'incoming-token': { type: 'string' },
      'step-delay': { type: 'string' },
      'page-size': { type: 'string' },
      'retry-after': { type: 'string' },
      'first-id': { type: 'string' },
    },
    HELP,
  );
  const tokens =
    values.token ??
    env.RAPIDPRO_SIMULATOR_TOKENS?.split(',')
      .map((t) => t.trim())
      .filter(Boolean);
  const stepDelay = values['step-delay'];
  const options: RapidProSimulatorOptions = {
    port: num(values.port ?? env.RAPIDPRO_SIMULATOR_PORT, '--port') ?? 0,
    host: values.host ?? '127.0.0.1',
    ...(tokens && tokens.length > 0 ? { tokens } : {}),
    incomingUrl: values['incoming-url'],
    incomingToken: values['incoming-token'] ?? env.RAPIDPRO_SIMULATOR_INCOMING_TOKEN,
    stepDelayMs: stepDelay === 'manual' ? null : num(stepDelay, '--step-delay'),
    pageSize: num(values['page-size'], '--page-size'),
    latencyMs: num(values.latency, '--latency'),
    retryAfterSeconds: num(values['retry-after'], '--retry-after'),
    firstId: num(values['first-id'], '--first-id'),
  };
  return { options, quiet: values.quiet === true };
}

async function main(): Promise<void> {
  const { options, quiet } = parseOrExit(() => parseOptions(process.argv.slice(2), process.env), HELP);
  const sim = await startRapidProSimulator({ ...options, onLog: lineLogger(quiet) });
  const cfg = sim.config();
  console.log(`RapidPro simulator listening on ${sim.url}`);
  console.log(`  API:        POST ${sim.url}/api/v2/broadcasts.json (set sms.rapidpro.url=${sim.url})`);
  console.log(`              GET  ${sim.url}/api/v2/messages.json?broadcast=<id>`);
  console.log(`  tokens:     ${cfg.tokens.length} accepted (not shown)`);
  console.log(`  incoming:   ${cfg.incomingUrl ? redactUrl(cfg.incomingUrl) : '(none)'}`);
  console.log(`  steps:      ${cfg.stepDelayMs === null ? 'manual' : `every ${cfg.stepDelayMs} ms`}`);
  console.log('  control endpoints:');
  for (const line of CONTROL_USAGE) console.log(`    ${line}`);
  console.log('  magic numbers: see shared-libs/rapidpro-simulator/README.md');
  closeOnSignals(() => sim.close());
}

main().catch((err: unknown) => {
  console.error(`RapidPro simulator failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

/** Pieces every simulator CLI here shares: flag parsing, numbers, choices, stopping on signals. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/** Flags every simulator CLI takes. */
const COMMON_FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  latency: { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagOptions;

/** Parses the common flags and `own` strictly; `--help` prints `help` and exits 0. */
export function parseFlags<O extends FlagOptions>(argv: string[], own: O, help: string) {
  const { values } = parseArgs({ args: argv, strict: true, options: { ...COMMON_FLAGS, ...own } });
  if ((values as { help?: boolean }).help) {
    console.log(help);
    process.exit(0);
  }
  return values;
}

export class UsageError extends Error {}

export function num(value: string | undefined, flag: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} must be a number >= 0, got '${value}'`);
  return n;
}

export function oneOf<T extends string>(value: string | undefined, flag: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  const found = allowed.find((a) => a === value);
  if (!found) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, got '${value}'`);
  return found;
}

/** Parses the command line or exits 2 with the message and the usage text. */
export function parseOrExit<T>(parse: () => T, help: string): T {
  try {
    return parse();
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${help}`);
    process.exit(2);
  }
}

/** SIGTERM or SIGINT closes the simulator, then exits 0 (1 when closing failed). */
export function closeOnSignals(close: () => Promise<void>): void {
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** A per-request log line printer, or none when quiet. */
export const lineLogger = (quiet: boolean): ((line: string) => void) | undefined =>
  quiet ? undefined : (line) => console.log(`${new Date().toISOString()} ${line}`);

/**
 * What every fuzz spec shares: the number of runs (FUZZ_RUNS, 500 by default; `npm run fuzz`
 * sets 20,000), one in-process server per spec driven with `app.inject()`, and the store
 * fingerprint that proves a refused request wrote nothing.
 */
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'chai';
import type { Db } from '../../shared-libs/couch/index.js';
import { EXCHANGE_INDEX_PREFIX, EXCHANGE_PREFIX } from '../../api/src/observability/exchanges.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

export const RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? 500));
/** A share of RUNS, for the slower properties. */
export const runsShare = (fraction: number): number => Math.max(1, Math.round(RUNS * fraction));
/** Mocha timeout for one property: generous per run, so slow machines do not fail on time. */
export const TIMEOUT_MS = 60_000 + RUNS * 40;
export const INCOMING_KEY = 'fuzz-incoming-key-3c9b71';

export const fuzzParams = (runs = RUNS): fc.Parameters<unknown> => ({
  numRuns: runs,
  // A failure prints the shrunk counterexample and the seed to replay it with.
  verbose: fc.VerbosityLevel.None,
  ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}),
});

export async function fuzzServer(): Promise<TestServer> {
  // Not started: no outbox, consent feed or pruning writing in the background while we compare stores.
  const server = await startTestServer({ start: false, env: { LOG_LEVEL: 'silent' } });
  await server.credentials.set('africastalking.com:incoming', INCOMING_KEY);
  // The message index reads the changes feed into its own store (never the medic db): listings need it.
  server.messageIndex.start();
  return server;
}

export interface Fingerprint {
  dbs: Db[];
  seqs: Array<string | number>;
}

/** Where each database's changes feed stands now; `expectUnchanged` reads what was written since. */
export async function fingerprint(...dbs: Db[]): Promise<Fingerprint> {
  const infos = await Promise.all(dbs.map((db) => db.info()));
  return { dbs, seqs: infos.map((i) => i.update_seq) };
}

/**
 * Nothing was written since `before`, the provider exchange log aside: it records every
 * authenticated callback, refused ones included, so an operator can see what the provider sent
 * (api/src/observability/exchanges.ts); its docs are written in batches after the response.
 */
export async function expectUnchanged(before: Fingerprint): Promise<void> {
  const written = await Promise.all(
    before.dbs.map(async (db, i) => {
      const res = await db.changes({ since: before.seqs[i], limit: 50 });
      return res.results
        .map((r) => r.id)
        .filter((id) => !id.startsWith(EXCHANGE_PREFIX) && !id.startsWith(EXCHANGE_INDEX_PREFIX));
    }),
  );
  expect(written.flat(), 'docs written by a refused request').to.deep.equal([]);
}

export async function inject(server: TestServer, opts: InjectOptions): Promise<LightMyRequestResponse> {
  return server.app.inject(opts);
}

/** The properties every endpoint shares: never a 5xx, always a JSON `{code, error}` on refusal. */
export function expectHandled(res: LightMyRequestResponse, what: string): void {
  expect(res.statusCode, `${what} → ${res.statusCode} ${res.body.slice(0, 300)}`).to.be.below(500);
  if (res.statusCode >= 400) {
    const body = JSON.parse(res.body) as { code: number; error: string };
    expect(body.code, what).to.equal(res.statusCode);
    expect(body.error, what).to.be.a('string');
  }
}

/** Counts unhandled rejections while a suite runs: the process must never meet one. */
export function watchProcess(): { unhandled: unknown[]; stop(): void } {
  const unhandled: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    unhandled.push(reason);
  };
  process.on('unhandledRejection', onRejection);
  return { unhandled, stop: () => process.off('unhandledRejection', onRejection) };
}

/** Strings that tend to break parsers: control characters, lone surrogates, huge numbers, prototype keys. */
export const nastyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({
    unit: fc.constantFrom('\u0000', '\ud800', '\udfff', '%', '&', '=', '+', '"', '\\', '\n', '[', '{', '\u202e', 'é'),
  }),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    '',
    ' ',
    'null',
    'NaN',
    '1e999',
    '-0',
    '%00',
    '%zz',
  ),
);

/** A body as text: JSON of any shape, or not JSON at all. */
export const rawJsonBody = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: nastyString },
);

/** Content types a client might send, right and wrong. */
export const contentType = (right: string[]): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...right) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        undefined,
        'text/plain',
        'application/octet-stream',
        'multipart/form-data',
        'application/json; charset=latin1',
        'application/x-www-form-urlencoded; charset=utf-16',
      ),
    },
    { weight: 1, arbitrary: nastyString.filter((s) => /^[\t\x20-\x7e]*$/.test(s)) },
  );

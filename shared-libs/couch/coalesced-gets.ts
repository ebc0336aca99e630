/**
 * Point reads on LevelDB, coalesced. Every `get` on leveldown (and on classic-level) is one task
 * handed to libuv's thread pool and back: on a 2-core machine that hand-off costs about 30 µs of
 * CPU a read, against about 3 µs a key when 32 keys go in one `getMany` (measured with the
 * leveldown PouchDB ships). PouchDB reads a document's metadata and body with two gets, and a
 * write reads the metadata of each document it writes, so concurrent requests make many small
 * reads. Here the reads asked for within one turn of the event loop go down together as one
 * `getMany` (setImmediate: after every I/O callback of the turn ran), which leveldown and
 * classic-level both implement natively (https://github.com/Level/leveldown#dbgetmanykeys-options-callback).
 *
 * `coalescingLevelDown()` gives PouchDB's LevelDB adapter a leveldown whose `_get` does this,
 * through the adapter's `db` option, which takes any LevelDOWN-compatible store
 * (https://www.npmjs.com/package/pouchdb-adapter-leveldb-core). It is PouchDB's own leveldown,
 * so the files on disk are the same.
 */
import { createRequire } from 'node:module';

type Callback = (err: Error | null, value?: unknown) => void;

interface GetOptions {
  asBuffer?: boolean;
  fillCache?: boolean;
}

/** The part of an abstract-leveldown store this file uses (keys already serialized). */
export interface LevelDownLike {
  _get(key: unknown, options: GetOptions, callback: Callback): void;
  _getMany(keys: unknown[], options: GetOptions, callback: (err: Error | null, values?: unknown[]) => void): void;
  _close?(callback: (err?: Error | null) => void): void;
}

interface Waiting {
  key: unknown;
  callback: Callback;
}

/**
 * leveldown's own error for a missing key (what its `_get` gives, and levelup recognises by its
 * message), made without a stack trace: every new document's write looks its id up first, and
 * levelup replaces this error with its own anyway.
 */
function notFound(): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new Error('NotFound: ');
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Makes one store's `_get` coalesce: gets of one event-loop turn with the same options become a
 * single `_getMany` (a lone get stays a `_get`). A read still sees every write that finished before
 * it was asked for; leveldown never ordered a read against a write still under way.
 */
export function coalesceGets(store: LevelDownLike): void {
  const single = store._get.bind(store);
  const many = store._getMany.bind(store);
  let queued = new Map<string, { options: GetOptions; waiting: Waiting[] }>();
  let scheduled = false;

  const flush = (): void => {
    scheduled = false;
    const groups = queued;
    queued = new Map();
    for (const { options, waiting } of groups.values()) {
      const first = waiting[0];
      if (waiting.length === 1 && first) {
        single(first.key, options, first.callback);
        continue;
      }
      many(
        waiting.map((w) => w.key),
        options,
        (err, values) => {
          waiting.forEach((w, i) => {
            if (err) return w.callback(err);
            const value = values?.[i];
            if (value === undefined) w.callback(notFound());
            else w.callback(null, value);
          });
        },
      );
    }
  };

  // Reads asked for before a close go down before it (leveldown's close waits for reads under way).
  const close = store._close?.bind(store);
  if (close)
    store._close = (callback): void => {
      if (scheduled) flush();
      close(callback);
    };

  store._get = (key, options, callback): void => {
    const group = `${options.asBuffer === false ? 's' : 'b'}${options.fillCache === false ? 'n' : 'c'}`;
    let entry = queued.get(group);
    if (!entry) queued.set(group, (entry = { options, waiting: [] }));
    entry.waiting.push({ key, callback });
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}

type LevelDownFactory = ((location: string) => LevelDownLike) & { destroy?: unknown };

let factory: LevelDownFactory | undefined;

/**
 * PouchDB's leveldown, whose stores coalesce their gets. Named `LevelDOWN` like leveldown's own
 * constructor: PouchDB keeps one open handle per store name and constructor name, so a handle
 * opened in this process with PouchDB's default leveldown (a test, a script) is the same handle.
 */
export function coalescingLevelDown(): LevelDownFactory {
  if (factory) return factory;
  const fromPouch = createRequire(createRequire(import.meta.url).resolve('pouchdb'));
  const leveldown = fromPouch('leveldown') as LevelDownFactory;
  const LevelDOWN = function LevelDOWN(location: string): LevelDownLike {
    const store = leveldown(location);
    coalesceGets(store);
    return store;
  } as LevelDownFactory;
  if ('destroy' in leveldown) LevelDOWN.destroy = leveldown.destroy;
  factory = LevelDOWN;
  return factory;
}

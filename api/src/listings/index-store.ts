/**
 * Where the message index lives: a LevelDB of its own under DATA_DIR (classic-level), written only
 * by this process's IndexWriter, with plain keys and JSON values: no PouchDB revision trees or
 * by-sequence store, since the index is never replicated and only ever read by key range. Besides
 * the rows (rows.ts) it holds each message document's manifest (`m:<doc id>`: the revision indexed
 * and the rows it has), the per-hour row counts (`b:<series>:<hour>`) and the feed checkpoint
 * (`c:state`). One per instance, also in CouchDB mode: two instances never contend for index
 * entries, and the medic database's feed carries no index writes.
 */
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { seqNumber } from '../../../shared-libs/couch/seq.js';
import { UnavailableError } from '../errors.js';
import { Batcher } from '../store/batcher.js';
import { BUCKET_PREFIX, Buckets } from './buckets.js';
import { HIGH } from './rows.js';

/** Bumped when the layout changes: an index of another version is rebuilt. */
export const INDEX_VERSION = 5;
export const CHECKPOINT_ID = 'c:state';
export const MANIFEST_PREFIX = 'm:';

export type Seq = string | number;

export { seqNumber };

export interface Checkpoint {
  /** Every change of the medic database up to here is in the index. */
  seq: Seq;
  /** The first full scan finished. */
  built: boolean;
  source: string;
  version: number;
}

export interface Manifest {
  /** The medic revision these rows describe. */
  rev: string;
  rows: string[];
}

/** True when revision `a` supersedes `b` (CouchDB's winner rule: generation, then hash). */
export function revNewer(a: string, b: string): boolean {
  const [ga, ha = ''] = a.split('-');
  const [gb, hb = ''] = b.split('-');
  const na = Number(ga);
  const nb = Number(gb);
  return na > nb || (na === nb && ha > hb);
}

/** The first build is still running: readers are told how far it got. */
export class IndexBuildingError extends UnavailableError {
  constructor(done: number, of: number) {
    super(
      `The message index is being built (${done} of about ${Math.max(done, of)} documents read); try again shortly`,
    );
  }
}

/** The index did not catch up with the database in time. */
export class IndexBehindError extends UnavailableError {
  constructor(ms: number) {
    super(`The message index did not catch up with the database within ${ms} ms; try again shortly`);
  }
}

export interface IndexLocation {
  dir: string;
  /** Which database this index describes (no credentials): another one means a rebuild. */
  source: string;
}

/** Where the index of this deployment's medic database lives. */
export function indexLocation(dataDir: string, couchUrl?: string): IndexLocation {
  if (!couchUrl) return { dir: path.join(dataDir, 'medic-sms-index'), source: 'embedded:medic' };
  const url = new URL(couchUrl);
  url.username = '';
  url.password = '';
  const name = url.pathname.replace(/^\/+|\/+$/g, '') || 'medic';
  return { dir: path.join(dataDir, `${name.replace(/[^A-Za-z0-9_-]/g, '_')}-sms-index`), source: url.toString() };
}

/** One write of a batch: every batch is applied atomically. */
export type IndexOp = { type: 'put'; key: string; value: unknown } | { type: 'del'; key: string };

/** A key range: `gte`/`gt` below, `lt`/`lte` above, in key order or `reverse`. */
export interface KeyRange {
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
  reverse?: boolean;
  limit?: number;
}

type Level = ClassicLevel<string, unknown>;

const openLevel = async (dir: string): Promise<Level> => {
  const db = new ClassicLevel<string, unknown>(dir, { valueEncoding: 'json' });
  await db.open();
  return db;
};

export class IndexStore {
  /**
   * Point reads: the keys asked for within one turn of the event loop are read with one `getMany`
   * (a LevelDB read each costs a thread-pool round trip: shared-libs/couch/coalesced-gets.ts).
   */
  private readonly reads = new Batcher<string, unknown>((keys) => this.db.getMany(keys), 1000, Infinity);

  private constructor(
    private readonly db: Level,
    readonly location: IndexLocation,
  ) {}

  /**
   * Opens the index; one describing another database, layout or a newer database is emptied, as
   * is a folder without a checkpoint (a build that never wrote one, or another program's LevelDB).
   */
  static async open(
    location: IndexLocation,
    sourceSeq: Seq,
  ): Promise<{ store: IndexStore; checkpoint?: Checkpoint; discarded: boolean }> {
    const store = new IndexStore(await openLevel(location.dir), location);
    const checkpoint = await store.checkpoint();
    const stale =
      checkpoint &&
      (checkpoint.source !== location.source ||
        checkpoint.version !== INDEX_VERSION ||
        seqNumber(checkpoint.seq) > seqNumber(sourceSeq));
    if (checkpoint && !stale) return { store, checkpoint, discarded: false };
    await store.reset();
    return { store, discarded: !!checkpoint };
  }

  checkpoint(): Promise<Checkpoint | undefined> {
    return this.get<Checkpoint>(CHECKPOINT_ID);
  }

  /** One key's value (read together with the other keys asked for in this turn). */
  get<T>(key: string): Promise<T | undefined> {
    return this.reads.submit(key) as Promise<T | undefined>;
  }

  /** The values of these keys, in their order (undefined where absent). */
  async getMany<T>(keys: string[]): Promise<Array<T | undefined>> {
    return (await this.db.getMany(keys)) as Array<T | undefined>;
  }

  /** The entries of a range, in its order. */
  entries<T>(range: KeyRange): Promise<Array<[string, T]>> {
    return this.db.iterator(range).all() as Promise<Array<[string, T]>>;
  }

  /** How many keys a range holds (read without their values). */
  async count(range: KeyRange): Promise<number> {
    return (await this.db.keys(range).all()).length;
  }

  batch(ops: IndexOp[]): Promise<void> {
    return this.db.batch(ops);
  }

  async buckets(): Promise<Buckets> {
    return Buckets.from(await this.entries<number>({ gte: BUCKET_PREFIX, lt: BUCKET_PREFIX + HIGH }));
  }

  /** Drops everything: the next build starts from nothing. */
  async reset(): Promise<void> {
    await this.db.clear();
  }

  close(): Promise<void> {
    this.reads.flush();
    return this.db.close();
  }
}

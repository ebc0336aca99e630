/**
 * Where the message index lives: a PouchDB database of its own under DATA_DIR (LevelDB), written
 * only by this process's IndexWriter. Besides the rows (rows.ts) it holds each message document's
 * manifest (`m:<doc id>`: the revision indexed and the rows it has), the per-hour row counts
 * (`b:` docs) and the feed checkpoint (`c:state`). One per instance, also in CouchDB mode: two
 * instances never contend for index docs, and the medic database's feed carries no index writes.
 */
import path from 'node:path';
import PouchDB from 'pouchdb';
import { getDoc, type Db } from '../../../shared-libs/couch/index.js';
import { UnavailableError } from '../errors.js';
import { BUCKET_PREFIX, Buckets, type BucketDoc } from './buckets.js';
import { HIGH } from './rows.js';

/** Bumped when the rows' layout changes: an index of another version is rebuilt. */
export const INDEX_VERSION = 3;
export const CHECKPOINT_ID = 'c:state';
/**
 * One revision kept per index doc: the index is never replicated, and PouchDB compacts stemmed
 * revisions within the write that stems them (pouchdb-adapter-leveldb-core's `compact(stemmedRevs)`),
 * so disk stays bounded without `auto_compaction`'s extra pass after every write.
 */
const INDEX_DB_OPTIONS = { revs_limit: 1 };
export const MANIFEST_PREFIX = 'm:';

export type Seq = string | number;

export interface Checkpoint {
  _id: string;
  _rev?: string;
  /** Every change of the medic database up to here is in the index. */
  seq: Seq;
  /** The first full scan finished. */
  built: boolean;
  source: string;
  version: number;
}

export interface Manifest {
  _id: string;
  _rev?: string;
  /** The medic revision these rows describe. */
  rev: string;
  rows: string[];
}

/** The numeric part of a sequence: PouchDB's are numbers, CouchDB's `N-opaque` strings. */
export function seqNumber(seq: Seq | undefined): number {
  if (seq === undefined) return 0;
  if (typeof seq === 'number') return seq;
  const n = Number.parseInt(seq.split('-')[0] ?? '', 10);
  return Number.isFinite(n) ? n : 0;
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

export class IndexStore {
  private constructor(
    private current: Db,
    readonly location: IndexLocation,
  ) {}

  /** Opens the index; one describing another database, layout or a newer database is discarded. */
  static async open(
    location: IndexLocation,
    sourceSeq: Seq,
  ): Promise<{ store: IndexStore; checkpoint?: Checkpoint; discarded: boolean }> {
    const store = new IndexStore(new PouchDB(location.dir, INDEX_DB_OPTIONS) as Db, location);
    const checkpoint = await store.checkpoint();
    const stale =
      checkpoint &&
      (checkpoint.source !== location.source ||
        checkpoint.version !== INDEX_VERSION ||
        seqNumber(checkpoint.seq) > seqNumber(sourceSeq));
    if (!stale) return { store, ...(checkpoint ? { checkpoint } : {}), discarded: false };
    await store.reset();
    return { store, discarded: true };
  }

  get db(): Db {
    return this.current;
  }

  checkpoint(): Promise<Checkpoint | undefined> {
    return getDoc<Checkpoint>(this.current, CHECKPOINT_ID);
  }

  async buckets(): Promise<Buckets> {
    const res = await this.current.allDocs({
      startkey: BUCKET_PREFIX,
      endkey: BUCKET_PREFIX + HIGH,
      include_docs: true,
    });
    return Buckets.from(res.rows.map((r) => r.doc as unknown as BucketDoc));
  }

  /** Drops everything: the next build starts from nothing. */
  async reset(): Promise<void> {
    await this.current.destroy();
    this.current = new PouchDB(this.location.dir, INDEX_DB_OPTIONS) as Db;
  }

  close(): Promise<void> {
    return this.current.close();
  }
}

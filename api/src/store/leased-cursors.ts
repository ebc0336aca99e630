/**
 * Positions services keep in the store (an inbox cursor), one doc each, `sms-cursor:<owner
 * service>:<name>`. Every instance on one database shares the doc; a lease on it, taken and
 * renewed by compare-and-swap on `_rev`, lets one instance at a time move the cursor. A holder
 * that dies leaves a lease that expires, and the next run takes over from the last saved position.
 */
import type { Db } from '../../../shared-libs/couch/index.js';
import { getDoc, isConflict } from '../../../shared-libs/couch/index.js';
import type { CursorRun, LeasedCursor } from '../sms/types.js';

export interface CursorDoc {
  _id: string;
  _rev?: string;
  type: 'sms_cursor';
  data?: Record<string, unknown>;
  lease?: { owner: string; until: string };
  updated_at: string;
}

export const cursorDocId = (service: string, name: string): string => `sms-cursor:${service}:${name}`;

/** Thrown by `save` when another instance took the lease (ours had expired). */
export class LeaseLostError extends Error {
  constructor(id: string) {
    super(`Lost the lease on ${id}: another instance took it over`);
    this.name = 'LeaseLostError';
  }
}

const TAKE_ATTEMPTS = 5;

export class LeasedCursors {
  constructor(
    private readonly db: Db,
    /** This instance's name in leases. */
    private readonly owner: string,
    private readonly now: () => Date = () => new Date(),
    /** A lease whose holder is known gone (this instance's previous life): taken at once. */
    private readonly deadLease: (lease: { owner: string }) => boolean = () => false,
  ) {}

  async run<R>(
    service: string,
    name: string,
    leaseMs: number,
    fn: (cursor: LeasedCursor) => Promise<R>,
  ): Promise<CursorRun<R>> {
    const id = cursorDocId(service, name);
    const taken = await this.take(id, leaseMs);
    if ('heldUntil' in taken) return { ran: false, heldUntil: taken.heldUntil };
    let doc = taken.doc;
    const cursor: LeasedCursor = {
      get data() {
        return doc.data;
      },
      save: async (data) => {
        doc = await this.write({ ...doc, data, lease: this.lease(leaseMs) }, id);
      },
    };
    try {
      return { ran: true, result: await fn(cursor) };
    } finally {
      // Free the lease for the next run at once; if someone else holds it now, it is theirs.
      const { lease: _held, ...rest } = doc;
      await this.db.put({ ...rest, updated_at: this.now().toISOString() }).catch(() => undefined);
    }
  }

  /** The stored doc, for status and tests. */
  read(service: string, name: string): Promise<CursorDoc | undefined> {
    return getDoc<CursorDoc>(this.db, cursorDocId(service, name));
  }

  private lease(leaseMs: number): { owner: string; until: string } {
    return { owner: this.owner, until: new Date(this.now().getTime() + leaseMs).toISOString() };
  }

  private async take(id: string, leaseMs: number): Promise<{ doc: CursorDoc } | { heldUntil: string }> {
    for (let attempt = 1; ; attempt++) {
      const current = await getDoc<CursorDoc>(this.db, id);
      const held = current?.lease;
      const live = held && held.owner !== this.owner && !this.deadLease(held);
      if (held && live && Date.parse(held.until) > this.now().getTime()) {
        return { heldUntil: held.until };
      }
      const base: CursorDoc = current ?? { _id: id, type: 'sms_cursor', updated_at: '' };
      const next: CursorDoc = { ...base, lease: this.lease(leaseMs) };
      try {
        return { doc: await this.write(next, id) };
      } catch (err) {
        // Another instance wrote between our read and our write: look again.
        if (!(err instanceof LeaseLostError) || attempt >= TAKE_ATTEMPTS) throw err;
      }
    }
  }

  private async write(doc: CursorDoc, id: string): Promise<CursorDoc> {
    const next = { ...doc, updated_at: this.now().toISOString() };
    try {
      const res = await this.db.put(next);
      return { ...next, _rev: res.rev };
    } catch (err) {
      if (isConflict(err)) throw new LeaseLostError(id);
      throw err;
    }
  }
}

/**
 * Messages awaiting a status from a provider that never calls back (its statuses are read
 * from its API). One small doc per message sent with a reference in a non-final state,
 * `sms-awaiting:<service>:<since>:<ref>`, written with the send result and removed when the
 * service says it is done (a final status seen, or given up). The id orders entries by service
 * and by when they were sent, so a service's poller reads the recent ones, or the oldest ones, with
 * a primary-key range: the cost is what is awaited, not what the database holds, and no view has
 * to index every write.
 */
import { prefixRange, throwUnlessWrittenOrConflict, type Db } from '../../../shared-libs/couch/index.js';
import type { AwaitingStatus } from '../sms/types.js';
import { Batcher } from '../store/batcher.js';

export const AWAITING_PREFIX = 'sms-awaiting:';

interface AwaitingDoc {
  _id: string;
  type: 'sms_awaiting_status';
  service: string;
  gateway_ref: string;
  doc_id: string;
  uuid: string;
  since: string;
}

const servicePrefix = (service: string): string => `${AWAITING_PREFIX}${service}:`;

export class AwaitingStatusIndex {
  /** Results of many concurrent sends share one `_bulk_docs`. */
  private readonly writes: Batcher<AwaitingDoc, void>;

  constructor(private readonly db: Db) {
    this.writes = new Batcher((docs) => this.writeMany(docs), 500, 1);
  }

  async record(
    service: string,
    entries: Array<{ ref: string; docId: string; uuid: string }>,
    now: Date,
  ): Promise<void> {
    const since = now.toISOString();
    await Promise.all(
      entries.map((e) =>
        this.writes.submit({
          _id: `${servicePrefix(service)}${since}:${e.ref}`,
          type: 'sms_awaiting_status',
          service,
          gateway_ref: e.ref,
          doc_id: e.docId,
          uuid: e.uuid,
          since,
        }),
      ),
    );
  }

  /** Oldest first: entries sent at or after `sentAfter`, after the key `startAfter`, `limit` of them. */
  async list(
    service: string,
    opts: { limit: number; startAfter?: string; sentAfter?: string },
  ): Promise<AwaitingStatus[]> {
    const range = prefixRange(servicePrefix(service));
    const from = opts.sentAfter !== undefined ? `${servicePrefix(service)}${opts.sentAfter}` : range.startkey;
    const startkey = opts.startAfter !== undefined && opts.startAfter > from ? opts.startAfter : from;
    const res = await this.db.allDocs({
      startkey,
      endkey: range.endkey,
      include_docs: true,
      limit: opts.limit + 1,
    });
    return res.rows
      .filter((r) => r.id !== opts.startAfter)
      .slice(0, opts.limit)
      .map((r) => r.doc as unknown as AwaitingDoc | undefined)
      .filter((d): d is AwaitingDoc => !!d && typeof d.gateway_ref === 'string')
      .map((d) => ({ key: d._id, gatewayRef: d.gateway_ref, messageId: d.uuid, since: d.since }));
  }

  /** Removes entries of this service; keys of other services are ignored. */
  async remove(service: string, keys: readonly string[]): Promise<void> {
    const own = [...new Set(keys)].filter((k) => k.startsWith(servicePrefix(service)));
    if (own.length === 0) return;
    const res = await this.db.allDocs({ keys: own });
    const deletions = res.rows
      .filter(
        (r): r is PouchDB.Core.AllDocsResponse<object>['rows'][number] => 'value' in r && !!r.value && !r.value.deleted,
      )
      .map((r) => ({ _id: r.id, _rev: r.value.rev, _deleted: true }));
    // A conflict means another instance removed or rewrote it meanwhile: nothing left to do.
    if (deletions.length) throwUnlessWrittenOrConflict(await this.db.bulkDocs(deletions), 'Removing awaited statuses');
  }

  private async writeMany(docs: AwaitingDoc[]): Promise<void[]> {
    throwUnlessWrittenOrConflict(await this.db.bulkDocs(docs), 'Recording awaited statuses');
    return docs.map(() => undefined);
  }
}

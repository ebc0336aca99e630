/**
 * Gateway reference index: one small doc per provider reference (`sms-gateway-ref:<ref>`)
 * pointing at the message. A delivery report then costs one primary-key read however large the
 * database grows, instead of a view whose index must catch up with every write first. CHT's
 * `medic-sms/messages_by_gateway_ref` view is still installed, for CHT's own readers.
 */
import { throwUnlessWrittenOrConflict, type Db } from '../../../shared-libs/couch/index.js';
import { Batcher } from '../store/batcher.js';

export interface GatewayRefTarget {
  docId: string;
  uuid: string;
}

interface IndexDoc {
  _id: string;
  type: 'sms_gateway_ref';
  gateway_ref: string;
  doc_id: string;
  uuid: string;
  created: string;
}

export const gatewayRefDocId = (ref: string): string => `sms-gateway-ref:${ref}`;

export class GatewayRefIndex {
  private readonly lookups: Batcher<string, GatewayRefTarget | undefined>;
  /** Writes from many concurrent sends share one `_bulk_docs` (one write lock, one feed wake-up). */
  private readonly writes: Batcher<IndexDoc, void>;

  constructor(private readonly db: Db) {
    this.lookups = new Batcher((refs) => this.lookupMany(refs), 500, 2);
    this.writes = new Batcher((docs) => this.writeMany(docs), 500, 1);
  }

  lookup(ref: string): Promise<GatewayRefTarget | undefined> {
    return this.lookups.submit(ref);
  }

  /** Idempotent: an existing entry (a retry, another instance) is left as it is. */
  async record(entries: Array<{ ref: string } & GatewayRefTarget>, now: Date): Promise<void> {
    await Promise.all(
      entries.map((e) =>
        this.writes.submit({
          _id: gatewayRefDocId(e.ref),
          type: 'sms_gateway_ref',
          gateway_ref: e.ref,
          doc_id: e.docId,
          uuid: e.uuid,
          created: now.toISOString(),
        }),
      ),
    );
  }

  private async writeMany(docs: IndexDoc[]): Promise<void[]> {
    throwUnlessWrittenOrConflict(await this.db.bulkDocs(docs), 'Recording gateway reference');
    return docs.map(() => undefined);
  }

  private async lookupMany(refs: string[]): Promise<Array<GatewayRefTarget | undefined>> {
    const res = await this.db.allDocs({ keys: [...new Set(refs.map(gatewayRefDocId))], include_docs: true });
    const found = new Map<string, GatewayRefTarget>();
    for (const row of res.rows) {
      const doc = 'doc' in row ? (row.doc as unknown as { doc_id?: string; uuid?: string } | null) : null;
      if (doc?.doc_id && doc.uuid) found.set(row.key, { docId: doc.doc_id, uuid: doc.uuid });
    }
    return refs.map((r) => found.get(gatewayRefDocId(r)));
  }
}

/**
 * Applies status updates (AT delivery reports, medic-gateway updates) through the state lattice.
 * Late or backwards reports are kept on the task for audit without moving its state; unknown
 * statuses are recorded, not rejected; reports for a reference not stored yet are parked and
 * applied as soon as the send result lands (CHT drops them).
 */
import type { Logger } from 'pino';
import type { Db } from '../../../shared-libs/couch/index.js';
import { getDoc, isConflict, isNotFound, prefixRange } from '../../../shared-libs/couch/index.js';
import { applyReportedState, findTask, recordReport } from '../../../shared-libs/task-utils/index.js';
import type { MessageDoc, MessageState, Task } from '../../../shared-libs/task-utils/types.js';
import { PARKED_DOC_PREFIX } from '../listings/rows.js';
import { INCOMING_PREFIX } from '../messages/incoming.js';
import type { StatusUpdateInput } from '../sms/types.js';
import type { DocUpdater } from '../store/doc-updater.js';
import { Batcher } from '../store/batcher.js';

/** The message a provider reference names. */
export interface GatewayRefTarget {
  docId: string;
  uuid: string;
}

/**
 * The message a provider reference names, from an index kept beside the views, exact as of the
 * call: the message, `null` for "none", `undefined` when that index cannot tell (CHT's view is
 * asked instead).
 */
export type RefLookup = (ref: string) => Promise<GatewayRefTarget | null | undefined>;

export type UpdateOutcome = 'applied' | 'duplicate' | 'stale' | 'recorded' | 'parked' | 'not_found';

export interface StatusUpdateObserver {
  onOutcome?(update: StatusUpdateInput, outcome: UpdateOutcome, task?: Task): void;
  onParkedChange?(delta: number): void;
}

interface ParkedReport {
  status: string;
  state?: MessageState;
  details?: StatusUpdateInput['details'];
  received_at: string;
}

interface ParkedDoc {
  _id: string;
  _rev?: string;
  type: 'sms_parked_reports';
  gateway_ref: string;
  reports: ParkedReport[];
}

/** How long a report may wait for its send result before it is dropped. */
export const PARKED_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export const PARKED_PREFIX = PARKED_DOC_PREFIX;
export const parkedDocId = (ref: string): string => `${PARKED_PREFIX}${ref}`;

export class StatusUpdates {
  constructor(
    private readonly db: Db,
    private readonly updater: DocUpdater,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
    private readonly observer: StatusUpdateObserver = {},
    /** Resolves a message uuid to its doc (medic-gateway updates carry uuids, not refs). */
    private readonly uuidLookup?: (uuid: string) => Promise<string | undefined>,
    private readonly refLookup?: RefLookup,
    /**
     * Which of these references have parked reports, from an index that knows every write without
     * waiting; `undefined` when it cannot tell (the documents are read instead).
     */
    private readonly parkedLookup?: (refs: string[]) => Promise<boolean[] | undefined>,
  ) {
    this.parkedLookups = new Batcher((refs) => this.readParked(refs), 500, 1);
  }

  /** Many sends' "anything parked for these references?" share one read. */
  private readonly parkedLookups: Batcher<string, ParkedDoc | undefined>;
  /** References whose send results this process is storing now: resolves once they are stored. */
  private readonly coming = new Map<string, Promise<void>>();

  /**
   * This process is about to store the send results holding these references: a report for one
   * of them waits for that write (milliseconds) instead of being parked. Call the function
   * returned once the results are stored, or their write failed.
   */
  resultsComing(refs: string[]): () => void {
    if (refs.length === 0) return () => undefined;
    let stored = (): void => undefined;
    const written = new Promise<void>((resolve) => {
      stored = resolve;
    });
    for (const ref of refs) this.coming.set(ref, written);
    return () => {
      for (const ref of refs) if (this.coming.get(ref) === written) this.coming.delete(ref);
      stored();
    };
  }

  private async readParked(refs: string[]): Promise<Array<ParkedDoc | undefined>> {
    const res = await this.db.allDocs({ keys: refs.map(parkedDocId), include_docs: true });
    return res.rows.map((row) => ('doc' in row && row.doc ? (row.doc as unknown as ParkedDoc) : undefined));
  }

  /** Applies each update; `saved` counts the updates that moved a message's state. */
  async apply(updates: StatusUpdateInput[]): Promise<{ saved: number; outcomes: UpdateOutcome[] }> {
    // Different messages in parallel; several updates for one message in the order given.
    const outcomes: UpdateOutcome[] = new Array(updates.length);
    const byMessage = new Map<string, number[]>();
    updates.forEach((u, i) => {
      const key = u.gatewayRef !== undefined ? `ref:${u.gatewayRef}` : `id:${u.messageId ?? i}`;
      byMessage.set(key, [...(byMessage.get(key) ?? []), i]);
    });
    await Promise.all(
      [...byMessage.values()].map(async (indexes) => {
        for (const i of indexes) outcomes[i] = await this.applyOne(updates[i] as StatusUpdateInput);
      }),
    );
    return { saved: outcomes.filter((o) => o === 'applied').length, outcomes };
  }

  async applyOne(update: StatusUpdateInput): Promise<UpdateOutcome> {
    const target = await this.resolve(update);
    if (!target) {
      if (!update.gatewayRef) {
        this.observer.onOutcome?.(update, 'not_found');
        return 'not_found';
      }
      await this.park(update.gatewayRef, update);
      // The send result may have landed while we parked: look again so nothing waits for a sweep.
      const late = await this.messageForRef(update.gatewayRef);
      if (late) await this.resolveParked([update.gatewayRef]);
      this.observer.onOutcome?.(update, 'parked');
      return 'parked';
    }
    return this.applyTo(target, update);
  }

  private async resolve(update: StatusUpdateInput): Promise<GatewayRefTarget | undefined> {
    if (update.gatewayRef) {
      const hit = await this.messageForRef(update.gatewayRef);
      const coming = hit ? undefined : this.coming.get(update.gatewayRef);
      if (!coming) return hit;
      await coming;
      return this.messageForRef(update.gatewayRef);
    }
    if (update.messageId && this.uuidLookup) {
      const docId = await this.uuidLookup(update.messageId);
      return docId ? { docId, uuid: update.messageId } : undefined;
    }
    return undefined;
  }

  /**
   * The message index knows every reference whose send result is stored (a LevelDB read, no medic
   * document); while it cannot tell, CHT's own view does (slower, and only then).
   */
  private async messageForRef(ref: string): Promise<GatewayRefTarget | undefined> {
    const indexed = await this.refLookup?.(ref);
    if (indexed !== undefined) return indexed ?? undefined;
    const res = await this.db.query('medic-sms/messages_by_gateway_ref', { key: ref, limit: 5 });
    const row = res.rows.find((r) => typeof r.value === 'string' && !r.id.startsWith(INCOMING_PREFIX));
    return row ? { docId: row.id, uuid: row.value as string } : undefined;
  }

  private async applyTo(target: GatewayRefTarget, update: StatusUpdateInput): Promise<UpdateOutcome> {
    let outcome = 'not_found' as UpdateOutcome;
    let touched: Task | undefined;
    const now = this.now();
    const result = await this.updater.update({
      docId: target.docId,
      apply: (doc: MessageDoc) => {
        const task = findTask(doc, target.uuid);
        touched = task;
        if (!task) {
          outcome = 'not_found';
          return false;
        }
        if (update.gatewayRef && task.previous_gateway_refs?.includes(update.gatewayRef)) {
          // A report for an attempt an operator has since retried: kept for audit; the new attempt decides.
          outcome = 'stale';
          const before = task.delivery_reports?.length ?? 0;
          const state = update.state ?? task.state ?? 'pending';
          recordReport(task, { state, status: update.status, details: update.details }, 'stale', now);
          return (task.delivery_reports?.length ?? 0) > before;
        }
        if (!update.state) {
          // A status we cannot map: kept for audit, the state does not move.
          outcome = 'recorded';
          const before = task.delivery_reports?.length ?? 0;
          recordReport(
            task,
            { state: task.state ?? 'pending', status: update.status, details: update.details },
            'stale',
            now,
          );
          const added = (task.delivery_reports?.length ?? 0) > before;
          // The record names no state: the status maps to none.
          if (added) delete task.delivery_reports?.at(-1)?.state;
          return added;
        }
        const r = applyReportedState(
          task,
          { state: update.state, details: update.details, gatewayRef: update.gatewayRef, status: update.status },
          now,
        );
        outcome = r;
        // A stale report still changes the doc: it is appended to delivery_reports for audit.
        return r !== 'duplicate';
      },
    });
    if (result.missing) outcome = 'not_found';
    if (outcome === 'stale') {
      this.logger.info(
        { gatewayRef: update.gatewayRef, status: update.status, current: touched?.state },
        'late status report kept for audit; state not moved back',
      );
    }
    this.observer.onOutcome?.(update, outcome, touched);
    return outcome;
  }

  private async park(ref: string, update: StatusUpdateInput): Promise<void> {
    const report: ParkedReport = {
      status: update.status,
      ...(update.state ? { state: update.state } : {}),
      ...(update.details !== undefined ? { details: update.details } : {}),
      received_at: this.now().toISOString(),
    };
    for (let attempt = 0; attempt < 8; attempt++) {
      const existing = await getDoc<ParkedDoc>(this.db, parkedDocId(ref));
      const created = !existing;
      const doc: ParkedDoc = existing ?? {
        _id: parkedDocId(ref),
        type: 'sms_parked_reports',
        gateway_ref: ref,
        reports: [],
      };
      if (
        doc.reports.some(
          (r) => r.status === report.status && JSON.stringify(r.details) === JSON.stringify(report.details),
        )
      )
        return;
      doc.reports.push(report);
      try {
        await this.db.put(doc);
        if (created) this.observer.onParkedChange?.(1);
        return;
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
    throw new Error(`Could not park a report for ${ref}`);
  }

  /** Applies parked reports whose reference is now known; returns how many were applied. */
  async resolveParked(refs: string[]): Promise<number> {
    if (refs.length === 0) return 0;
    const parked = await this.parkedLookup?.(refs);
    if (parked) refs = refs.filter((_, i) => parked[i]);
    if (refs.length === 0) return 0;
    const docs = await Promise.all(refs.map((r) => this.parkedLookups.submit(r)));
    let applied = 0;
    for (const doc of docs) {
      if (!doc) continue;
      const target = await this.messageForRef(doc.gateway_ref);
      if (!target) continue;
      for (const r of doc.reports) {
        const outcome = await this.applyTo(target, {
          gatewayRef: doc.gateway_ref,
          status: r.status,
          state: r.state,
          details: r.details,
        });
        if (outcome === 'applied') applied++;
      }
      try {
        await this.db.remove(doc._id, doc._rev as string);
        this.observer.onParkedChange?.(-1);
      } catch (err) {
        // Another report was parked meanwhile: the next pass applies it (idempotently).
        if (!isConflict(err) && !isNotFound(err)) throw err;
      }
    }
    return applied;
  }

  /** Sweep: every parked doc whose reference has arrived (e.g. recorded by another instance). */
  async sweepParked(maxAgeMs = PARKED_MAX_AGE_MS): Promise<{ applied: number; waiting: number; dropped: number }> {
    const res = await this.db.allDocs(prefixRange(PARKED_PREFIX));
    const refs = res.rows.map((r) => r.id.slice(PARKED_PREFIX.length));
    const applied = await this.resolveParked(refs);
    const after = await this.db.allDocs({ ...prefixRange(PARKED_PREFIX), include_docs: true });
    // Reports for references we never stored (e.g. another app on the same AT account) would
    // wait forever: after a week they are dropped, and the count is logged.
    const cutoff = this.now().getTime() - maxAgeMs;
    const stale = after.rows
      .map((r) => ('doc' in r ? (r.doc as unknown as ParkedDoc | null) : null))
      .filter((d): d is ParkedDoc => !!d && d.reports.every((rep) => Date.parse(rep.received_at) < cutoff));
    if (stale.length > 0) {
      await this.db.bulkDocs(stale.map((d) => ({ _id: d._id, _rev: d._rev, _deleted: true })));
      this.observer.onParkedChange?.(-stale.length);
      this.logger.warn(
        { dropped: stale.length },
        'dropped delivery reports parked for over a week: no message with their reference was ever stored',
      );
    }
    return { applied, waiting: after.rows.length - stale.length, dropped: stale.length };
  }
}

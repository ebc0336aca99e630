/**
 * The audit trail: who changed what, from where. Entries are docs in the medic database with
 * ids `sms-audit:<ISO time>:<random>`, so `allDocs` in descending order reads them newest first
 * without a view (ISO-8601 UTC timestamps sort as text). Kept `audit_log_days` (app setting,
 * default 90) and pruned in bulk at start-up and hourly.
 *
 * Entries name secrets (which credential was written) but never hold their values.
 */
import crypto from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Db } from '../../../shared-libs/couch/index.js';

export const AUDIT_PREFIX = 'sms-audit:';
export const DEFAULT_AUDIT_DAYS = 90;
const PRUNE_PAGE = 500;

export interface AuditEntry {
  /** ISO-8601 time of the change. */
  at: string;
  /** The administrator's name. */
  user: string;
  /** The client address (`req.ip`, honouring TRUST_PROXY). */
  address: string;
  /** What was done, e.g. `settings.update`, `credential.set`, `message.retry`, `channel.pause`. */
  action: string;
  /** What it was done to: a settings mode, a credential key, a message id, a channel. */
  target: string;
  /** What changed (never secret values); null when the action says it all. */
  changes: unknown;
}

/** Who did it and from where, as `record()` wants it. */
export interface AuditActor {
  user: string;
  address: string;
}

export function actorOf(req: FastifyRequest): AuditActor {
  return { user: req.admin?.name ?? 'unknown', address: req.ip };
}

interface AuditDoc extends AuditEntry {
  _id: string;
  _rev?: string;
  type: 'sms_audit';
}

export interface AuditQuery {
  /** Only entries at or after this time. */
  since?: Date;
  limit: number;
}

export class AuditLog {
  private pruneTimer?: NodeJS.Timeout;
  private pruning?: Promise<number>;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Stores one entry. Never throws: the change it describes has already happened, so a failed
   * audit write is logged at error level rather than turned into a failed request.
   */
  async record(actor: AuditActor, action: string, target: string, changes: unknown = null): Promise<void> {
    const at = this.now().toISOString();
    const doc: AuditDoc = {
      _id: `${AUDIT_PREFIX}${at}:${crypto.randomBytes(6).toString('hex')}`,
      type: 'sms_audit',
      at,
      user: actor.user,
      address: actor.address,
      action,
      target,
      changes: changes ?? null,
    };
    try {
      await this.db.put(doc);
    } catch (err) {
      this.logger.error({ err, action, target }, 'audit entry could not be stored');
    }
  }

  /** Newest first. */
  async list(q: AuditQuery): Promise<AuditEntry[]> {
    const res = await this.db.allDocs({
      descending: true,
      startkey: `${AUDIT_PREFIX}\ufff0`,
      endkey: q.since ? `${AUDIT_PREFIX}${q.since.toISOString()}` : AUDIT_PREFIX,
      limit: q.limit,
      include_docs: true,
    });
    return res.rows.flatMap((row) => {
      const doc = row.doc as unknown as AuditDoc | undefined;
      if (!doc) return [];
      const { at, user, address, action, target, changes } = doc;
      return [{ at, user, address, action, target, changes }];
    });
  }

  /** Deletes entries older than `days`, a page of ids at a time; returns how many. */
  async prune(days: number): Promise<number> {
    this.pruning ??= this.pruneOlderThan(new Date(this.now().getTime() - days * 86_400_000)).finally(() => {
      this.pruning = undefined;
    });
    return this.pruning;
  }

  private async pruneOlderThan(cutoff: Date): Promise<number> {
    let removed = 0;
    for (;;) {
      const end = `${AUDIT_PREFIX}${cutoff.toISOString()}`;
      const res = await this.db.allDocs({ startkey: AUDIT_PREFIX, endkey: end, limit: PRUNE_PAGE });
      const rows = res.rows.filter((r) => r.id < end);
      if (rows.length === 0) return removed;
      const results = await this.db.bulkDocs(rows.map((r) => ({ _id: r.id, _rev: r.value.rev, _deleted: true })));
      const failed = results.filter((r) => 'error' in r && r.error).length;
      removed += rows.length - failed;
      // A conflict means someone else pruned it meanwhile; anything else would loop, so stop.
      if (failed === rows.length) return removed;
      if (rows.length < PRUNE_PAGE) return removed;
    }
  }

  /** Prunes now and then every `everyMs` (hourly by default); `days` is read each time. */
  startPruning(days: () => number, everyMs = 3_600_000): void {
    if (this.pruneTimer) return;
    const run = (): void => {
      this.prune(days())
        .then((n) => {
          if (n > 0) this.logger.info({ removed: n }, 'old audit entries pruned');
        })
        .catch((err: unknown) => this.logger.error({ err }, 'pruning the audit log failed'));
    };
    run();
    this.pruneTimer = setInterval(run, everyMs);
    this.pruneTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.pruneTimer = undefined;
    await this.pruning?.catch(() => undefined);
  }
}

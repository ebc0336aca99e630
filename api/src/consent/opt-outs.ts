/**
 * The opt-out list: numbers that must not receive messages from a sender id (or from any sender).
 * One doc per entry, `sms-opt-out:<number>|<sender>` (shared-libs/sms-guards optOutKey), so an
 * entry is one key lookup and two instances adding the same number meet on one `_rev`. Removing
 * an entry (opting back in) keeps the doc and its history: who added and removed it, when, why.
 */
import type { Db } from '../../../shared-libs/couch/index.js';
import { normalize } from '../../../shared-libs/phone-number/index.js';
import { ANY_SENDER, optOutKey } from '../../../shared-libs/sms-guards/index.js';
import type { AppSettings } from '../settings/schema.js';
import { Batcher } from '../store/batcher.js';
import { KeyedDocs, type KeyedUpdate } from '../store/keyed-docs.js';

const PREFIX = 'sms-opt-out:';
/** Enough history to answer "why is this number blocked?" without letting a doc grow forever. */
const MAX_HISTORY = 50;
/** The count in monitoring and metrics is read at most this often. */
const COUNT_TTL_MS = 10_000;

export interface OptOutHistoryEntry {
  action: 'add' | 'remove';
  source: string;
  at: string;
}

export interface OptOutDoc {
  _id: string;
  _rev?: string;
  type: 'sms_opt_out';
  number: string;
  /** null: every sender. */
  sender_id: string | null;
  active: boolean;
  /** Who or what made the latest change. */
  source: string;
  at: string;
  history: OptOutHistoryEntry[];
  [field: string]: unknown;
}

export interface OptOutEntry {
  number: string;
  sender_id: string | null;
  source: string;
  at: string;
}

export interface OptOutRequest {
  number: string;
  /** Absent, null or blank: every sender. */
  senderId?: string | null;
  /** Shown in the list and the history: "<service id>: opt-out callback", "admin (jane)". */
  source: string;
}

export const optOutDocId = (number: string, senderId?: string | null): string =>
  `${PREFIX}${optOutKey(number, senderId)}`;

export class OptOutList {
  private readonly docs: KeyedDocs;
  private readonly lookups: Batcher<string, boolean>;
  private counted?: { at: number; value: Promise<number> };

  constructor(
    private readonly db: Db,
    private readonly settings: () => AppSettings,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.docs = new KeyedDocs(db);
    // Every message of a send shares one read: a batch of 100 is one allDocs of 200 keys.
    this.lookups = new Batcher((ids) => this.readActive(ids), 1000, 2);
  }

  /** E.164 when the number can be read with the app's phone settings, else trimmed as given. */
  normalise(number: string): string | false {
    const n = normalize(this.settings(), number);
    return n === false ? false : n;
  }

  /** Adds entries; `saved` counts the ones that were not already active. Unusable numbers are skipped. */
  async add(list: readonly OptOutRequest[]): Promise<{ saved: number }> {
    const changes = list.flatMap((req) => {
      const number = this.normalise(req.number);
      return number === false ? [] : [this.change(number, req.senderId, 'add', req.source)];
    });
    const results = await this.docs.updateAll(changes);
    this.counted = undefined;
    return { saved: results.filter(Boolean).length };
  }

  /** Opts a number back in; false when there was no active entry. */
  async remove(req: OptOutRequest): Promise<boolean> {
    const number = this.normalise(req.number);
    if (number === false) return false;
    const [removed] = await this.docs.updateAll([this.change(number, req.senderId, 'remove', req.source)]);
    this.counted = undefined;
    return removed === true;
  }

  private change(
    number: string,
    senderId: string | null | undefined,
    action: 'add' | 'remove',
    source: string,
  ): KeyedUpdate<OptOutDoc, boolean> {
    const sender = senderOf(senderId);
    const at = this.now().toISOString();
    return {
      id: optOutDocId(number, sender),
      apply: (current) => {
        const active = action === 'add';
        if ((current?.active ?? false) === active) return { result: false };
        const history = [...(current?.history ?? []), { action, source, at }].slice(-MAX_HISTORY);
        const next: OptOutDoc = {
          _id: optOutDocId(number, sender),
          type: 'sms_opt_out',
          number,
          sender_id: sender,
          active,
          source,
          at,
          history,
        };
        return { next, result: true };
      },
    };
  }

  /**
   * For each message, whether its recipient opted out of `senderId` (or of every sender).
   * Numbers are normalised first, so a message CHT stored in local form matches too.
   */
  async blocked(messages: ReadonlyArray<{ to: string }>, senderId?: string | null): Promise<boolean[]> {
    const sender = senderOf(senderId);
    return Promise.all(
      messages.map(async (m) => {
        const to = this.normalise(m.to) || m.to.trim();
        const keys = [optOutDocId(to), ...(sender ? [optOutDocId(to, sender)] : [])];
        const hits = await Promise.all(keys.map((k) => this.lookups.submit(k)));
        return hits.some(Boolean);
      }),
    );
  }

  private async readActive(ids: string[]): Promise<boolean[]> {
    const docs = await this.docs.read<OptOutDoc>(ids);
    return docs.map((d) => d?.active === true);
  }

  /** Active entries, by number then sender. */
  async list(): Promise<OptOutEntry[]> {
    const out: OptOutEntry[] = [];
    for await (const doc of this.all()) {
      if (doc.active) out.push({ number: doc.number, sender_id: doc.sender_id, source: doc.source, at: doc.at });
    }
    return out;
  }

  /** How many entries are active (cached briefly: monitoring and metrics poll it). */
  count(): Promise<number> {
    const t = this.now().getTime();
    if (!this.counted || t - this.counted.at > COUNT_TTL_MS) {
      const value = (async () => {
        let n = 0;
        for await (const doc of this.all()) if (doc.active) n++;
        return n;
      })();
      this.counted = { at: t, value };
      value.catch(() => {
        this.counted = undefined;
      });
    }
    return this.counted.value;
  }

  private async *all(page = 500): AsyncGenerator<OptOutDoc> {
    let startkey = PREFIX;
    for (;;) {
      const res = await this.db.allDocs({ startkey, endkey: `${PREFIX}\ufff0`, limit: page + 1, include_docs: true });
      for (const row of res.rows.slice(0, page)) {
        const doc = row.doc as unknown as OptOutDoc | undefined;
        if (doc?.type === 'sms_opt_out') yield doc;
      }
      if (res.rows.length <= page) return;
      startkey = res.rows[page]?.id as string;
    }
  }
}

/** The sender part as the list shows it: null for every sender. */
export const senderOf = (senderId: string | null | undefined): string | null =>
  senderId?.trim() && senderId.trim() !== ANY_SENDER ? senderId.trim() : null;

/**
 * Incoming SMS become CHT `data_record` docs shaped as `records.createByForm` makes them. The doc
 * id is derived from the gateway's message id, so a retried webhook (even concurrent copies)
 * meets a 409 and is answered `saved: 0`: dedupe without a check-then-insert race.
 */
import { bulkError, isConflict, type Db } from '../../../shared-libs/couch/index.js';
import { normalize } from '../../../shared-libs/phone-number/index.js';
import type { MessageDoc } from '../../../shared-libs/task-utils/types.js';
import type { IncomingInput } from '../sms/types.js';
import type { AppSettings } from '../settings/schema.js';
import { Batcher } from '../store/batcher.js';

export const INCOMING_PREFIX = 'sms-in:';
export const incomingDocId = (gatewayId: string): string => `${INCOMING_PREFIX}${gatewayId}`;

/** CHT smsparser.getFormCode: Muvuku `1!CODE!…` or the first token, upper-cased. */
export function formCode(message: string): string | undefined {
  const cleaned = message.replace(/[\u200B-\u200D\uFEFF]/g, '');
  const parts = cleaned.split('!');
  if (parts.length >= 3 && parts[1]) return parts[1].trim().toUpperCase() || undefined;
  const first = cleaned.trim().split(/[\s!\-,:#]/)[0];
  return first ? first.toUpperCase() : undefined;
}

export function buildIncomingRecord(input: IncomingInput, settings: AppSettings, now: Date): MessageDoc {
  const code = formCode(input.content);
  const forms = settings.forms ?? {};
  const known = code !== undefined && Object.prototype.hasOwnProperty.call(forms, code);
  const errors: Array<{ code: string; message: string }> = [];
  if (!input.content.trim()) {
    errors.push({ code: 'sys.empty', message: 'Message appears empty.' });
  } else if (!known && settings.forms_only_mode === true) {
    errors.push({ code: 'sys.form_not_found', message: `Form '${code ?? ''}' not found.` });
  }
  const doc: MessageDoc = {
    _id: incomingDocId(input.gatewayId),
    type: 'data_record',
    from: normalize(settings, input.from) || input.from,
    errors,
    tasks: [],
    fields: {},
    reported_date: now.getTime(),
    sms_message: {
      type: 'sms_message',
      message: input.content,
      ...(code ? { form: code } : {}),
      from: input.from,
      gateway_ref: input.gatewayId,
      ...(input.extra ?? {}),
    },
  };
  if (known) doc.form = code;
  return doc;
}

export class IncomingMessages {
  private readonly creates: Batcher<MessageDoc, 'created' | 'duplicate'>;

  constructor(
    private readonly db: Db,
    private readonly settings: () => AppSettings,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.creates = new Batcher((docs) => this.createMany(docs), 250, 2);
  }

  /** Stores each message once; returns how many were new. */
  async save(messages: IncomingInput[]): Promise<{ saved: number; ids: string[] }> {
    const settings = this.settings();
    const now = this.now();
    const docs = messages.map((m) => buildIncomingRecord(m, settings, now));
    const results = await Promise.all(docs.map((d) => this.creates.submit(d)));
    return {
      saved: results.filter((r) => r === 'created').length,
      ids: docs.filter((_, i) => results[i] === 'created').map((d) => d._id),
    };
  }

  private async createMany(docs: MessageDoc[]): Promise<Array<'created' | 'duplicate'>> {
    // Two copies of one id in the same batch: only the first goes to the database.
    const seen = new Map<string, number>();
    const unique: MessageDoc[] = [];
    const slot: number[] = docs.map((d) => {
      const prior = seen.get(d._id);
      if (prior !== undefined) return -1;
      seen.set(d._id, unique.length);
      unique.push(d);
      return unique.length - 1;
    });
    const results = await this.db.bulkDocs(unique as unknown as PouchDB.Core.PutDocument<object>[]);
    const outcome = results.map((r) => {
      const err = bulkError(r);
      if (!err) return 'created' as const;
      if (isConflict(err)) return 'duplicate' as const;
      throw new Error(`Saving an incoming message failed: ${err.message ?? err.name}`);
    });
    return slot.map((s) => (s < 0 ? 'duplicate' : (outcome[s] as 'created' | 'duplicate')));
  }
}

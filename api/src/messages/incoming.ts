/**
 * Incoming SMS become CHT `data_record` docs shaped as `records.createByForm` makes them. The doc
 * id is derived from the gateway's message id, so a retried webhook (even concurrent copies)
 * meets a 409 and is answered `saved: 0`: dedupe without a check-then-insert race. A message
 * that also carries a secondary key (one message reaching us by two ways under ids of different
 * forms) is first matched through its key doc (messages/secondary-keys.ts), which names the
 * gateway id its record is stored under.
 */
import { bulkError, isConflict, type Db } from '../../../shared-libs/couch/index.js';
import { normalize } from '../../../shared-libs/phone-number/index.js';
import type { MessageDoc } from '../../../shared-libs/task-utils/types.js';
import type { IncomingInput } from '../sms/types.js';
import type { AppSettings } from '../settings/schema.js';
import { Batcher } from '../store/batcher.js';
import { SecondaryKeys } from './secondary-keys.js';

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

interface Arrival {
  input: IncomingInput;
  settings: AppSettings;
  now: Date;
}

type Outcome = 'created' | 'duplicate';

export class IncomingMessages {
  private readonly creates: Batcher<Arrival, { outcome: Outcome; id: string }>;
  private readonly secondary: SecondaryKeys;

  constructor(
    private readonly db: Db,
    private readonly settings: () => AppSettings,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.creates = new Batcher((arrivals) => this.createMany(arrivals), 250, 2);
    this.secondary = new SecondaryKeys(db);
  }

  /**
   * Stores each message once; returns how many were new, the ids of the new records, and the
   * record each message is (new or already stored), in order.
   */
  async save(messages: IncomingInput[]): Promise<{ saved: number; ids: string[]; records: string[] }> {
    const settings = this.settings();
    const now = this.now();
    const results = await Promise.all(messages.map((input) => this.creates.submit({ input, settings, now })));
    return {
      saved: results.filter((r) => r.outcome === 'created').length,
      ids: results.filter((r) => r.outcome === 'created').map((r) => r.id),
      records: results.map((r) => r.id),
    };
  }

  private async createMany(arrivals: Arrival[]): Promise<Array<{ outcome: Outcome; id: string }>> {
    const refs = await this.secondary.resolve(arrivals.map((a) => a.input));
    const docs = arrivals.map((a, i) =>
      buildIncomingRecord({ ...a.input, gatewayId: refs[i] ?? a.input.gatewayId }, a.settings, a.now),
    );
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
    const outcome = results.map((r): Outcome => {
      const err = bulkError(r);
      if (!err) return 'created';
      if (isConflict(err)) return 'duplicate';
      throw new Error(`Saving an incoming message failed: ${err.message ?? err.name}`);
    });
    return slot.map((s, i) => ({ outcome: s < 0 ? 'duplicate' : (outcome[s] as Outcome), id: docs[i]?._id as string }));
  }
}

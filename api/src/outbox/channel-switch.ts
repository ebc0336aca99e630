/**
 * The operator's switch for all sending (https://github.com/medic/cht-core/issues/3180: a
 * misbehaving gateway could not be stopped). Kept in one doc, `sms-channel`, in the medic
 * database, so it survives restarts and holds for every instance on one CouchDB; each instance
 * follows that doc through the changes feed (as settings/settings.ts follows `settings`).
 * While paused the outbox claims nothing and the pull hand-out gives out nothing; incoming
 * messages and delivery reports keep flowing. Unlike the circuit (circuit.ts), which the outbox
 * opens and closes by itself, only an operator moves this.
 */
import type { Logger } from 'pino';
import type { Db } from '../../../shared-libs/couch/index.js';
import { follow, getDoc, isConflict, type Follower } from '../../../shared-libs/couch/index.js';
import { ConflictError } from '../errors.js';

export const CHANNEL_DOC_ID = 'sms-channel';

export interface ChannelSwitchState {
  paused: boolean;
  reason: string | null;
  /** The administrator who last moved the switch. */
  by: string | null;
  /** When it was last moved (ISO). */
  at: string | null;
}

interface ChannelDoc extends ChannelSwitchState {
  _id: string;
  _rev?: string;
  type: 'sms_channel';
}

/** What the outbox and the hand-out need of the switch. */
export interface ChannelSwitchReader {
  get(): ChannelSwitchState;
  onChange(fn: (state: ChannelSwitchState) => void): () => void;
}

const OPEN: ChannelSwitchState = { paused: false, reason: null, by: null, at: null };

const stateOf = (doc: ChannelDoc | undefined): ChannelSwitchState => {
  if (!doc) return { ...OPEN };
  return { paused: doc.paused === true, reason: doc.reason ?? null, by: doc.by ?? null, at: doc.at ?? null };
};

export class ChannelSwitch implements ChannelSwitchReader {
  private current: ChannelSwitchState;
  private readonly listeners = new Set<(state: ChannelSwitchState) => void>();
  private feed?: Follower;
  private reloading: Promise<void> = Promise.resolve();

  private constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly now: () => Date,
    initial: ChannelSwitchState,
    private readonly since: string | number,
  ) {
    this.current = initial;
  }

  static async open(db: Db, logger: Logger, now: () => Date = () => new Date()): Promise<ChannelSwitch> {
    const since = (await db.info()).update_seq;
    const state = stateOf(await getDoc<ChannelDoc>(db, CHANNEL_DOC_ID));
    if (state.paused) logger.warn({ by: state.by, at: state.at, reason: state.reason }, 'SMS sending is paused');
    return new ChannelSwitch(db, logger, now, state, since);
  }

  get(): ChannelSwitchState {
    return { ...this.current };
  }

  onChange(fn: (state: ChannelSwitchState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Follows the switch doc: another instance's change applies here as soon as the feed brings it. */
  start(): void {
    if (this.feed) return;
    this.feed = follow(this.db, {
      since: this.since,
      doc_ids: [CHANNEL_DOC_ID],
      onChange: (change) => {
        if (change.id === CHANNEL_DOC_ID) this.reload();
      },
      onError: (err, retryInMs) => this.logger.error({ err, retryInMs }, 'channel switch feed failed; resuming'),
    });
  }

  stop(): void {
    this.feed?.cancel();
    this.feed = undefined;
  }

  /** Pauses or resumes all sending; stored before it applies here, so every instance agrees. */
  async set(paused: boolean, reason: string | undefined, by: string): Promise<ChannelSwitchState> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await getDoc<ChannelDoc>(this.db, CHANNEL_DOC_ID);
      const next: ChannelDoc = {
        ...(existing ?? {}),
        _id: CHANNEL_DOC_ID,
        type: 'sms_channel',
        paused,
        reason: reason ?? null,
        by,
        at: this.now().toISOString(),
      };
      try {
        await this.db.put(next);
        this.apply(stateOf(next));
        return this.get();
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
    throw new ConflictError('The channel switch is being changed concurrently; try again');
  }

  /** One read at a time, so an older read never lands after a newer one. */
  private reload(): void {
    this.reloading = this.reloading
      .then(() => getDoc<ChannelDoc>(this.db, CHANNEL_DOC_ID))
      .then((doc) => this.apply(stateOf(doc)))
      .catch((err: unknown) => this.logger.error({ err }, 'reading the channel switch failed'));
  }

  private apply(state: ChannelSwitchState): void {
    const before = this.current;
    this.current = state;
    if (before.paused === state.paused && before.at === state.at) return;
    if (before.paused !== state.paused) {
      const what = state.paused ? 'SMS sending paused by an operator' : 'SMS sending resumed by an operator';
      this.logger.warn({ by: state.by, reason: state.reason }, what);
    }
    for (const fn of this.listeners) {
      try {
        fn(this.get());
      } catch (err) {
        this.logger.error({ err }, 'channel switch listener failed');
      }
    }
  }
}

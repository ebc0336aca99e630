/**
 * The pull hand-out: a gateway that fetches its own work (medic-gateway) gets the oldest waiting
 * messages, each marked `forwarded-to-gateway` with a compare-and-swap on its document, so two
 * polls never take the same message unless the first never reported back (CHT re-offers
 * `forwarded-to-gateway` messages until the gateway answers, and so do we).
 */
import type { Db } from '../../../shared-libs/couch/index.js';
import { normalize } from '../../../shared-libs/phone-number/index.js';
import { findTask, setTaskState } from '../../../shared-libs/task-utils/index.js';
import type { MessageDoc } from '../../../shared-libs/task-utils/types.js';
import type { AppSettings } from '../settings/schema.js';
import type { HandedOutMessage } from '../sms/types.js';
import type { DocUpdater } from '../store/doc-updater.js';

export interface HandOutDeps {
  db: Db;
  updater: DocUpdater;
  settings: () => AppSettings;
  now: () => Date;
  /** An operator paused all sending (channel-switch.ts): hand out nothing. */
  paused?: () => boolean;
}

export async function handOut(deps: HandOutDeps, limit: number): Promise<HandedOutMessage[]> {
  if (deps.paused?.()) return [];
  const res = await deps.db.query('medic/messages_by_state', {
    startkey: ['pending-or-forwarded', 0],
    endkey: ['pending-or-forwarded', '\ufff0'],
    limit,
  });
  const now = deps.now();
  const settings = deps.settings();
  const out = await Promise.all(
    res.rows.map(async (row) => {
      const v = row.value as { id?: string; to?: string; content?: string };
      if (!v.id || !v.to || !v.content) return undefined;
      const uuid = v.id;
      let offered = false;
      await deps.updater.update({
        docId: row.id,
        apply: (doc: MessageDoc) => {
          const task = findTask(doc, uuid);
          // Re-checked on the fresh doc: a status may have landed since the view was read.
          offered = task?.state === 'pending' || task?.state === 'forwarded-to-gateway';
          return offered && setTaskState(task as NonNullable<typeof task>, 'forwarded-to-gateway', undefined, undefined, now);
        },
      });
      // CHT normalises `to` for the gateway and passes unusable numbers through raw.
      return offered ? { id: uuid, to: normalize(settings, v.to) || v.to, content: v.content } : undefined;
    }),
  );
  return out.filter((m): m is HandedOutMessage => !!m);
}

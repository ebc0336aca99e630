/**
 * CHT's due-tasks rule (shared-libs/transitions/src/schedule/due_tasks.js): scheduled tasks due
 * in the last 7 days become `pending`, only inside the messaging window
 * (schedule_morning/evening_hours, server local time), and only while still `scheduled`
 * (cht-core #10802: never reset a task that has already moved on). Tasks without generated
 * messages (translation keys) are left for CHT's sentinel, which can render them.
 */
import type { Logger } from 'pino';
import { setTaskState } from '../../../shared-libs/task-utils/index.js';
import type { MessageDoc } from '../../../shared-libs/task-utils/types.js';
import type { AppSettings } from '../settings/schema.js';
import type { DocUpdater } from '../store/doc-updater.js';

const WEEK_MS = 7 * 24 * 3600 * 1000;

export function inMessagingWindow(settings: AppSettings, now: Date): boolean {
  const minutes = now.getHours() * 60 + now.getMinutes();
  const start = (settings.schedule_morning_hours ?? 0) * 60 + (settings.schedule_morning_minutes ?? 0);
  // CHT treats an evening hour of 0 as unset.
  const eveningHours = settings.schedule_evening_hours || 23;
  const end = eveningHours * 60 + (settings.schedule_evening_minutes ?? 0);
  return minutes >= start && minutes <= end;
}

/** Moves a doc's due scheduled tasks to `pending`; returns how many. A pure doc mutation. */
export function promoteDueTasks(doc: MessageDoc, now: Date): number {
  const t = now.getTime();
  let n = 0;
  for (const task of doc.scheduled_tasks ?? []) {
    if (task.state !== 'scheduled' || !task.due) continue;
    const due = Date.parse(task.due);
    if (!(due <= t && due >= t - WEEK_MS)) continue;
    const ready = task.messages?.some(
      (m) => m.uuid && m.to && typeof m.message === 'string' && m.message.trim() !== '',
    );
    if (!ready) continue;
    setTaskState(task, 'pending', undefined, undefined, now);
    n++;
  }
  return n;
}

/** For docs with open work (from the outbox index): promote their due scheduled tasks. */
export async function promoteDueScheduled(
  docs: MessageDoc[],
  updater: DocUpdater,
  settings: AppSettings,
  now: Date,
  logger: Logger,
): Promise<number> {
  if (!inMessagingWindow(settings, now)) return 0;
  // Decide on the copy we have, then apply to a fresh copy through the CAS path.
  const due = docs.filter((d) => promoteDueTasks(structuredClone(d), now) > 0);
  let promoted = 0;
  await Promise.all(
    due.map(async (doc) => {
      const count = { n: 0 };
      await updater
        .update({
          docId: doc._id,
          apply: (fresh: MessageDoc) => {
            count.n = promoteDueTasks(fresh, now);
            return count.n > 0;
          },
        })
        .catch((err: unknown) => logger.error({ err, docId: doc._id }, 'promoting scheduled messages failed'));
      promoted += count.n;
    }),
  );
  if (promoted > 0) logger.info({ promoted }, 'scheduled messages are due and now pending');
  return promoted;
}

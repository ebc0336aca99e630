/**
 * CHT's due-tasks rule (shared-libs/transitions/src/schedule/due_tasks.js): scheduled tasks due
 * in the last 7 days become `pending`, only inside the messaging window
 * (schedule_morning/evening_hours, server local time), and only while still `scheduled`
 * (cht-core #10802: never reset a task that has already moved on). Tasks without generated
 * messages (translation keys) are left for CHT's sentinel, which can render them.
 */
import type { Logger } from 'pino';
import type { Db } from '../../../../shared-libs/couch/index.js';
import { setTaskState } from '../../../../shared-libs/task-utils/index.js';
import type { MessageDoc } from '../../../../shared-libs/task-utils/types.js';
import type { AppSettings } from '../settings-schema.js';
import type { DocUpdater } from './doc-updater.js';

const WEEK_MS = 7 * 24 * 3600 * 1000;

export function inMessagingWindow(settings: AppSettings, now: Date): boolean {
  const minutes = now.getHours() * 60 + now.getMinutes();
  const start = (settings.schedule_morning_hours ?? 0) * 60 + (settings.schedule_morning_minutes ?? 0);
  // CHT treats an evening hour of 0 as unset.
  const eveningHours = settings.schedule_evening_hours || 23;
  const end = eveningHours * 60 + (settings.schedule_evening_minutes ?? 0);
  return minutes >= start && minutes <= end;
}

export async function promoteDueScheduled(db: Db, updater: DocUpdater, settings: AppSettings, now: Date, logger: Logger): Promise<number> {
  if (!inMessagingWindow(settings, now)) return 0;
  const t = now.getTime();
  const res = await db.query('medic/messages_by_state', {
    startkey: ['scheduled', t - WEEK_MS],
    endkey: ['scheduled', t],
  });
  const docIds = [...new Set(res.rows.map((r) => r.id))];
  let promoted = 0;
  await Promise.all(
    docIds.map(async (docId) => {
      const count = { n: 0 };
      await updater
        .update({
          docId,
          apply: (doc: MessageDoc) => {
            count.n = 0;
            for (const task of doc.scheduled_tasks ?? []) {
              if (task.state !== 'scheduled' || !task.due) continue;
              const due = Date.parse(task.due);
              if (!(due <= t && due >= t - WEEK_MS)) continue;
              const ready = task.messages?.some((m) => m.uuid && m.to && typeof m.message === 'string' && m.message.trim() !== '');
              if (!ready) continue;
              setTaskState(task, 'pending', undefined, undefined, now);
              count.n++;
            }
            return count.n > 0;
          },
        })
        .catch((err: unknown) => logger.error({ err, docId }, 'promoting scheduled messages failed'));
      promoted += count.n;
    }),
  );
  if (promoted > 0) logger.info({ promoted }, 'scheduled messages are due and now pending');
  return promoted;
}

/**
 * The pull hand-out: a gateway that fetches its own work (medic-gateway) gets the oldest waiting
 * messages, each marked `forwarded-to-gateway` with a compare-and-swap on its document, so two
 * polls never take the same message unless the first never reported back (CHT re-offers
 * `forwarded-to-gateway` messages until the gateway answers, and so do we).
 *
 * The waiting messages come from the message index (pending and forwarded-to-gateway by due time,
 * the order of CHT's medic/messages_by_state `pending-or-forwarded` key), once it has caught up
 * with the poll, so a status the same poll applied is already seen. The outbox's open-work index
 * lists the same documents, but unordered: finding the oldest would mean reading all of them.
 */
import type { Logger } from 'pino';
import type { Db } from '../../../shared-libs/couch/index.js';
import { normalize } from '../../../shared-libs/phone-number/index.js';
import { findTask, setTaskState } from '../../../shared-libs/task-utils/index.js';
import type { MessageDoc } from '../../../shared-libs/task-utils/types.js';
import type { MessageIndex } from '../listings/indexer.js';
import { waitingForGateway } from '../listings/lookups.js';
import type { Hit } from '../listings/scan.js';
import type { AppSettings } from '../settings/schema.js';
import type { HandedOutMessage } from '../sms/types.js';
import type { DocUpdater } from '../store/doc-updater.js';

export interface HandOutDeps {
  db: Db;
  updater: DocUpdater;
  index: MessageIndex;
  settings: () => AppSettings;
  now: () => Date;
  logger?: Logger;
  /** An operator paused all sending (channel-switch.ts): hand out nothing. */
  paused?: () => boolean;
}

/** How long a poll waits for the index before answering with nothing (the gateway polls again). */
const INDEX_WAIT_MS = 5_000;
/** Rows a poll may pass over (messages with no number or text) before it answers. */
const MAX_EXAMINED = 500;

export async function handOut(deps: HandOutDeps, limit: number): Promise<HandedOutMessage[]> {
  if (deps.paused?.()) return [];
  try {
    await deps.index.readyForRead(INDEX_WAIT_MS);
  } catch (err) {
    deps.logger?.warn({ err }, 'message index not ready; nothing handed out this poll');
    return [];
  }
  const rows = waitingForGateway(deps.index, limit + 1);
  const out: HandedOutMessage[] = [];
  const now = deps.now();
  const settings = deps.settings();
  try {
    let examined = 0;
    while (out.length < limit && examined < MAX_EXAMINED) {
      const batch: Hit[] = [];
      while (batch.length < limit - out.length) {
        const hit = await rows.next();
        if (!hit) break;
        batch.push(hit);
      }
      if (batch.length === 0) break;
      examined += batch.length;
      const offered = await Promise.all(batch.map((hit) => offer(deps, hit, now, settings)));
      out.push(...offered.filter((m): m is HandedOutMessage => !!m));
    }
  } finally {
    await rows.close();
  }
  return out;
}

/** Marks one message forwarded-to-gateway (CAS); undefined when it can no longer be offered. */
async function offer(
  deps: HandOutDeps,
  hit: Hit,
  now: Date,
  settings: AppSettings,
): Promise<HandedOutMessage | undefined> {
  const uuid = hit.u as string;
  let offered: HandedOutMessage | undefined;
  await deps.updater.update({
    docId: hit.d,
    apply: (doc: MessageDoc) => {
      const task = findTask(doc, uuid);
      const msg = task?.messages?.find((m) => m.uuid === uuid);
      // Checked on the fresh doc: a status may have landed since the index was read.
      offered = undefined;
      if (!task || !msg?.to || !msg.message || (task.state !== 'pending' && task.state !== 'forwarded-to-gateway'))
        return false;
      // CHT normalises `to` for the gateway and passes unusable numbers through raw.
      offered = { id: uuid, to: normalize(settings, msg.to) || msg.to, content: msg.message };
      return setTaskState(task, 'forwarded-to-gateway', undefined, undefined, now);
    },
  });
  return offered;
}

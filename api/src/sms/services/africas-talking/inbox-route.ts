/**
 * `POST /api/v1/sms/africastalking/inbox-sync` (administrators): runs the inbox sync now, or
 * joins the run in progress, and answers what it fetched and stored.
 */
import { ConflictError, MisconfiguredError } from '../../../errors.js';
import { defineRoute, INBOX_SYNC_JOB, webhookPath, type InboxSyncResult } from '../../types.js';
import { ROUTE_PREFIX } from './routes.js';
import type { AtSettings } from './settings.js';

export const inboxSyncRoute = defineRoute<undefined, AtSettings>({
  method: 'POST',
  url: webhookPath(ROUTE_PREFIX, 'inbox-sync'),
  summary: 'Fetch the messages AT kept in its inbox now (missed callbacks); answers {fetched, saved}',
  auth: { kind: 'admin' },
  async handle(_req, ctx) {
    if (!ctx.settings) {
      throw new MisconfiguredError('Set sms.africas_talking.username before syncing the inbox');
    }
    const result = (await ctx.runJob(INBOX_SYNC_JOB)) as InboxSyncResult;
    if (result.skipped) throw new ConflictError(`Inbox sync not run: ${result.skipped}`);
    return { fetched: result.fetched, saved: result.saved };
  },
});

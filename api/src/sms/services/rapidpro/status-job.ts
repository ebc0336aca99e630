/**
 * The `status-poll` job: runs the status poll (status-poll.ts) every `sms.rapidpro.status_poll_seconds`
 * under the lease of a stored cursor, so one instance polls at a time and every instance honours
 * RapidPro's Retry-After.
 */
import type { JobContext, ServiceJob } from '../../types.js';
import { OUTGOING_KEY } from './client.js';
import type { RapidProSettings } from './settings.js';
import { StatusPollError, StatusPoller, Throttled, type PollCursor, type StatusPollResult } from './status-poll.js';

export const STATUS_POLL_JOB = 'status-poll';
const CURSOR = 'status-poll';

const nothing = (): StatusPollResult => ({ requests: 0, read: 0, saved: 0, done: 0, expired: 0, failed: 0 });

function readCursor(data: Readonly<Record<string, unknown>> | undefined): PollCursor {
  const notBefore = data?.notBefore;
  const tailAfter = data?.tailAfter;
  return {
    ...(typeof notBefore === 'string' ? { notBefore } : {}),
    ...(typeof tailAfter === 'string' ? { tailAfter } : {}),
  };
}

export async function pollStatuses(ctx: JobContext<RapidProSettings>): Promise<StatusPollResult> {
  const token = await ctx.credentials.get(OUTGOING_KEY);
  if (!token) throw new StatusPollError(`No API token configured: PUT /api/v1/credentials/${OUTGOING_KEY}`);
  // Renewed while the run goes on; long enough for a request at the timeout and its bookkeeping.
  const leaseMs = Math.max(60_000, ctx.timeoutMs * 4);
  const run = await ctx.core.withCursor(CURSOR, leaseMs, async (cursor) => {
    const state = readCursor(cursor.data);
    if (state.notBefore !== undefined && Date.parse(state.notBefore) > ctx.now().getTime()) {
      return {
        ...nothing(),
        skipped: `RapidPro asked to wait (Retry-After) until ${state.notBefore}`,
        throttledUntil: state.notBefore,
      };
    }
    let renewedAt = Date.now();
    const poller = new StatusPoller({
      ctx,
      core: ctx.core,
      token,
      onProgress: async () => {
        if (Date.now() - renewedAt < leaseMs / 2) return;
        renewedAt = Date.now();
        await cursor.save({ ...state });
      },
    });
    const position = (): PollCursor => (poller.tailAfter !== undefined ? { tailAfter: poller.tailAfter } : {});
    try {
      await poller.run(state);
    } catch (err) {
      if (!(err instanceof Throttled)) {
        await cursor.save(position()).catch(() => undefined);
        throw err;
      }
      const throttledUntil = err.until.toISOString();
      await cursor.save({ ...position(), notBefore: throttledUntil });
      ctx.logger.warn(
        { until: throttledUntil, requests: poller.result.requests },
        'RapidPro throttled the status poll (HTTP 429); waiting as asked',
      );
      return { ...poller.result, throttledUntil };
    }
    await cursor.save(position());
    const { requests, read, saved, done } = poller.result;
    if (requests > 0) ctx.logger.debug({ requests, read, saved, done }, 'RapidPro statuses polled');
    return poller.result;
  });
  if (!run.ran) return { ...nothing(), skipped: `another instance is polling (lease until ${run.heldUntil})` };
  return run.result;
}

export const statusPollJob: ServiceJob<RapidProSettings> = {
  name: STATUS_POLL_JOB,
  intervalMs: (settings) => settings.statusPollMs,
  run: pollStatuses,
};

/**
 * GET /api/v2/monitoring, unauthenticated as in CHT ("No authentication is required",
 * https://docs.communityhealthtoolkit.org/building/reference/api/): monitoring tools poll it
 * without credentials. Only counts and states are exposed, never numbers or texts. CHT's other v2
 * sections (sentinel backlog, replication, users) have no counterpart here; `messaging.outgoing`
 * keeps CHT's shape with https://github.com/medic/cht-core/issues/9002 fixed (see
 * api/src/observability/monitoring.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { ChannelState } from '../outbox/circuit.js';
import type { MonitoringService } from '../observability/monitoring.js';

export interface MonitoringRouteDeps {
  version: string;
  monitoring: MonitoringService;
  channelState: () => ChannelState;
  now: () => Date;
  /** More `sms` figures (balance, guards), merged into the section. */
  smsFigures?: () => Promise<Record<string, unknown>>;
  /** Messages awaiting a report for longer than sms.stuck_after_hours (the message index). */
  messageCounts?: { stuck(): Promise<number> };
}

export function monitoringRoutes(app: FastifyInstance, deps: MonitoringRouteDeps): void {
  app.get('/api/v2/monitoring', async () => {
    const m = deps.monitoring;
    const stuck = deps.messageCounts ? deps.messageCounts.stuck().catch(() => -1) : Promise.resolve(-1);
    const [total, sevenDays, lastHundred, sms, more, stuckCount] = await Promise.all([
      m.total(),
      m.sevenDays(),
      m.lastHundred(),
      m.smsFigures(),
      deps.smsFigures?.() ?? {},
      stuck,
    ]);
    return {
      // CHT's shapes: version {app, node, couchdb}, date {current, uptime} (no CouchDB version here).
      version: { app: deps.version, node: process.version },
      date: { current: deps.now().getTime(), uptime: process.uptime() },
      messaging: { outgoing: { total, seven_days: sevenDays, last_hundred: lastHundred } },
      sms: { channel: deps.channelState(), ...sms, ...more, stuck: stuckCount },
    };
  });
}

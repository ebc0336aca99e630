/**
 * GET /metrics: Prometheus text exposition. Unauthenticated like CHT's monitoring API (scrapers
 * such as cht-watchdog poll without credentials); it carries counts only, never numbers,
 * texts or keys. Restrict it at the network edge if that matters for a deployment.
 */
import type { FastifyInstance } from 'fastify';
import type { SmsMetrics } from '../observability/metrics.js';

export function metricsRoutes(app: FastifyInstance, metrics: SmsMetrics): void {
  app.get('/metrics', async (_req, reply) => {
    const text = await metrics.text();
    return reply.type(metrics.contentType).send(text);
  });
}

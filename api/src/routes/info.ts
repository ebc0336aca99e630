import type { FastifyInstance } from 'fastify';

export function infoRoutes(app: FastifyInstance, version: string): void {
  app.get('/api/info', async () => ({ version }));
}

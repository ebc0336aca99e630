/**
 * Composition root: read the environment once, open the databases, build the app, listen,
 * start the background work, and shut down gracefully on SIGTERM/SIGINT.
 */
import { compose } from './compose.js';
import { EnvError, readEnv } from './env.js';

async function main(): Promise<void> {
  let env;
  try {
    env = readEnv();
  } catch (err) {
    console.error(err instanceof EnvError ? err.message : err);
    process.exit(2);
  }
  const server = await compose({ env });
  const { logger } = server;
  if (server.generatedAdminPassword) {
    // Printed once, on the start that generated it; only its scrypt hash is stored (0600).
    console.log(
      `\nAdministrator: ${env.adminUser} / ${server.generatedAdminPassword}\n(shown once: only its hash is kept, in ${env.dataDir}/admin-password; ` +
        'delete that file for a new password, or set ADMIN_PASSWORD to choose your own)\n',
    );
  }
  await server.app.listen({ port: env.port, host: env.host });
  server.start();
  const addr = server.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : env.port;
  logger.info(
    {
      port,
      host: env.host,
      storage: server.dbs.mode,
      dataDir: server.dbs.mode === 'embedded' ? env.dataDir : undefined,
    },
    `listening on http://${env.host}:${port}`,
  );

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests and sends');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    server
      .close()
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error('fatal:', err instanceof Error ? err.message : err);
  process.exit(1);
});

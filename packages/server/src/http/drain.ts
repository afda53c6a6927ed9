import type { FastifyInstance } from 'fastify';

/**
 * Graceful shutdown: once `close()` begins, every answer carries `Connection: close`, so a keep-alive
 * client whose request was in flight cannot hold the stop open for the keep-alive timeout (72 s). The
 * server already refuses new connections and closes idle ones.
 */
export function installDrain(app: FastifyInstance): void {
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });
}

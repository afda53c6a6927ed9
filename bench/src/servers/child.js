// Shared life cycle of every process under test: start, report { type: 'ready', url } over IPC, stop
// cleanly on { type: 'stop' } (so --cpu-prof can write its profile) and never outlive the driver.

/**
 * @param {() => Promise<{ url: string, stop: () => Promise<void> }>} start
 * @param {(message: any) => Promise<unknown>} [onMessage] answers { type: 'measure', ... } style requests
 */
export async function serveChild(start, onMessage) {
  let running;
  const exit = async (code) => {
    try {
      await running?.stop();
    } finally {
      process.exit(code);
    }
  };
  // The driver died or closed the channel: a benchmark server must not linger.
  process.on('disconnect', () => void exit(0));
  process.on('SIGTERM', () => void exit(0));
  process.on('message', async (message) => {
    if (message?.type === 'stop') return exit(0);
    if (!onMessage) return;
    try {
      const result = await onMessage(message);
      process.send?.({ type: 'result', id: message.id, result });
    } catch (error) {
      process.send?.({ type: 'result', id: message.id, error: String(error?.stack ?? error) });
    }
  });
  try {
    running = await start();
    process.send?.({ type: 'ready', url: running.url });
  } catch (error) {
    process.send?.({ type: 'failed', error: String(error?.stack ?? error) });
    process.exit(1);
  }
}

import pg from 'pg';

/**
 * LISTEN on one dedicated connection (a pooled one would be handed to others between queries). A lost
 * connection is re-established with a growing pause, and `onReconnect` tells the caller it may have missed
 * notifications; the caller then looks for itself.
 */
export async function listenPostgres(
  url: string, channel: string, onNotify: (payload: string) => void, onReconnect: () => void,
): Promise<() => Promise<void>> {
  let client: pg.Client | undefined;
  let stopped = false;
  let pause = 100;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url });
    next.on('notification', (message) => {
      if (message.channel === channel) onNotify(message.payload ?? '');
    });
    next.on('error', () => retry(next));
    next.on('end', () => retry(next));
    await next.connect();
    // Listening alone must not keep a process alive (a Carnet left unclosed, a one-shot command).
    (next as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.();
    await next.query(`LISTEN "${channel.replace(/"/g, '""')}"`);
    client = next;
    pause = 100;
  };

  const retry = (broken: pg.Client) => {
    if (stopped || client !== broken) return;
    client = undefined;
    broken.end().catch(() => undefined);
    const attempt = () => {
      timer = undefined;
      if (stopped) return;
      connect().then(onReconnect, () => {
        pause = Math.min(pause * 2, 5000);
        timer = setTimeout(attempt, pause);
        timer.unref();
      });
    };
    timer = setTimeout(attempt, pause);
    timer.unref();
  };

  await connect();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    const last = client;
    client = undefined;
    await last?.end().catch(() => undefined);
  };
}

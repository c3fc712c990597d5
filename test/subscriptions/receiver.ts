import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local HTTP endpoint for rest-hook tests: records each POST and answers with the status it is told. */
export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
}

export interface Receiver {
  readonly url: string;
  /** Event notifications (and R4's empty POSTs), in arrival order. */
  readonly received: Received[];
  /**
   * Backport handshakes and heartbeats, kept apart (and answered at once with `signalStatus`), so that a
   * test counts the notifications it caused.
   */
  readonly signals: Received[];
  signalStatus: number;
  /** The status the next requests get (200 by default), or per path. */
  status: number;
  readonly statusByPath: Map<string, number>;
  /** While true, requests are recorded and left unanswered (an endpoint that hangs). */
  hold: boolean;
  /** What arrived at this path. */
  at(path: string): Received[];
  /** Resolves once `n` requests have arrived in all (for tests running the real background loops). */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const signals: Received[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const receiver: Receiver = {
    url: '', received, signals, signalStatus: 200, status: 200, statusByPath: new Map(), hold: false,
    at: (path) => received.filter((r) => r.path === path),
    waitFor(n, timeoutMs = 10_000) {
      if (received.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${received.length} of ${n} notifications arrived`)), timeoutMs);
        waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const entry = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json };
      if (signalType(json) === 'handshake' || signalType(json) === 'heartbeat') {
        signals.push(entry);
        res.statusCode = receiver.signalStatus;
        res.end();
        return;
      }
      received.push(entry);
      if (receiver.hold) {
        for (const w of waiters.filter((w) => received.length >= w.n)) w.resolve();
        return;
      }
      res.statusCode = receiver.statusByPath.get(req.url ?? '') ?? receiver.status;
      res.end();
      for (const w of waiters.filter((w) => received.length >= w.n)) w.resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (receiver as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

/** The SubscriptionStatus `type` of a notification Bundle (handshake, heartbeat, event-notification…). */
export function signalType(json: unknown): string | undefined {
  const status = (json as { entry?: { resource?: { parameter?: { name: string; valueCode?: string }[] } }[] } | undefined)?.entry?.[0]?.resource;
  return status?.parameter?.find((p) => p.name === 'type')?.valueCode;
}

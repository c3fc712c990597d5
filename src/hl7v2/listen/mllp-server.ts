import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { Log } from '../../fhir/context.js';
import type { Hl7Config } from '../config.js';
import type { Delivery, Hl7Gateway } from '../gateway/gateway.js';
import { frame, MllpDecoder, type FrameEvent } from './mllp-framing.js';

/**
 * The MLLP listener (plain TCP or TLS): many concurrent connections, kept alive; the frames of one
 * connection are answered in order, one ACK per frame, each sent only after the gateway committed (or
 * refused) the message. Bytes outside a frame close the connection.
 */

/** Frames waiting on one connection before the socket is paused (backpressure on a sender that does not wait). */
const MAX_QUEUED = 64;

export class MllpListener {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly gateway: Hl7Gateway,
    private readonly config: Hl7Config,
    private readonly log: Log,
  ) {}

  /** Starts listening; resolves with the bound port (use port 0 for any free port). */
  async listen(port: number, host: string): Promise<number> {
    const onSocket = (socket: net.Socket) => this.accept(socket);
    const server = this.config.tls
      ? tls.createServer({
        cert: readFileSync(this.config.tls.cert),
        key: readFileSync(this.config.tls.key),
        ...(this.config.tls.ca ? { ca: readFileSync(this.config.tls.ca), requestCert: true, rejectUnauthorized: true } : {}),
      }, onSocket)
      : net.createServer(onSocket);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err }, 'MLLP listener error'));
    const address = server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  get port(): number | undefined {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  /** Stops accepting, lets the messages being processed finish and answer, then closes every connection. */
  async close(graceMs = 5000): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    const settle = Promise.allSettled([...this.inFlight]);
    await Promise.race([settle, new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    if (this.config.idleTimeoutMs > 0) {
      socket.setTimeout(this.config.idleTimeoutMs, () => socket.end());
    }
    const decoder = new MllpDecoder(this.config.maxMessageBytes);
    let chain: Promise<void> = Promise.resolve();
    let queued = 0;
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;

    const answer = (delivery: Delivery) => {
      if (!socket.destroyed && socket.writable) socket.write(frame(delivery.ack));
    };
    const handle = async (event: Exclude<FrameEvent, { kind: 'garbage' }>) => {
      const delivery = event.kind === 'message' ? await this.gateway.receive(event.bytes) : this.gateway.oversized(event.head, event.size);
      answer(delivery);
    };

    socket.on('data', (chunk: Buffer) => {
      for (const event of decoder.push(chunk)) {
        if (event.kind === 'garbage') {
          this.log.warn({ remote, reason: event.reason }, 'MLLP framing error: connection closed');
          // Frames received before the garbage are still answered, then the connection is closed.
          void chain.then(() => socket.destroy());
          socket.pause();
          return;
        }
        queued++;
        if (queued >= MAX_QUEUED) socket.pause();
        const work = chain.then(() => handle(event)).catch((err: unknown) => {
          this.log.error({ err, remote }, 'MLLP message handling failed');
          socket.destroy();
        }).finally(() => {
          queued--;
          if (queued < MAX_QUEUED && socket.isPaused() && !socket.destroyed) socket.resume();
        });
        this.inFlight.add(work);
        void work.finally(() => this.inFlight.delete(work));
        chain = work;
      }
    });
    socket.on('error', (err) => this.log.info({ remote, code: (err as NodeJS.ErrnoException).code }, 'MLLP connection error'));
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (decoder.pending) this.log.info({ remote }, 'MLLP connection closed in the middle of a frame (nothing of it was stored)');
    });
  }
}

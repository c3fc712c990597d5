import net from 'node:net';
import { frame, MllpDecoder } from '../../src/hl7v2/listen/mllp-framing.js';

/**
 * A raw MLLP client for tests and the benchmark: sends exact bytes (even malformed ones) and reads ACK frames
 * in order. (@medplum/hl7's Hl7Client is used too, as a third-party client, where a well-formed message is enough.)
 */
export class RawMllpClient {
  private readonly decoder = new MllpDecoder(16 * 1024 * 1024);
  private readonly waiting: { resolve: (ack: string) => void; reject: (error: Error) => void }[] = [];
  private readonly received: string[] = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      for (const event of this.decoder.push(chunk)) {
        if (event.kind !== 'message') continue;
        const ack = event.bytes.toString('utf8');
        const waiter = this.waiting.shift();
        if (waiter) waiter.resolve(ack);
        else this.received.push(ack);
      }
    });
    socket.on('close', () => {
      this.closed = true;
      for (const waiter of this.waiting.splice(0)) waiter.reject(new Error('connection closed before the ACK'));
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawMllpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host }, () => resolve(new RawMllpClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes bytes as they are (a frame, or garbage). */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next ACK (in order of arrival). */
  nextAck(timeoutMs = 10_000): Promise<string> {
    const ready = this.received.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.closed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no ACK in time')), timeoutMs);
      this.waiting.push({
        resolve: (ack) => {
          clearTimeout(timer);
          resolve(ack);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  /** Sends one message in a frame and waits for its ACK. */
  async send(message: Buffer | string): Promise<string> {
    const text = Buffer.isBuffer(message) ? message : Buffer.from(message, 'utf8');
    this.write(Buffer.concat([Buffer.from([0x0b]), text, Buffer.from([0x1c, 0x0d])]));
    return this.nextAck();
  }

  /** Resolves when the server closes the connection. */
  whenClosed(timeoutMs = 5000): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

export { frame };

/** MSA-1 and MSA-2 of an ACK, and its first ERR as code and location (`OBX^3^5^1^1`), whatever its separators and ERR form. */
export function msa(ack: string): { code: string; controlId: string; segments: string[]; err?: { code: string; location: string } } {
  const segments = ack.split(/\r\n|\r|\n/).filter(Boolean);
  const fs = ack.charAt(3) || '|';
  const cs = ack.charAt(4) || '^';
  const ss = ack.charAt(7) || '&';
  const fields = (segments.find((s) => s.startsWith('MSA')) ?? '').split(fs);
  const errFields = segments.find((s) => s.startsWith('ERR'))?.split(fs);
  let err: { code: string; location: string } | undefined;
  if (errFields && errFields[2] !== undefined) {
    err = { code: (errFields[3] ?? '').split(cs)[0] ?? '', location: (errFields[2] ?? '').split(cs).join('^') };
  } else if (errFields) {
    // v2.3/2.4 ERR-1 (ELD): segment^sequence^field^code&text&table
    const eld = (errFields[1] ?? '').split(cs);
    err = { code: (eld[3] ?? '').split(ss)[0] ?? '', location: eld.slice(0, 3).filter(Boolean).join('^') };
  }
  return { code: fields[1] ?? '', controlId: fields[2] ?? '', segments, ...(err ? { err } : {}) };
}

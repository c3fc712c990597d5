import { CR, FS, VT } from '@medplum/hl7';

/**
 * A streaming MLLP frame decoder: <VT> message <FS><CR>. Unlike a decoder that looks only at the end of each
 * TCP chunk, it finds frames wherever chunks split them (a frame over many chunks, several frames in one
 * chunk, <FS> and <CR> in different chunks), bounds memory by a maximum message size, and reports bytes
 * outside any frame as garbage (the connection is then closed). Pure: no sockets.
 */

export type FrameEvent =
  | { readonly kind: 'message'; readonly bytes: Buffer }
  /** A frame larger than the limit: its first bytes (for the ACK to echo MSH) and its full size. */
  | { readonly kind: 'oversized'; readonly head: Buffer; readonly size: number }
  | { readonly kind: 'garbage'; readonly reason: string };

const HEAD_BYTES = 4096;

export class MllpDecoder {
  private state: 'between' | 'inside' | 'after-fs' | 'broken' = 'between';
  private parts: Buffer[] = [];
  private size = 0;
  private oversized = false;
  private head: Buffer = Buffer.alloc(0);

  constructor(private readonly maxMessageBytes: number) {}

  /** Feeds bytes; returns the events they complete, in order. After a garbage event, nothing more is decoded. */
  push(chunk: Buffer): FrameEvent[] {
    const events: FrameEvent[] = [];
    let i = 0;
    while (i < chunk.length && this.state !== 'broken') {
      if (this.state === 'between') {
        const b = chunk[i] as number;
        i++;
        if (b === VT) {
          this.state = 'inside';
          this.parts = [];
          this.size = 0;
          this.oversized = false;
          this.head = Buffer.alloc(0);
        } else if (b !== CR && b !== 0x0a && b !== 0x20 && b !== 0x09) {
          this.state = 'broken';
          events.push({ kind: 'garbage', reason: `byte 0x${b.toString(16).padStart(2, '0')} outside an MLLP frame (a frame starts with 0x0b)` });
        }
        continue;
      }
      if (this.state === 'after-fs') {
        const b = chunk[i] as number;
        if (b !== CR) {
          this.state = 'broken';
          events.push({ kind: 'garbage', reason: 'an MLLP frame must end with 0x1c 0x0d' });
          break;
        }
        i++;
        events.push(this.finish());
        continue;
      }
      // inside a frame: take bytes up to the next FS (or a stray VT, which means the previous frame was cut)
      let end = i;
      while (end < chunk.length && chunk[end] !== FS && chunk[end] !== VT) end++;
      this.append(chunk.subarray(i, end));
      if (end === chunk.length) break;
      if (chunk[end] === VT) {
        this.state = 'broken';
        events.push({ kind: 'garbage', reason: 'a new MLLP frame started before the previous one ended (0x0b inside a frame)' });
        break;
      }
      this.state = 'after-fs';
      i = end + 1;
    }
    return events;
  }

  /** Bytes of an unfinished frame are pending (used to tell a clean close from a cut one). */
  get pending(): boolean {
    return this.state === 'inside' || this.state === 'after-fs';
  }

  private append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.size += bytes.length;
    if (this.oversized) return;
    if (this.size > this.maxMessageBytes) {
      // Keep only the head (for MSH) and count the rest: memory stays bounded whatever the sender does.
      this.head = Buffer.concat([...this.parts, bytes]).subarray(0, HEAD_BYTES);
      this.parts = [];
      this.oversized = true;
      return;
    }
    this.parts.push(Buffer.from(bytes));
  }

  private finish(): FrameEvent {
    this.state = 'between';
    if (this.oversized) return { kind: 'oversized', head: this.head, size: this.size };
    const bytes = Buffer.concat(this.parts);
    this.parts = [];
    return { kind: 'message', bytes };
  }
}

/** Wraps a message in an MLLP frame. */
export function frame(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const out = Buffer.alloc(body.length + 3);
  out[0] = VT;
  body.copy(out, 1);
  out[body.length + 1] = FS;
  out[body.length + 2] = CR;
  return out;
}

/** One progress line on stderr: rewritten in place on a terminal, printed every few seconds otherwise. */
export class Progress {
  private last = 0;
  private text = '';
  private printed = '';
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(private readonly label: string) {}

  update(text: string, force = false): void {
    this.text = text;
    const now = performance.now();
    const every = this.tty ? 250 : 5000;
    if (!force && now - this.last < every) return;
    this.last = now;
    if (this.tty) process.stderr.write(`\r\x1b[K  ${this.label}: ${text}`);
    else process.stderr.write(`  ${this.label}: ${text}\n`);
    this.printed = text;
  }

  end(): void {
    if (this.tty) process.stderr.write(`\r\x1b[K  ${this.label}: ${this.text}\n`);
    else if (this.printed !== this.text) process.stderr.write(`  ${this.label}: ${this.text}\n`);
  }
}

export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

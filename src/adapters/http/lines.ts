/**
 * Splits a byte stream into text lines as the bytes arrive (NDJSON, plain-text logs). Lines are cut on the
 * LF byte, which never occurs inside a multi-byte UTF-8 sequence, and decoded only once complete, so a
 * character split across two network chunks decodes correctly. A trailing CR is dropped, as is a UTF-8
 * byte-order mark at the start. Memory stays bounded: a line longer than `maxLineBytes` is not kept but
 * skipped up to its end and reported by its size.
 */
export class LineSplitter {
  private readonly onLine: (line: string) => void;
  private readonly onOverlong: (bytes: number) => void;
  private readonly maxLineBytes: number;
  /** Bytes of the line in progress, copied out of the chunks they came in. */
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** The line in progress is over the bound: its bytes are counted, not kept. */
  private skipping = false;
  private atStart = true;

  constructor(options: {
    onLine: (line: string) => void;
    /** A line longer than `maxLineBytes` was left out. */
    onOverlong: (bytes: number) => void;
    maxLineBytes: number;
  }) {
    this.onLine = options.onLine;
    this.onOverlong = options.onOverlong;
    this.maxLineBytes = Math.max(1, Math.floor(options.maxLineBytes));
  }

  push(chunk: Uint8Array): void {
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    while (start < buf.length) {
      const newline = buf.indexOf(10, start);
      if (newline === -1) {
        this.keep(buf, start, buf.length);
        return;
      }
      this.complete(buf, start, newline);
      start = newline + 1;
    }
  }

  /** The end of the stream: a last line without a newline is a line all the same. */
  end(): void {
    if (this.partBytes > 0 || this.skipping) this.complete(Buffer.alloc(0), 0, 0);
  }

  /** Bytes of an unfinished line held back (bounded by `maxLineBytes`). */
  get pending(): number {
    return this.skipping ? 0 : this.partBytes;
  }

  /** Drops the unfinished line (a stream cut short: its last line is not whole). */
  discard(): void {
    this.parts = [];
    this.partBytes = 0;
    this.skipping = false;
  }

  private keep(buf: Buffer, start: number, end: number): void {
    const size = end - start;
    if (size === 0) return;
    if (!this.skipping && this.partBytes + size > this.maxLineBytes) {
      this.skipping = true;
      this.parts = [];
    }
    if (!this.skipping) this.parts.push(Buffer.from(buf.subarray(start, end))); // a copy: the chunk is not retained
    this.partBytes += size;
  }

  private complete(buf: Buffer, start: number, newline: number): void {
    const first = this.atStart;
    this.atStart = false;
    const size = this.partBytes + (newline - start);
    if (this.skipping || size > this.maxLineBytes) {
      this.parts = [];
      this.partBytes = 0;
      this.skipping = false;
      this.onOverlong(size);
      return;
    }
    let line: string;
    if (this.parts.length === 0) {
      const end = newline > start && buf[newline - 1] === 13 ? newline - 1 : newline;
      line = buf.toString('utf8', start, end);
    } else {
      const whole = Buffer.concat([...this.parts, buf.subarray(start, newline)], size);
      this.parts = [];
      this.partBytes = 0;
      line = whole.toString('utf8', 0, whole.length > 0 && whole[whole.length - 1] === 13 ? size - 1 : size);
    }
    this.onLine(first && line.charCodeAt(0) === 0xfeff ? line.slice(1) : line);
  }
}

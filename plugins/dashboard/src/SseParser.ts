import { SdkCompatibility } from '@datawarehouse/sdk';

/** One parsed Server-Sent Event. @since 6.1.0 */
export interface SseEvent {
  /** The `event:` name, `message` when none was given. */
  readonly event: string;
  /** The `data:` lines joined with `\n`. */
  readonly data: string;
  /** The last `id:` seen, or `undefined`. */
  readonly id: string | undefined;
}

/**
 * An incremental parser of a `text/event-stream` body, as the WHATWG spec reads it: chunks may
 * split lines and events anywhere; `\r\n`, `\r` and `\n` end lines; comments and `retry:` are
 * skipped; an event with no `data:` line is not dispatched. Used by tests and the benchmark
 * (the page has the same logic in plain browser JavaScript).
 * @since 6.1.0
 */
@SdkCompatibility('6.0.0')
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private lastId: string | undefined;

  /** Feeds a chunk of text; returns the events it completed. */
  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      // A lone trailing `\r` may be the first half of `\r\n`: wait for the next chunk.
      if (m === null || (m[0] === '\r' && m.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.line(line, out);
    }
    return out;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.data.length > 0)
        out.push({ event: this.event || 'message', data: this.data.join('\n'), id: this.lastId });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
  }
}

import { describe, expect, it } from 'vitest';
import { SseParser } from './SseParser.js';
import { formatSseComment, formatSseEvent, formatSseRetry } from './sseFrame.js';

describe('formatSseEvent', () => {
  it('writes event, id and one data line per line of the data, then a blank line', () => {
    expect(formatSseEvent('delta', '{"a":1}')).toBe('event: delta\ndata: {"a":1}\n\n');
    expect(formatSseEvent(undefined, 'x\ny\r\nz', 7)).toBe('id: 7\ndata: x\ndata: y\ndata: z\n\n');
    expect(formatSseRetry(2000.7)).toBe('retry: 2000\n\n');
    expect(formatSseComment('a\nb')).toBe(': a b\n\n');
  });

  it('refuses an event name or id that would split the frame', () => {
    expect(() => formatSseEvent('a\nb', 'x')).toThrow(TypeError);
    expect(() => formatSseEvent('a', 'x', 'i\rd')).toThrow(TypeError);
  });
});

describe('SseParser', () => {
  it('reads back what formatSseEvent wrote, split into chunks anywhere', () => {
    const frames =
      formatSseRetry(100) +
      formatSseEvent('snapshot', '{"x":"é"}') +
      formatSseComment('ping') +
      formatSseEvent('delta', 'a\nb', 3) +
      formatSseEvent(undefined, '');
    for (let size = 1; size <= frames.length; size += 3) {
      const parser = new SseParser();
      const events = [];
      for (let i = 0; i < frames.length; i += size) events.push(...parser.push(frames.slice(i, i + size)));
      expect(events).toEqual([
        { event: 'snapshot', data: '{"x":"é"}', id: undefined },
        { event: 'delta', data: 'a\nb', id: '3' },
        { event: 'message', data: '', id: '3' },
      ]);
    }
  });

  it('handles CR and CRLF line ends, a CR split from its LF, fields without a space and events without data', () => {
    const parser = new SseParser();
    expect(parser.push('event:x\r')).toEqual([]);
    expect(parser.push('\ndata:1\r\rdata: 2\r\n\r\nevent: none\n\n')).toEqual([
      { event: 'x', data: '1', id: undefined },
      { event: 'message', data: '2', id: undefined },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { SseParser } from '../src/sse-parser';
import type { SseEvent } from '../src/sse-parser';

interface Parsed {
  events: SseEvent[];
  comments: string[];
  retries: number[];
}

function parse(chunks: Array<Uint8Array | string>): Parsed {
  const parsed: Parsed = { events: [], comments: [], retries: [] };
  const parser = new SseParser({
    event: (event) => parsed.events.push(event),
    comment: (text) => parsed.comments.push(text),
    retry: (ms) => parsed.retries.push(ms),
  });
  for (const chunk of chunks) parser.push(chunk);
  return parsed;
}

const encoder = new TextEncoder();

/** Every way of cutting `bytes` into two chunks, plus one chunk per byte. */
function splits(bytes: Uint8Array): Uint8Array[][] {
  const result: Uint8Array[][] = [[bytes]];
  for (let i = 1; i < bytes.length; i++) result.push([bytes.subarray(0, i), bytes.subarray(i)]);
  result.push(Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)));
  return result;
}

const STREAM = [
  ': heartbeat',
  'event: put',
  'id: 7',
  'data: {"flags":{"ünïcødé-🚩":true}}',
  '',
  'event: patch',
  'id: 8',
  'data: line one',
  'data: line two',
  '',
  'retry: 2500',
  'data:no-space',
  '',
  '',
].join('\n');

const EXPECTED: Parsed = {
  events: [
    { type: 'put', id: '7', data: '{"flags":{"ünïcødé-🚩":true}}' },
    { type: 'patch', id: '8', data: 'line one\nline two' },
    { type: 'message', id: '8', data: 'no-space' },
  ],
  comments: ['heartbeat'],
  retries: [2500],
};

describe('SseParser', () => {
  it('parses events, multi-line data, comments, ids and retry', () => {
    expect(parse([STREAM])).toEqual(EXPECTED);
  });

  it.each([
    ['\\n', '\n'],
    ['\\r\\n', '\r\n'],
    ['\\r', '\r'],
  ])('gives the same events whatever the chunk boundaries, with %s line ends', (_name, lineEnd) => {
    const bytes = encoder.encode(STREAM.replaceAll('\n', lineEnd));
    for (const chunks of splits(bytes)) expect(parse(chunks)).toEqual(EXPECTED);
  });

  it('never dispatches an event before its blank line has arrived', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser({ event: (event) => events.push(event) });
    parser.push('event: patch\ndata: {"a":1}\n');
    expect(events).toEqual([]);
    parser.push('\r');
    expect(events).toHaveLength(1);
    // The \n completing that \r\n must not end a second (empty) event or start a new line twice.
    parser.push('\ndata: x\n');
    expect(events).toHaveLength(1);
    parser.push('\n');
    expect(events.map((e) => e.data)).toEqual(['{"a":1}', 'x']);
  });

  it('treats \\r\\n split across chunks as one line break', () => {
    const parsed = parse(['data: a\r', '\n\r', '\n']);
    expect(parsed.events).toEqual([{ type: 'message', id: '', data: 'a' }]);
  });

  it('keeps a multi-byte character split across chunks intact', () => {
    const bytes = encoder.encode('data: 🚩é\n\n');
    const parsed = parse([bytes.subarray(0, 8), bytes.subarray(8, 11), bytes.subarray(11)]);
    expect(parsed.events[0]?.data).toBe('🚩é');
  });

  it('ignores a leading byte-order mark, unknown fields and a field-less blank event', () => {
    const parsed = parse(['\ufeffdata: a\nunknown: x\n\nevent: lonely\n\n']);
    expect(parsed.events).toEqual([{ type: 'message', id: '', data: 'a' }]);
  });

  it('resets the event type after each event but keeps the last id', () => {
    const parsed = parse(['event: put\nid: 3\ndata: a\n\ndata: b\n\nid\ndata: c\n\n']);
    expect(parsed.events).toEqual([
      { type: 'put', id: '3', data: 'a' },
      { type: 'message', id: '3', data: 'b' },
      { type: 'message', id: '', data: 'c' },
    ]);
  });

  it('ignores an id containing NUL and a non-numeric retry', () => {
    const parsed = parse(['id: 5\nid: 6\u0000\nretry: 1s\ndata: x\n\n']);
    expect(parsed.events[0]?.id).toBe('5');
    expect(parsed.retries).toEqual([]);
  });

  it('assembles a large event arriving in many small chunks', () => {
    const payload = 'x'.repeat(200_000);
    const text = `event: put\ndata: ${payload}\n\n`;
    const chunks: string[] = [];
    for (let i = 0; i < text.length; i += 997) chunks.push(text.slice(i, i + 997));
    const parsed = parse(chunks);
    expect(parsed.events).toHaveLength(1);
    expect(parsed.events[0]?.data).toBe(payload);
  });
});

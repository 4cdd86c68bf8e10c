import { describe, expect, it } from 'vitest';
import { parseSse } from '../src/sse';

describe('parseSse', () => {
  it('parses complete events and returns the unfinished rest', () => {
    const { events, rest } = parseSse('event: change\nid: 7\ndata: {"a":1}\n\nevent: change\ndata: {"a"');
    expect(events).toEqual([{ event: 'change', id: '7', data: '{"a":1}' }]);
    expect(rest).toBe('event: change\ndata: {"a"');
  });

  it('continues where the previous chunk stopped', () => {
    const first = parseSse('event: change\ndata: {"a"');
    const second = parseSse(`${first.rest}:2}\n\n`);
    expect(second.events).toEqual([{ event: 'change', data: '{"a":2}' }]);
    expect(second.rest).toBe('');
  });

  it('drops comments (heartbeats) and joins multi-line data', () => {
    const { events } = parseSse(': heartbeat\n\ndata: one\ndata: two\n\n');
    expect(events).toEqual([{ event: 'message', data: 'one\ntwo' }]);
  });

  it('accepts CRLF line endings', () => {
    const { events } = parseSse('event: change\r\ndata: x\r\n\r\n');
    expect(events).toEqual([{ event: 'change', data: 'x' }]);
  });
});

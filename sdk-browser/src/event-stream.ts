/**
 * Server-Sent Events read from a fetch() body. EventSource cannot send headers, so the client key would have
 * to travel in the URL (and from there into access logs); a fetch stream sends it in `Authorization`.
 */

/** Calls `onEvent` per complete event and `onBytes` per chunk (heartbeats included); ends with the body. */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  onEvent: (type: string, data: string) => void,
  onBytes: () => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  let type = '';
  let data: string[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    onBytes();
    const lines = (pending + decoder.decode(value, { stream: true })).split('\n');
    pending = lines.pop() as string;
    for (const rawLine of lines) {
      const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
      if (line === '') {
        if (data.length > 0) onEvent(type || 'message', data.join('\n'));
        type = '';
        data = [];
      } else if (line.startsWith('event:')) {
        type = line.slice(6).trim();
      } else if (line.startsWith('data:')) {
        data.push(line.slice(line[5] === ' ' ? 6 : 5));
      }
      // Comments (heartbeats), `id:` and `retry:` need no handling: the version travels in the data.
    }
  }
}

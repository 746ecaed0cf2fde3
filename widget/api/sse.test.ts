import { describe, expect, it } from 'vitest';
import { createSseParser, readEventStream, type ServerSentEvent } from './sse.ts';

describe('the event-stream parser', () => {
  it('reads events split anywhere, with CRLF, comments and multi-line data', () => {
    const text = ': keep-alive\r\n\r\nevent: status\r\ndata: {"a":1}\r\nid: 7\r\n\r\ndata: one\ndata: two\n\nevent: status\rdata:{"b":2}\r\r';
    for (const size of [1, 2, 3, 7, text.length]) {
      const events: ServerSentEvent[] = [];
      const parser = createSseParser((e) => events.push(e));
      for (let i = 0; i < text.length; i += size) parser.push(text.slice(i, i + size));
      parser.end();
      expect(events, `chunks of ${size}`).toEqual([
        { event: 'status', data: '{"a":1}', id: '7' },
        { event: 'message', data: 'one\ntwo', id: '7' },
        { event: 'status', data: '{"b":2}', id: '7' },
      ]);
    }
  });

  it('reads a fetch body to its end, multi-byte characters split across chunks included', async () => {
    const bytes = new TextEncoder().encode('event: status\ndata: 支付成功\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 5) controller.enqueue(bytes.slice(i, i + 5));
        controller.close();
      },
    });
    const events: ServerSentEvent[] = [];
    await readEventStream(body, (e) => events.push(e));
    expect(events).toEqual([{ event: 'status', data: '支付成功', id: undefined }]);
  });
});

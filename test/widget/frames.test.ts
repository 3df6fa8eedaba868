import { parseMessageView, parseServerFrame } from '../../widget/src/lib/frames';

const msg = {
  type: 'message',
  id: 'msg_0001',
  seq: 2,
  conversationId: 'conv_0001',
  role: 'bot',
  text: 'Yes, we have parking.',
  createdAt: '2025-01-01T10:00:00.000Z',
  sources: [{ id: 'parking', title: 'Do you have parking?', kind: 'faq' }],
  quickReplies: [{ label: 'Hours', text: 'What are your hours?' }],
};

describe('server frames', () => {
  it('parses every frame type from JSON text', () => {
    expect(parseServerFrame(JSON.stringify(msg))).toEqual(msg);
    expect(parseServerFrame('{"type":"session","id":"s_000001","conversationId":"conv_0001","mode":"bot","lastSeq":4,"lang":"en"}')).toEqual({
      type: 'session',
      id: 's_000001',
      conversationId: 'conv_0001',
      mode: 'bot',
      lastSeq: 4,
      lang: 'en',
    });
    expect(parseServerFrame({ type: 'ack', id: 'msg_0001', clientId: 'client_0001', seq: 1 })).toEqual({ type: 'ack', id: 'msg_0001', clientId: 'client_0001', seq: 1 });
    expect(parseServerFrame({ type: 'typing', on: true, role: 'bot' })).toEqual({ type: 'typing', on: true, role: 'bot' });
    expect(parseServerFrame({ type: 'chunk', replyTo: 'msg_0001', index: 0, text: 'Ye' })).toEqual({ type: 'chunk', replyTo: 'msg_0001', index: 0, text: 'Ye' });
    expect(parseServerFrame({ type: 'state', id: 'st_00001', mode: 'human' })).toEqual({ type: 'state', id: 'st_00001', mode: 'human' });
    expect(parseServerFrame({ type: 'pong' })).toEqual({ type: 'pong' });
    expect(parseServerFrame({ type: 'error', code: 'rate_limited', message: 'slow down', clientId: 'client_0001' })).toEqual({
      type: 'error',
      code: 'rate_limited',
      message: 'slow down',
      clientId: 'client_0001',
    });
  });

  it('keeps a replyTo on a message when the server sends one', () => {
    expect(parseServerFrame({ ...msg, replyTo: 'msg_0000' })).toEqual({ ...msg, replyTo: 'msg_0000' });
  });

  it('maps unknown error codes to internal', () => {
    expect(parseServerFrame({ type: 'error', code: 'teapot', message: 1 })).toEqual({ type: 'error', code: 'internal', message: '' });
  });

  it.each([
    ['not json {'],
    [42],
    [null],
    [[]],
    [{ type: 'unknown' }],
    [{ ...msg, seq: -1 }],
    [{ ...msg, seq: 1.5 }],
    [{ ...msg, role: 'admin' }],
    [{ ...msg, text: 5 }],
    [{ type: 'session', id: 's', conversationId: 'c', mode: 'weird', lastSeq: 0 }],
    [{ type: 'chunk', replyTo: 'm', index: -1, text: 'x' }],
    [{ type: 'typing', on: 'yes', role: 'bot' }],
    [{ type: 'ack', id: 'm', clientId: '', seq: 1 }],
  ])('refuses malformed frame %j', (raw) => expect(parseServerFrame(raw)).toBeUndefined());

  it('drops malformed sources and quick replies but keeps the message', () => {
    const m = parseMessageView({
      ...msg,
      sources: [{ id: 'a', title: 'A', kind: 'faq' }, { id: 'b', title: 'B', kind: 'web' }, 'x'],
      quickReplies: [{ label: '', text: 'x' }],
    });
    expect(m?.sources).toEqual([{ id: 'a', title: 'A', kind: 'faq' }]);
    expect(m?.quickReplies).toBeUndefined();
  });

  it('does not copy unexpected fields', () => {
    expect(parseServerFrame({ ...msg, __proto__x: 1, html: '<b>' })).toEqual(msg);
  });
});

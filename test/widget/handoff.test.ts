/** The widget's side of a handoff: "a person joined / left" notices from state frames, typing, the client's typing frames. */
import type { MessageView } from '../../lambdas/core/protocol';
import { ChatClient, type SocketHandlers } from '../../widget/src/lib/client';
import type { InboundFrame, MessageFrame } from '../../widget/src/lib/frames';
import { translator } from '../../widget/src/lib/i18n';
import { initialState, reduce, timeline, type ConversationState } from '../../widget/src/lib/store';

const CONV = 'conv_0001';
const message = (seq: number, role: MessageView['role'] = 'bot'): MessageFrame => ({
  type: 'message',
  id: `msg_${seq}`,
  seq,
  conversationId: CONV,
  role,
  text: `text ${seq}`,
  createdAt: '2025-01-01T00:00:00.000Z',
});
const apply = (state: ConversationState, ...frames: InboundFrame[]): ConversationState => frames.reduce(reduce, state);
const ready = (): ConversationState =>
  apply({ ...initialState(), awaitingSession: true }, { type: 'session', id: 's1', conversationId: CONV, mode: 'bot', lastSeq: 0, lang: 'en' });

describe('handoff notices', () => {
  it('shows "joined" when a person takes over and "left" when the bot is back, each after the messages it followed', () => {
    const s = apply(
      ready(),
      message(1, 'customer'),
      message(2),
      { type: 'state', id: 'st1', mode: 'waiting_for_human' },
      { type: 'state', id: 'st2', mode: 'human' },
      { type: 'state', id: 'st2', mode: 'human' }, // replayed
      message(3, 'agent'),
      { type: 'state', id: 'st3', mode: 'bot' },
      message(4, 'customer'),
    );
    expect(timeline(s).map((i) => (i.kind === 'handoff' ? i.notice.kind : i.kind === 'message' ? i.message.seq : i.kind))).toEqual([1, 2, 'joined', 3, 'left', 4]);
    expect(s.mode).toBe('bot');
  });

  it('does not announce a close as "left", and forgets notices with the conversation', () => {
    const closed = apply(ready(), { type: 'state', id: 'a', mode: 'human' }, { type: 'state', id: 'b', mode: 'closed' });
    expect(closed.handoffNotices?.map((n) => n.kind)).toEqual(['joined']);
    const next = apply(closed, { type: 'session', id: 's2', conversationId: 'conv_0002', mode: 'bot', lastSeq: 0, lang: 'en' });
    expect(next.handoffNotices).toEqual([]);
  });

  it('ignores the customer role in typing frames and ends typing when the owner changes', () => {
    const typing = apply(ready(), { type: 'state', id: 'a', mode: 'human' }, { type: 'typing', on: true, role: 'agent' });
    expect(typing.typing).toBe('agent');
    expect(apply(typing, { type: 'typing', on: true, role: 'customer' }).typing).toBe('agent');
    expect(apply(typing, { type: 'state', id: 'b', mode: 'closed' }).typing).toBeUndefined();
  });

  it('has the notices in English and Spanish', () => {
    expect(translator('en')('agentJoined', { name: 'Harbour' })).toBe('A person from the Harbour team joined the chat.');
    expect(translator('es')('agentLeft')).toMatch(/asistente/);
  });
});

describe('the client sends typing only while a person is involved, throttled', () => {
  it('sends customerTyping frames in human mode only', () => {
    let handlers: SocketHandlers | undefined;
    const sent: unknown[] = [];
    let now = 0;
    const client = new ChatClient({
      url: 'ws://x',
      lang: 'en',
      createSocket: (_url, h) => {
        handlers = h;
        return { send: (d) => sent.push(JSON.parse(d)), close: () => undefined };
      },
      schedule: () => () => undefined,
      newClientId: () => 'client_0001',
      now: () => new Date(now),
    });
    client.connect();
    handlers?.onOpen();
    handlers?.onMessage(JSON.stringify({ type: 'session', id: 's1', conversationId: CONV, mode: 'bot', lastSeq: 0, lang: 'en' }));
    sent.length = 0;
    client.typing(true);
    expect(sent).toEqual([]);
    handlers?.onMessage(JSON.stringify({ type: 'state', id: 'st', mode: 'human' }));
    client.typing(true);
    client.typing(true);
    now = 4000;
    client.typing(true);
    client.typing(false);
    client.typing(false);
    expect(sent).toEqual([
      { action: 'customerTyping', on: true },
      { action: 'customerTyping', on: true },
      { action: 'customerTyping', on: false },
    ]);
  });
});

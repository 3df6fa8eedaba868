import fc from 'fast-check';
import type { MessageView } from '../../lambdas/core/protocol';
import type { InboundFrame, MessageFrame } from '../../widget/src/lib/frames';
import * as outbox from '../../widget/src/lib/outbox';
import { initialState, lastSeq, reduce, startNewConversation, timeline, upsert, type ConversationState } from '../../widget/src/lib/store';

const CONV = 'conv_0001';
const T = '2025-01-01T00:00:00.000Z';

function message(seq: number, role: MessageView['role'] = 'bot', extra: Partial<MessageView> = {}): MessageFrame {
  return { type: 'message', id: `msg_${String(seq).padStart(4, '0')}`, seq, conversationId: CONV, role, text: `text ${seq}`, createdAt: T, ...extra };
}

const session = (conversationId = CONV, lastSeqNo = 0): InboundFrame => ({ type: 'session', id: 'sess_0001', conversationId, mode: 'bot', lastSeq: lastSeqNo, lang: 'en' });

function apply(state: ConversationState, ...frames: InboundFrame[]): ConversationState {
  return frames.reduce(reduce, state);
}

function ready(): ConversationState {
  return apply({ ...initialState(), awaitingSession: true }, session());
}

describe('message store: de-duplication and ordering', () => {
  it('orders by seq whatever the arrival order, and drops duplicates by id and by seq', () => {
    const s = apply(ready(), message(3), message(1, 'customer'), message(2), message(3), { ...message(2), id: 'msg_other' });
    expect(s.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(s.messages.map((m) => m.id)).toEqual(['msg_0001', 'msg_0002', 'msg_0003']);
    expect(lastSeq(s)).toBe(3);
  });

  it('property: any interleaving with repeats yields the unique messages sorted by seq', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 500 }), { minLength: 0, maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (seqs, repeats) => {
          const frames = [...seqs, ...repeats.filter(() => seqs.length > 0).map((r) => seqs[r % seqs.length])].map((n) => message(n));
          // shuffle deterministically by a derived key
          frames.sort((a, b) => ((a.seq * 7919) % 101) - ((b.seq * 7919) % 101));
          const s = apply(ready(), ...frames);
          const expected = [...seqs].sort((a, b) => a - b);
          return JSON.stringify(s.messages.map((m) => m.seq)) === JSON.stringify(expected);
        },
      ),
    );
  });

  it('a repeated id replaces the message in place (same seq)', () => {
    const first = upsert([], message(1));
    const second = upsert(first, { ...message(1), text: 'edited' });
    expect(second).toHaveLength(1);
    expect(second[0].text).toBe('edited');
  });
});

describe('sessions and conversations', () => {
  it('hello replay: messages of the remembered conversation apply before the session arrives', () => {
    let s = { ...initialState({ conversationId: CONV }), awaitingSession: true };
    s = apply(s, message(1, 'customer'), message(2));
    expect(s.messages).toHaveLength(2);
    s = apply(s, session(CONV, 2));
    expect(s.awaitingSession).toBe(false);
    expect(s.messages).toHaveLength(2);
  });

  it('a session naming another conversation replaces the old one and adopts its held messages', () => {
    let s = { ...initialState({ conversationId: CONV, messages: [message(1)] }), awaitingSession: true };
    s = apply(s, { ...message(1), id: 'msg_new1', conversationId: 'conv_0002' });
    expect(s.messages.map((m) => m.id)).toEqual(['msg_0001']);
    s = apply(s, session('conv_0002', 1));
    expect(s.conversationId).toBe('conv_0002');
    expect(s.messages.map((m) => m.id)).toEqual(['msg_new1']);
  });

  it('ignores messages from another conversation outside a session handshake', () => {
    const s = apply(ready(), { ...message(5), conversationId: 'conv_old1' });
    expect(s.messages).toEqual([]);
  });

  it('new conversation: clears the view, keeps queued messages, drops late frames from the old one', () => {
    let s = apply(ready(), message(1, 'customer'), message(2));
    s = { ...s, outbox: outbox.enqueue(s.outbox, 'client_q001', 'queued', T) };
    s = startNewConversation(s);
    expect(s.messages).toEqual([]);
    expect(s.outbox).toHaveLength(1);
    s = apply(s, message(3), session('conv_0002'));
    expect(s.conversationId).toBe('conv_0002');
    expect(s.messages).toEqual([]);
  });

  it('state frames change the mode', () => {
    expect(apply(ready(), { type: 'state', id: 'state_001', mode: 'waiting_for_human' }).mode).toBe('waiting_for_human');
  });
});

describe('sending: acks and errors', () => {
  it('an ack turns the queued message into a stored customer message', () => {
    let s = ready();
    s = { ...s, outbox: outbox.markSent(outbox.enqueue(s.outbox, 'client_a001', 'do you have parking?', T), ['client_a001']) };
    s = apply(s, { type: 'ack', id: 'msg_0001', clientId: 'client_a001', seq: 1 });
    expect(s.outbox).toEqual([]);
    expect(s.messages).toEqual([{ id: 'msg_0001', seq: 1, conversationId: CONV, role: 'customer', text: 'do you have parking?', createdAt: T, clientId: 'client_a001' }]);
  });

  it('a replayed customer message with our clientId settles the queue too', () => {
    let s = ready();
    s = { ...s, outbox: outbox.enqueue(s.outbox, 'client_a001', 'hi', T) };
    s = apply(s, message(1, 'customer', { clientId: 'client_a001' }));
    expect(s.outbox).toEqual([]);
    expect(s.messages).toHaveLength(1);
  });

  it('an unknown ack is ignored; a duplicate ack adds nothing', () => {
    let s = ready();
    s = { ...s, outbox: outbox.enqueue(s.outbox, 'client_a001', 'hi', T) };
    const ack: InboundFrame = { type: 'ack', id: 'msg_0001', clientId: 'client_a001', seq: 1 };
    s = apply(s, ack, ack, { type: 'ack', id: 'msg_0009', clientId: 'client_zzzz', seq: 9 });
    expect(s.messages.map((m) => m.seq)).toEqual([1]);
  });

  it('an error for a message marks it failed and raises a notice; other errors only notify', () => {
    let s = ready();
    s = { ...s, outbox: outbox.markSent(outbox.enqueue(s.outbox, 'client_a001', 'x'.repeat(5000), T), ['client_a001']) };
    s = apply(s, { type: 'error', code: 'message_too_large', message: 'too big', clientId: 'client_a001' });
    expect(s.outbox[0]).toMatchObject({ status: 'failed', error: 'message_too_large' });
    expect(s.notice).toEqual({ id: 1, code: 'message_too_large' });
    s = apply(s, { type: 'error', code: 'internal', message: 'oops' });
    expect(s.notice).toEqual({ id: 2, code: 'internal' });
  });
});

describe('acks whose id names the frame, not the message (as the local cloud sends them)', () => {
  const sent = (): ConversationState => {
    const s = ready();
    return { ...s, outbox: outbox.markSent(outbox.enqueue(s.outbox, 'client_a001', 'do you have parking?', T), ['client_a001']) };
  };
  const stored = message(1, 'customer', { id: 'conv_0001:1', text: 'do you have parking?', clientId: 'client_a001' });

  it('ack first, then the stored message: one message, with the stored id', () => {
    const s = apply(sent(), { type: 'ack', id: 'ack:client_a001', clientId: 'client_a001', seq: 1 }, stored);
    expect(s.messages.map((m) => m.id)).toEqual(['conv_0001:1']);
    expect(s.outbox).toEqual([]);
  });

  it('stored message first, then the ack: still one message', () => {
    const s = apply(sent(), stored, { type: 'ack', id: 'ack:client_a001', clientId: 'client_a001', seq: 1 });
    expect(s.messages.map((m) => m.id)).toEqual(['conv_0001:1']);
    expect(s.outbox).toEqual([]);
  });

  it('another customer message at a held seq is not taken for ours', () => {
    const s = apply(sent(), { type: 'ack', id: 'ack:client_a001', clientId: 'client_a001', seq: 1 }, { ...stored, clientId: 'client_zzzz', text: 'other' });
    expect(s.messages.map((m) => m.text)).toEqual(['do you have parking?']);
  });

  it('streams to a question id we do not hold yet, and the final message closes the stream', () => {
    let s = apply(sent(), { type: 'ack', id: 'ack:client_a001', clientId: 'client_a001', seq: 1 });
    s = apply(s, { type: 'chunk', replyTo: 'conv_0001:1', index: 0, text: 'Yes, ' }, { type: 'chunk', replyTo: 'conv_0001:1', index: 1, text: 'six spaces.' });
    expect(timeline(s).map((i) => (i.kind === 'stream' ? i.text : i.key))).toEqual(['ack:client_a001', 'Yes, six spaces.']);
    s = apply(s, message(2, 'bot', { text: 'Yes, six spaces.' }));
    expect(s.streams).toEqual([]);
    // A chunk that arrives after the answer does not reopen a stream.
    s = apply(s, { type: 'chunk', replyTo: 'conv_0001:1', index: 2, text: 'late' });
    expect(s.streams).toEqual([]);
  });

  it('drops chunks while no question is waiting for an answer', () => {
    const s = apply(ready(), message(1, 'customer'), message(2), { type: 'chunk', replyTo: 'msg_unknown', index: 0, text: 'x' });
    expect(s.streams).toEqual([]);
  });
});

describe('streaming', () => {
  const asked = (): ConversationState => apply(ready(), message(1, 'customer'));

  it('chunks build a provisional reply after the question; the final message replaces it', () => {
    let s = apply(asked(), { type: 'typing', on: true, role: 'bot' });
    s = apply(
      s,
      { type: 'chunk', replyTo: 'msg_0001', index: 1, text: 'have parking.' },
      { type: 'chunk', replyTo: 'msg_0001', index: 0, text: 'Yes, we ' },
      { type: 'chunk', replyTo: 'msg_0001', index: 0, text: 'DUPLICATE ' },
    );
    expect(timeline(s).map((i) => (i.kind === 'stream' ? i.text : i.key))).toEqual(['msg_0001', 'Yes, we have parking.']);
    s = apply(s, message(2, 'bot', { text: 'Yes, we have parking.', sources: [{ id: 'parking', title: 'Parking', kind: 'faq' }] }));
    expect(s.streams).toEqual([]);
    expect(s.typing).toBeUndefined();
    expect(timeline(s).map((i) => i.kind)).toEqual(['message', 'message']);
  });

  it('uses replyTo on the final message when present', () => {
    let s = apply(asked(), message(2, 'customer'));
    s = apply(s, { type: 'chunk', replyTo: 'msg_0001', index: 0, text: 'a' }, { type: 'chunk', replyTo: 'msg_0002', index: 0, text: 'b' });
    s = apply(s, { ...message(3), replyTo: 'msg_0002' });
    expect(s.streams.map((x) => x.replyTo)).toEqual(['msg_0001']);
  });

  it('without replyTo, the final message closes every open stream of an earlier question', () => {
    let s = apply(asked(), message(2, 'customer'));
    s = apply(s, { type: 'chunk', replyTo: 'msg_0002', index: 0, text: 'b' }, { type: 'chunk', replyTo: 'msg_0001', index: 0, text: 'a' });
    s = apply(s, message(4, 'customer'), { type: 'chunk', replyTo: 'msg_0004', index: 0, text: 'd' });
    s = apply(s, message(3));
    expect(s.streams.map((x) => x.replyTo)).toEqual(['msg_0004']);
  });

  it('a broken stream: the bot stops typing, its preview goes, and the next answer replaces only its own', () => {
    let s = apply(asked(), { type: 'typing', on: true, role: 'bot' }, { type: 'chunk', replyTo: 'msg_0001', index: 0, text: 'Half an ans' });
    s = apply(s, { type: 'typing', on: false, role: 'bot' }); // the answer failed: no message came
    expect(s.streams).toEqual([]);
    s = apply(s, message(2, 'customer'), { type: 'typing', on: true, role: 'bot' }, { type: 'chunk', replyTo: 'msg_0002', index: 0, text: 'Yes.' });
    s = apply(s, { ...message(3, 'bot', { text: 'Yes.' }), replyTo: 'msg_0002' }, { type: 'typing', on: false, role: 'bot' });
    expect(timeline(s).map((i) => i.key)).toEqual(['msg_0001', 'msg_0002', 'msg_0003']);
  });

  it('a person stopping typing leaves a bot preview alone', () => {
    const s = apply(asked(), { type: 'chunk', replyTo: 'msg_0001', index: 0, text: 'a' }, { type: 'typing', on: false, role: 'agent' });
    expect(s.streams.map((x) => x.replyTo)).toEqual(['msg_0001']);
  });

  it('ignores late chunks after the answer, and chunks answering a bot message', () => {
    let s = apply(asked(), message(2), { type: 'chunk', replyTo: 'msg_0001', index: 3, text: 'late' });
    expect(s.streams).toEqual([]);
    s = apply(s, { type: 'chunk', replyTo: 'msg_0002', index: 0, text: 'x' });
    expect(s.streams).toEqual([]);
  });

  it('ignores chunks during a session handshake (they may belong to the conversation we left)', () => {
    const s = apply({ ...asked(), awaitingSession: true }, { type: 'chunk', replyTo: 'msg_0001', index: 0, text: 'x' });
    expect(s.streams).toEqual([]);
  });
});

describe('timeline', () => {
  it('stored messages by seq, then unsent messages in the order typed', () => {
    let s = apply(ready(), message(2), message(1, 'customer'));
    s = { ...s, outbox: outbox.enqueue(outbox.enqueue(s.outbox, 'client_a001', 'first', T), 'client_b001', 'second', T) };
    expect(timeline(s).map((i) => i.key)).toEqual(['msg_0001', 'msg_0002', 'pending:client_a001', 'pending:client_b001']);
  });

  it('restoring a transcript keeps only the remembered conversation', () => {
    const s = initialState({ conversationId: CONV, messages: [message(2), { ...message(1), conversationId: 'conv_x001' }, message(1)] });
    expect(s.messages.map((m) => m.seq)).toEqual([1, 2]);
  });
});

import { clientFrame, type ClientFrame } from '../../lambdas/core/protocol';
import { ChatClient, FAILED_ANSWER_RESEND_MS, MARK_READ_DELAY_MS, PING_INTERVAL_MS, SESSION_TIMEOUT_MS, TYPING_TIMEOUT_MS, type SocketHandlers, type SocketLike } from '../../widget/src/lib/client';
import { initialState, staffSeenSeq } from '../../widget/src/lib/store';
import type { ConversationState } from '../../widget/src/lib/store';

/** A scripted server end of the socket, plus a manual clock for scheduled work. */
class FakeSocket implements SocketLike {
  readonly sent: ClientFrame[] = [];
  closed = false;
  constructor(
    readonly url: string,
    readonly h: SocketHandlers,
  ) {}
  /** Every frame the widget sends must pass the server's own schema. */
  send(data: string): void {
    const raw: unknown = JSON.parse(data);
    this.sent.push(clientFrame.parse(raw));
  }
  close(): void {
    this.closed = true;
  }
  open(): void {
    this.h.onOpen();
  }
  receive(frame: object): void {
    this.h.onMessage(JSON.stringify(frame));
  }
  drop(): void {
    this.h.onClose(1006);
  }
}

class Clock {
  now = 0;
  private tasks: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;
  schedule = (fn: () => void, ms: number): (() => void) => {
    const id = this.nextId++;
    this.tasks.push({ at: this.now + ms, fn, id });
    return () => {
      this.tasks = this.tasks.filter((t) => t.id !== id);
    };
  };
  pending(): number[] {
    return this.tasks.map((t) => t.at - this.now);
  }
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const next = this.tasks.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.tasks = this.tasks.filter((t) => t !== next);
      this.now = next.at;
      next.fn();
    }
    this.now = until;
  }
}

const CONV = 'conv_0001';
const session = (conversationId = CONV, lastSeq = 0): object => ({ type: 'session', id: 'sess_0001', conversationId, mode: 'bot', lastSeq, lang: 'en' });

function setup(initial?: ConversationState) {
  const sockets: FakeSocket[] = [];
  const clock = new Clock();
  const persisted: ConversationState[] = [];
  let n = 0;
  const client = new ChatClient({
    url: 'ws://test/?key=pk&visitor=' + 'a'.repeat(32),
    lang: 'en',
    createSocket: (url, h) => {
      const s = new FakeSocket(url, h);
      sockets.push(s);
      return s;
    },
    schedule: clock.schedule,
    newClientId: () => `client_${String(++n).padStart(4, '0')}`,
    now: () => new Date('2025-01-01T00:00:00.000Z'),
    random: () => 0.5,
    ...(initial ? { initial } : {}),
    persist: (s) => persisted.push(s),
  });
  const last = (): FakeSocket => {
    const s = sockets[sockets.length - 1];
    if (!s) throw new Error('no socket');
    return s;
  };
  return { client, sockets, clock, persisted, last };
}

describe('ChatClient', () => {
  it('says hello without a conversation the first time, then is ready on session', () => {
    const { client, last } = setup();
    client.connect();
    expect(client.snapshot().status).toBe('connecting');
    last().open();
    expect(last().sent).toEqual([{ action: 'hello', lang: 'en' }]);
    last().receive(session());
    expect(client.snapshot().status).toBe('ready');
    expect(client.snapshot().state.conversationId).toBe(CONV);
  });

  it('resumes a remembered conversation from the highest seq it holds', () => {
    const initial = initialState({
      conversationId: CONV,
      messages: [{ id: 'msg_0003', seq: 3, conversationId: CONV, role: 'bot', text: 'hi', createdAt: '' }],
    });
    const { client, last } = setup(initial);
    client.connect();
    last().open();
    expect(last().sent[0]).toEqual({ action: 'hello', conversationId: CONV, lastSeq: 3, lang: 'en' });
  });

  it('sends a message once connected and settles it on ack', () => {
    const { client, last } = setup();
    client.connect();
    last().open();
    last().receive(session());
    const clientId = client.send('  do you have parking?  ');
    expect(last().sent[1]).toEqual({ action: 'sendMessage', clientId, text: 'do you have parking?', lang: 'en' });
    last().receive({ type: 'ack', id: 'msg_0001', clientId, seq: 1 });
    expect(client.snapshot().state.outbox).toEqual([]);
    expect(client.snapshot().state.messages.map((m) => m.text)).toEqual(['do you have parking?']);
    expect(client.send('   ')).toBeUndefined();
  });

  it('sends a stored message the server failed to answer again, once, after a pause (the server answers it then)', () => {
    const { client, last, clock } = setup();
    client.connect();
    last().open();
    last().receive(session());
    const clientId = client.send('do you have parking?') ?? '';
    last().receive({ type: 'ack', id: `ack:${clientId}`, clientId, seq: 1 });
    // Stored, then the server failed (its answer or its event): it says so, naming the message.
    last().receive({ type: 'error', code: 'internal', message: 'Something went wrong', clientId });
    const sends = () => last().sent.filter((f) => f.action === 'sendMessage');
    expect(sends()).toHaveLength(1);
    clock.advance(FAILED_ANSWER_RESEND_MS);
    expect(sends()).toEqual([
      { action: 'sendMessage', clientId, text: 'do you have parking?', lang: 'en' },
      { action: 'sendMessage', clientId, text: 'do you have parking?', lang: 'en' },
    ]);
    // Failing again: not a third time (the visitor can write again).
    last().receive({ type: 'error', code: 'internal', message: 'Something went wrong', clientId });
    clock.advance(FAILED_ANSWER_RESEND_MS * 2);
    expect(sends()).toHaveLength(2);
    // A refusal of a message never stored (no ack) is the outbox's: marked not sent, nothing resent by itself.
    const refused = client.send('second question') ?? '';
    last().receive({ type: 'error', code: 'internal', message: 'Something went wrong', clientId: refused });
    clock.advance(FAILED_ANSWER_RESEND_MS * 2);
    expect(sends().filter((f) => f.clientId === refused)).toHaveLength(1);
    expect(client.snapshot().state.outbox.find((o) => o.clientId === refused)?.status).toBe('failed');
  });

  it('queues messages typed offline and sends each once, in order, one at a time after the session', () => {
    const { client, last } = setup();
    const a = client.send('first');
    const b = client.send('second');
    client.connect();
    last().open();
    expect(last().sent.map((f) => f.action)).toEqual(['hello']); // not before the session
    last().receive(session());
    // One in flight: the second waits for the first's ack, so the server stores them in the order typed.
    expect(last().sent.slice(1)).toEqual([{ action: 'sendMessage', clientId: a, text: 'first', lang: 'en' }]);
    last().receive(session()); // a second session frame does not resend
    expect(last().sent).toHaveLength(2);
    last().receive({ type: 'ack', id: 'msg_0001', clientId: a ?? '', seq: 1 });
    expect(last().sent.slice(1)).toEqual([
      { action: 'sendMessage', clientId: a, text: 'first', lang: 'en' },
      { action: 'sendMessage', clientId: b, text: 'second', lang: 'en' },
    ]);
  });

  it('after a drop, resends unacknowledged messages with the same clientId and resumes with lastSeq', () => {
    const { client, last, clock, sockets } = setup();
    client.connect();
    last().open();
    last().receive(session());
    const acked = client.send('acked');
    last().receive({ type: 'ack', id: 'msg_0001', clientId: acked, seq: 1 });
    const lost = client.send('lost in flight');
    last().drop();
    expect(client.snapshot().status).toBe('offline');
    expect(clock.pending()).toEqual([750]); // attempt 0: [500, 1000] with random 0.5
    clock.advance(750);
    expect(sockets).toHaveLength(2);
    last().open();
    expect(last().sent[0]).toEqual({ action: 'hello', conversationId: CONV, lastSeq: 1, lang: 'en' });
    last().receive(session(CONV, 1));
    expect(last().sent.slice(1)).toEqual([{ action: 'sendMessage', clientId: lost, text: 'lost in flight', lang: 'en' }]);
  });

  it('resumes from before a message it missed: an ack that overtook the answer before it leaves a hole, which the next hello asks for', () => {
    const { client, last, clock } = setup();
    client.connect();
    last().open();
    last().receive(session());
    const first = client.send('first question');
    last().receive({ type: 'ack', id: `ack:${first}`, clientId: first, seq: 1 });
    // The answer (seq 2) is broadcast by another invocation; the ack of the next question (seq 3) arrives first.
    const second = client.send('second question');
    last().receive({ type: 'ack', id: `ack:${second}`, clientId: second, seq: 3 });
    last().drop();
    clock.advance(clock.pending()[0] ?? 0);
    last().open();
    expect(last().sent[0]).toEqual({ action: 'hello', conversationId: CONV, lastSeq: 1, lang: 'en' });
  });

  it('backs off exponentially while the server is unreachable, and resets after a session', () => {
    const { client, last, clock } = setup();
    client.connect();
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      last().drop();
      delays.push(...clock.pending());
      clock.advance(clock.pending()[0] ?? 0);
    }
    expect(delays).toEqual([750, 1500, 3000, 6000, 12000, 22500, 22500]);
    last().open();
    last().receive(session());
    last().drop();
    expect(clock.pending()).toEqual([750]);
  });

  it('reconnectNow skips the remaining back-off', () => {
    const { client, last, clock, sockets } = setup();
    client.connect();
    last().drop();
    expect(clock.pending()).toHaveLength(1);
    client.reconnectNow();
    expect(sockets).toHaveLength(2);
    expect(clock.pending()).toEqual([]);
  });

  it('pings every five minutes while connected, and stops when closed', () => {
    const { client, last, clock } = setup();
    client.connect();
    last().open();
    last().receive(session());
    clock.advance(PING_INTERVAL_MS * 2);
    expect(last().sent.filter((f) => f.action === 'ping')).toHaveLength(2);
    last().receive({ type: 'pong' });
    const first = last();
    first.drop();
    clock.advance(PING_INTERVAL_MS);
    expect(first.sent.filter((f) => f.action === 'ping')).toHaveLength(2);
  });

  it('starts a new conversation only when connected', () => {
    const { client, last } = setup();
    expect(client.newConversation()).toBe(false);
    client.connect();
    last().open();
    last().receive(session());
    last().receive({ type: 'message', id: 'msg_0001', seq: 1, conversationId: CONV, role: 'bot', text: 'old', createdAt: '' });
    expect(client.newConversation()).toBe(true);
    expect(last().sent[last().sent.length - 1]).toEqual({ action: 'newConversation', lang: 'en' });
    expect(client.snapshot().state.messages).toEqual([]);
    last().receive(session('conv_0002'));
    expect(client.snapshot().state.conversationId).toBe('conv_0002');
  });

  it('refuses a new conversation while a sent message awaits its ack, so the message stays in its own', () => {
    const { client, last } = setup();
    client.connect();
    last().open();
    last().receive(session());
    const clientId = client.send('do you have parking?') ?? '';
    expect(client.newConversation()).toBe(false);
    expect(last().sent.map((f) => f.action)).toEqual(['hello', 'sendMessage']);
    expect(client.snapshot().state.outbox.map((o) => o.status)).toEqual(['sent']);
    last().receive({ type: 'ack', id: `ack:${clientId}`, clientId, seq: 1 });
    expect(client.newConversation()).toBe(true);
    last().receive(session('conv_0002'));
    expect(client.snapshot().state).toMatchObject({ conversationId: 'conv_0002', messages: [], outbox: [] });
  });

  it('drops a handshake that gets no session in time, and tries again after the back-off', () => {
    const { client, last, clock, sockets } = setup();
    client.connect();
    last().open();
    clock.advance(SESSION_TIMEOUT_MS - 1);
    expect(client.snapshot().status).toBe('connecting');
    clock.advance(1);
    expect(sockets[0]?.closed).toBe(true);
    expect(client.snapshot().status).toBe('offline');
    clock.advance(750); // attempt 0: [500, 1000] with random 0.5
    expect(sockets).toHaveLength(2);
    last().open();
    last().receive(session());
    clock.advance(SESSION_TIMEOUT_MS * 2);
    expect(last().closed).toBe(false);
    expect(client.snapshot().status).toBe('ready');
  });

  it('drops a handshake answered with an error instead of a session, and tries again', () => {
    const { client, last, clock, sockets } = setup();
    client.connect();
    last().open();
    last().receive({ type: 'error', code: 'internal', message: 'try again' });
    expect(sockets[0]?.closed).toBe(true);
    expect(client.snapshot().status).toBe('offline');
    expect(clock.pending()).toEqual([750]); // only the retry: the session timer is gone
    clock.advance(750);
    last().open();
    last().receive(session());
    expect(client.snapshot().status).toBe('ready');
    // Once in session, an error (here, about no message) is only a notice.
    last().receive({ type: 'error', code: 'bad_request', message: 'x' });
    expect(client.snapshot().status).toBe('ready');
    expect(last().closed).toBe(false);
  });

  it('clears a typing indicator the server forgot to switch off', () => {
    const { client, last, clock } = setup();
    client.connect();
    last().open();
    last().receive(session());
    last().receive({ type: 'typing', on: true, role: 'bot' });
    expect(client.snapshot().state.typing).toBe('bot');
    clock.advance(TYPING_TIMEOUT_MS);
    expect(client.snapshot().state.typing).toBeUndefined();
  });

  it('ignores malformed frames and frames from a replaced socket', () => {
    const { client, last, clock } = setup();
    client.connect();
    const old = last();
    old.open();
    old.receive(session());
    old.h.onMessage('{not json');
    old.drop();
    clock.advance(1000);
    old.receive({ type: 'message', id: 'msg_0009', seq: 9, conversationId: CONV, role: 'bot', text: 'ghost', createdAt: '' });
    expect(client.snapshot().state.messages).toEqual([]);
  });

  it('sends "did this help?" once per answer, only while connected, and forgets it with the conversation', () => {
    const { client, last, persisted } = setup();
    expect(client.feedback(2, true)).toBe(false); // not connected
    client.connect();
    last().open();
    last().receive(session());
    expect(client.feedback(2, true)).toBe(true);
    expect(client.feedback(2, false)).toBe(false); // the first answer stays
    expect(client.feedback(4, false)).toBe(true);
    expect(last().sent.filter((f) => f.action === 'feedback')).toEqual([
      { action: 'feedback', conversationId: CONV, seq: 2, helpful: true },
      { action: 'feedback', conversationId: CONV, seq: 4, helpful: false },
    ]);
    expect(client.snapshot().state.feedback).toEqual({ '2': true, '4': false });
    expect(persisted[persisted.length - 1].feedback).toEqual({ '2': true, '4': false });
    expect(client.newConversation()).toBe(true);
    last().receive(session('conv_0002'));
    expect(client.snapshot().state.feedback ?? {}).toEqual({});
    expect(client.feedback(2, false)).toBe(true);
  });

  it('persists changes and stops everything on dispose', () => {
    const { client, last, clock, persisted } = setup();
    client.connect();
    last().open();
    last().receive(session());
    expect(persisted[persisted.length - 1].conversationId).toBe(CONV);
    const s = last();
    client.dispose();
    expect(s.closed).toBe(true);
    expect(client.snapshot().status).toBe('disposed');
    clock.advance(PING_INTERVAL_MS * 3);
    expect(s.sent.filter((f) => f.action === 'ping')).toHaveLength(0);
  });
});

describe('ChatClient read receipts', () => {
  const msg = (seq: number, role: 'customer' | 'bot' | 'agent' = 'bot', conversationId = CONV): object => ({
    type: 'message',
    id: `m_${conversationId}_${seq}`,
    seq,
    conversationId,
    role,
    text: `message ${seq}`,
    createdAt: '2025-01-01T00:00:00.000Z',
  });
  const reads = (s: FakeSocket): ClientFrame[] => s.sent.filter((f) => f.action === 'markRead');

  it('reports the highest seq shown, batched, only while viewing and only when it grew', () => {
    const { client, last, clock } = setup();
    client.connect();
    last().open();
    last().receive(msg(1));
    last().receive(msg(2));
    last().receive(session(CONV, 2));
    clock.advance(MARK_READ_DELAY_MS * 2);
    expect(reads(last())).toEqual([]); // the panel is closed (or the page hidden): nothing is read

    client.setViewing(true);
    last().receive(msg(3, 'customer'));
    clock.advance(MARK_READ_DELAY_MS - 1);
    expect(reads(last())).toEqual([]); // batched
    last().receive(msg(4));
    clock.advance(1);
    expect(reads(last())).toEqual([{ action: 'markRead', conversationId: CONV, seq: 4 }]);

    clock.advance(MARK_READ_DELAY_MS * 4);
    client.setViewing(false);
    client.setViewing(true);
    clock.advance(MARK_READ_DELAY_MS * 4);
    expect(reads(last())).toHaveLength(1); // the seq did not grow

    client.setViewing(false);
    last().receive(msg(5));
    clock.advance(MARK_READ_DELAY_MS * 4);
    expect(reads(last())).toHaveLength(1); // hidden again
    client.setViewing(true);
    clock.advance(MARK_READ_DELAY_MS);
    expect(reads(last()).at(-1)).toEqual({ action: 'markRead', conversationId: CONV, seq: 5 });
  });

  it('does not report again what the session says the server holds, and starts over in a new conversation', () => {
    const { client, last, clock } = setup();
    client.setViewing(true);
    client.connect();
    last().open();
    last().receive(msg(1));
    last().receive(msg(2));
    last().receive({ ...session(CONV, 2), customerReadSeq: 2 });
    clock.advance(MARK_READ_DELAY_MS * 2);
    expect(reads(last())).toEqual([]);

    // Offline: nothing is sent; after the reconnect, the growth is reported once.
    last().drop();
    clock.advance(60_000);
    last().open();
    last().receive(msg(3));
    last().receive({ ...session(CONV, 3), customerReadSeq: 2 });
    clock.advance(MARK_READ_DELAY_MS);
    expect(reads(last())).toEqual([{ action: 'markRead', conversationId: CONV, seq: 3 }]);

    expect(client.newConversation()).toBe(true);
    last().receive(msg(1, 'bot', 'conv_0002'));
    last().receive(session('conv_0002', 1));
    clock.advance(MARK_READ_DELAY_MS);
    expect(reads(last()).at(-1)).toEqual({ action: 'markRead', conversationId: 'conv_0002', seq: 1 });
  });

  it('shows "Seen" under the last customer message once a person has read it, never for the customer\'s own receipt', () => {
    const { client, last } = setup();
    client.connect();
    last().open();
    last().receive(msg(1, 'customer'));
    last().receive(msg(2, 'bot'));
    last().receive(msg(3, 'customer'));
    last().receive(session(CONV, 3));
    const seen = (): number | undefined => staffSeenSeq(client.snapshot().state);
    last().receive({ type: 'receipt', id: `receipt:${CONV}:customer:read:3`, conversationId: CONV, seq: 3, status: 'read', by: 'customer' });
    expect(seen()).toBeUndefined();
    last().receive({ type: 'receipt', id: `receipt:${CONV}:staff:read:1`, conversationId: CONV, seq: 1, status: 'read', by: 'staff' });
    expect(seen()).toBeUndefined(); // the last customer message (3) is not covered yet
    last().receive({ type: 'receipt', id: 'receipt:other:staff:read:9', conversationId: 'conv_other', seq: 9, status: 'read', by: 'staff' });
    expect(seen()).toBeUndefined(); // another conversation's receipt
    last().receive({ type: 'receipt', id: `receipt:${CONV}:staff:read:3`, conversationId: CONV, seq: 3, status: 'read', by: 'staff' });
    expect(seen()).toBe(3);
    last().receive({ type: 'receipt', id: `receipt:${CONV}:staff:read:2`, conversationId: CONV, seq: 2, status: 'read', by: 'staff' });
    expect(seen()).toBe(3); // never goes back
    last().receive(msg(4, 'customer'));
    expect(seen()).toBeUndefined(); // a newer message is not read yet

    // A reconnect learns the position from the session frame.
    last().drop();
    const fresh = setup(client.snapshot().state);
    fresh.client.connect();
    fresh.last().open();
    fresh.last().receive({ ...session(CONV, 4), mode: 'human', staffReadSeq: 4 });
    expect(staffSeenSeq(fresh.client.snapshot().state)).toBe(4);
  });
});

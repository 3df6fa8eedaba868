/** The live inbox's plain modules: frame parsing, the reconnecting staff socket, actions, merging, typing throttle. */
import { handoffStatuses as serverStatuses } from '../../lambdas/core/handoff-ports';
import { handoffStatuses } from '../../frontend/src/api/types';
import { actionsFor, mergeMessage, typingThrottle } from '../../frontend/src/lib/inbox';
import { frameIsFor, isWatchConfirmation } from '../../frontend/src/pages/inbox/live-frames';
import { attachmentHref, attachmentLabel } from '../../frontend/src/components/Attachments';
import { StaffSocket, parseStaffFrame, staffSocketUrl, type LiveStatus, type SocketEvents, type StaffFrame } from '../../frontend/src/lib/staff-socket';

describe('staff frames', () => {
  it('keeps well-formed frames and drops anything else', () => {
    expect(parseStaffFrame(JSON.stringify({ type: 'inbox', id: 'i1', event: 'waiting', conversationId: 'c1', mode: 'waiting_for_human', at: 't', reason: 'r', extra: 1 }))).toEqual({
      type: 'inbox',
      id: 'i1',
      event: 'waiting',
      conversationId: 'c1',
      mode: 'waiting_for_human',
      at: 't',
      reason: 'r',
    });
    expect(parseStaffFrame({ type: 'typing', on: true, role: 'customer' })).toEqual({ type: 'typing', on: true, role: 'customer' });
    expect(parseStaffFrame({ type: 'receipt', id: 'receipt:c1:customer:read:4', conversationId: 'c1', seq: 4, status: 'read', by: 'customer' })).toEqual({
      type: 'receipt',
      id: 'receipt:c1:customer:read:4',
      conversationId: 'c1',
      seq: 4,
      by: 'customer',
    });
    expect(parseStaffFrame({ type: 'receipt', id: 'r', conversationId: 'c1', seq: 4, status: 'delivered', by: 'customer' })).toBeUndefined();
    expect(parseStaffFrame({ type: 'receipt', id: 'r', conversationId: 'c1', seq: 4, status: 'read', by: 'bot' })).toBeUndefined();
    expect(parseStaffFrame({ type: 'inbox', id: 'i1', event: 'hacked', conversationId: 'c1', mode: 'human', at: 't' })).toBeUndefined();
    expect(parseStaffFrame({ type: 'message', id: 'm', seq: '1', conversationId: 'c', role: 'agent', text: 'x' })).toBeUndefined();
    expect(parseStaffFrame('{not json')).toBeUndefined();
    expect(parseStaffFrame({ type: 'session' })).toBeUndefined();
  });

  it("keeps a channel customer's attachments on a message frame, and drops malformed ones", () => {
    const frame = { type: 'message', id: 'c:3', seq: 3, conversationId: 'c', role: 'customer', text: 'Look\n[attachment: image/jpeg]', createdAt: 't' };
    expect(parseStaffFrame({ ...frame, attachments: [{ url: 'https://api.twilio.com/m/ME1', contentType: 'image/jpeg' }, { url: 7 }, 'x'] })).toEqual({
      ...frame,
      attachments: [{ url: 'https://api.twilio.com/m/ME1', contentType: 'image/jpeg' }],
    });
    expect(parseStaffFrame(frame)).toEqual(frame);
  });

  it('names an attachment by its media type and links only an https address', () => {
    expect(['image/jpeg', 'image/*', 'audio/ogg', 'video/mp4', 'application/pdf'].map(attachmentLabel)).toEqual(['Photo', 'Photo', 'Voice note', 'Video', 'File']);
    expect(attachmentHref('https://lookaside.fbsbx.com/x?asset=1')).toBe('https://lookaside.fbsbx.com/x?asset=1');
    for (const url of ['http://media.example/a.jpg', 'javascript:alert(1)', 'data:image/png;base64,AA', 'not a url']) expect(attachmentHref(url)).toBeUndefined();
  });

  it('puts the token in the key parameter, URL-encoded', () => {
    expect(staffSocketUrl('wss://x.example/live', 'a.b+c')).toBe('wss://x.example/live?key=staff.a.b%2Bc');
  });
});

describe('StaffSocket', () => {
  function harness() {
    const sockets: { url: string; events: SocketEvents; sent: string[]; closed: boolean }[] = [];
    const timers: { fn: () => void; ms: number; cancelled: boolean }[] = [];
    const frames: StaffFrame[] = [];
    const statuses: LiveStatus[] = [];
    let token = 'tok-1';
    const socket = new StaffSocket({
      wsUrl: 'ws://127.0.0.1:1/ws',
      getToken: async () => token,
      createSocket: (url, events) => {
        const s = { url, events, sent: [] as string[], closed: false };
        sockets.push(s);
        return { send: (d) => s.sent.push(d), close: () => void (s.closed = true) };
      },
      schedule: (fn, ms) => {
        const t = { fn, ms, cancelled: false };
        timers.push(t);
        return () => void (t.cancelled = true);
      },
      onFrame: (f) => frames.push(f),
      onStatus: (s) => statuses.push(s),
    });
    return { socket, sockets, timers, frames, statuses, setToken: (t: string) => void (token = t) };
  }
  const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

  it('connects with the token, re-watches after a reconnect with a fresh token, and pings', async () => {
    const h = harness();
    h.socket.start();
    await flush();
    expect(h.sockets[0]?.url).toContain('key=staff.tok-1');
    h.socket.watch('conv-1'); // not open yet: sent on open
    h.sockets[0]?.events.onOpen();
    expect(h.sockets[0]?.sent.map((d) => JSON.parse(d))).toEqual([{ action: 'staffWatch', conversationId: 'conv-1' }]);
    h.sockets[0]?.events.onMessage(JSON.stringify({ type: 'pong' }));
    expect(h.frames).toEqual([{ type: 'pong' }]);
    h.socket.typing('conv-1', true);
    expect(JSON.parse(h.sockets[0]?.sent[1] ?? '{}')).toEqual({ action: 'staffTyping', conversationId: 'conv-1', on: true });

    h.setToken('tok-2');
    h.sockets[0]?.events.onClose();
    expect(h.statuses).toEqual(['connecting', 'live', 'offline']);
    const retry = h.timers.filter((t) => !t.cancelled).at(-1);
    expect(retry?.ms).toBe(1000);
    retry?.fn();
    await flush();
    expect(h.sockets[1]?.url).toContain('key=staff.tok-2');
    h.sockets[1]?.events.onOpen();
    expect(JSON.parse(h.sockets[1]?.sent[0] ?? '{}')).toEqual({ action: 'staffWatch', conversationId: 'conv-1' });
    // Frames from the old socket are ignored.
    h.sockets[0]?.events.onMessage(JSON.stringify({ type: 'pong' }));
    expect(h.frames).toHaveLength(1);
    const ping = h.timers.filter((t) => !t.cancelled && t.ms === 5 * 60 * 1000).at(-1);
    ping?.fn();
    expect(h.sockets[1]?.sent.map((d) => JSON.parse(d)).at(-1)).toEqual({ action: 'staffPing' });
    h.socket.stop();
    expect(h.sockets[1]?.closed).toBe(true);
  });
});

describe('StaffSocket when its sign-in ends', () => {
  it('drops a connection whose frames the server refuses as session_expired and connects again with a fresh token', async () => {
    const sockets: { url: string; events: SocketEvents; closed: boolean }[] = [];
    const timers: { fn: () => void; ms: number }[] = [];
    const frames: StaffFrame[] = [];
    let token = 'tok-old';
    const socket = new StaffSocket({
      wsUrl: 'ws://127.0.0.1:1/ws',
      getToken: async () => token,
      createSocket: (url, events) => {
        const s = { url, events, closed: false };
        sockets.push(s);
        return { send: () => undefined, close: () => void (s.closed = true) };
      },
      schedule: (fn, ms) => {
        timers.push({ fn, ms });
        return () => undefined;
      },
      onFrame: (f) => frames.push(f),
      onStatus: () => undefined,
    });
    socket.start();
    await new Promise((r) => setImmediate(r));
    sockets[0]?.events.onOpen();
    token = 'tok-new';
    sockets[0]?.events.onMessage(JSON.stringify({ type: 'error', code: 'session_expired', message: 'Your sign-in has ended: reconnect with a fresh token.' }));
    expect(sockets[0]?.closed).toBe(true);
    expect(frames).toEqual([]);
    timers.at(-1)?.fn();
    await new Promise((r) => setImmediate(r));
    expect(sockets[1]?.url).toContain('key=staff.tok-new');
    // Another error is passed on as before.
    sockets[1]?.events.onOpen();
    sockets[1]?.events.onMessage(JSON.stringify({ type: 'error', code: 'bad_request', message: 'no' }));
    expect(frames).toEqual([{ type: 'error', code: 'bad_request', message: 'no' }]);
    expect(sockets[1]?.closed).toBe(false);
    socket.stop();
  });
});

describe('inbox helpers', () => {
  const view = (mode: 'bot' | 'waiting_for_human' | 'human' | 'closed', owner?: string) => ({
    conversation: { conversationId: 'c', mode, channel: 'web' as const, lang: 'en', createdAt: '', lastMessageAt: '', messageCount: 1 },
    handoff: owner ? { status: 'accepted' as const, reason: 'r', requestedAt: '', slaSeconds: 60, assignee: { sub: 's', email: owner } } : undefined,
  });

  it('offers what the staff member may do', () => {
    const agent = { email: 'a@x', isAdmin: false };
    expect(actionsFor(view('waiting_for_human'), agent)).toEqual({ accept: true, takeOver: false, reply: false, returnToBot: true, close: true });
    expect(actionsFor(view('bot'), agent)).toEqual({ accept: false, takeOver: true, reply: false, returnToBot: false, close: true });
    expect(actionsFor(view('human', 'a@x'), agent)).toEqual({ accept: false, takeOver: false, reply: true, returnToBot: true, close: true });
    expect(actionsFor(view('human', 'b@x'), agent)).toEqual({ accept: false, takeOver: false, reply: false, returnToBot: false, close: false });
    expect(actionsFor(view('human', 'b@x'), { email: 'o@x', isAdmin: true }).close).toBe(true);
    expect(actionsFor(view('closed'), agent)).toEqual({ accept: false, takeOver: false, reply: false, returnToBot: false, close: false });
  });

  it('merges live messages once, in seq order', () => {
    const m = (seq: number) => ({ id: `c:${seq}`, seq, role: 'customer' as const, text: String(seq), createdAt: '' });
    const merged = mergeMessage([m(1), m(3)], m(2));
    expect(merged.map((x) => x.seq)).toEqual([1, 2, 3]);
    expect(mergeMessage(merged, m(2))).toHaveLength(3);
  });

  it('throttles typing signals', () => {
    const sent: boolean[] = [];
    let now = 0;
    const typing = typingThrottle((on) => sent.push(on), 3000, () => now);
    typing(false);
    typing(true);
    typing(true);
    now = 3500;
    typing(true);
    typing(false);
    typing(false);
    expect(sent).toEqual([true, true, false]);
  });

  it('knows the same handoff statuses as the server', () => {
    expect([...handoffStatuses]).toEqual([...serverStatuses]);
  });
});

describe('frames of the open conversation (pages/inbox/live-frames.ts)', () => {
  // Ids as lambdas/core/handoff.ts builds them: `state:<id>:<mode>:<at>` after a change, `watch:<id>:<mode>` on watching.
  const frame = (data: unknown): StaffFrame => {
    const parsed = parseStaffFrame(data);
    if (!parsed) throw new Error('frame dropped');
    return parsed;
  };
  const changed = (id: string) => frame({ type: 'state', id: `state:${id}:closed:2025-06-15T09:00:00.000Z`, mode: 'closed' });
  const watched = (id: string) => frame({ type: 'state', id: `watch:${id}:human`, mode: 'human' });
  const typing = frame({ type: 'typing', on: true, role: 'customer' });

  it('applies state frames of this conversation only, not of the one watched before', () => {
    expect(frameIsFor(changed('conv-b'), 'conv-b', true)).toBe(true);
    expect(frameIsFor(watched('conv-b'), 'conv-b', false)).toBe(true);
    expect(frameIsFor(changed('conv-a'), 'conv-b', true)).toBe(false);
    expect(frameIsFor(watched('conv-a'), 'conv-b', true)).toBe(false);
    // A conversation id that merely starts with the open one's is another conversation.
    expect(frameIsFor(changed('conv-b2'), 'conv-b', true)).toBe(false);
  });

  it('applies typing frames (which name no conversation) only once the server confirmed watching this one', () => {
    expect(frameIsFor(typing, 'conv-b', false)).toBe(false);
    expect(frameIsFor(typing, 'conv-b', true)).toBe(true);
    const confirmation = watched('conv-b');
    expect(confirmation.type === 'state' && isWatchConfirmation(confirmation.id, 'conv-b')).toBe(true);
    const before = watched('conv-a');
    expect(before.type === 'state' && isWatchConfirmation(before.id, 'conv-b')).toBe(false);
    const change = changed('conv-b');
    expect(change.type === 'state' && isWatchConfirmation(change.id, 'conv-b')).toBe(false);
  });

  it('applies a typing frame that names its conversation only to that conversation, confirmed or not', () => {
    const named = (conversationId: string) => frame({ type: 'typing', on: true, role: 'customer', conversationId });
    expect(parseStaffFrame({ type: 'typing', on: true, role: 'customer', conversationId: 'conv-b' })).toEqual({ type: 'typing', on: true, role: 'customer', conversationId: 'conv-b' });
    expect([frameIsFor(named('conv-b'), 'conv-b', false), frameIsFor(named('conv-a'), 'conv-b', true)]).toEqual([true, false]);
  });

  it('applies messages and receipts of this conversation only', () => {
    const message = (conversationId: string) => frame({ type: 'message', id: 'm', seq: 3, conversationId, role: 'customer', text: 'hi', createdAt: 't' });
    const receipt = (conversationId: string) => frame({ type: 'receipt', id: 'r', conversationId, seq: 3, status: 'read', by: 'customer' });
    expect([frameIsFor(message('conv-b'), 'conv-b', false), frameIsFor(message('conv-a'), 'conv-b', true)]).toEqual([true, false]);
    expect([frameIsFor(receipt('conv-b'), 'conv-b', false), frameIsFor(receipt('conv-a'), 'conv-b', true)]).toEqual([true, false]);
  });
});

import type { MessageView } from '../../lambdas/core/protocol';
import {
  CONFIG_CACHE_MS,
  loadCachedConfig,
  loadConversation,
  loadFeedback,
  loadTranscript,
  memoryStorage,
  resumeFrom,
  safeStorage,
  saveCachedConfig,
  saveConversation,
  saveFeedback,
  saveTranscript,
  storageKeys,
  TRANSCRIPT_LIMIT,
  visitorIdFor,
  type KeyValueStore,
} from '../../widget/src/lib/storage';
import { newClientId, newVisitorId } from '../../widget/src/lib/ids';

const m = (seq: number, conversationId = 'conv_0001'): MessageView => ({
  id: `msg_${String(seq).padStart(4, '0')}`,
  seq,
  conversationId,
  role: seq % 2 ? 'customer' : 'bot',
  text: `t${seq}`,
  createdAt: '2025-01-01T00:00:00.000Z',
});

describe('storage keys', () => {
  it('are namespaced by tenant key', () => {
    expect(storageKeys.visitor('pk_a')).toBe('concierge:pk_a:visitor');
    expect(storageKeys.conversation('pk_a')).toBe('concierge:pk_a:conversation');
    expect(storageKeys.transcript('pk_a')).toBe('concierge:pk_a:transcript');
    expect(storageKeys.config('pk_a')).toBe('concierge:pk_a:config');
  });
});

describe('ids', () => {
  it('visitor ids are 32 hex characters and differ', () => {
    const a = newVisitorId();
    expect(a).toMatch(/^[a-f0-9]{32}$/);
    expect(newVisitorId()).not.toBe(a);
    expect(newVisitorId((n) => new Uint8Array(n).fill(255))).toBe('f'.repeat(32));
  });
  it('client ids satisfy the protocol id rule', () => {
    expect(newClientId()).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
  });
});

describe('visitor id', () => {
  it('is created once per tenant and kept', () => {
    const s = memoryStorage();
    const a = visitorIdFor(s, 'pk_a');
    expect(a).toMatch(/^[a-f0-9]{32}$/);
    expect(visitorIdFor(s, 'pk_a')).toBe(a);
    expect(visitorIdFor(s, 'pk_b')).not.toBe(a);
    expect(s.getItem('concierge:pk_a:visitor')).toBe(a);
  });
  it('replaces a tampered value', () => {
    const s = memoryStorage();
    s.setItem('concierge:pk_a:visitor', '<script>');
    expect(visitorIdFor(s, 'pk_a')).toMatch(/^[a-f0-9]{32}$/);
  });
});

describe('safeStorage', () => {
  it('falls back to memory when storage throws', () => {
    const throwing: KeyValueStore = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => {
        throw new Error('SecurityError');
      },
    };
    const s = safeStorage(() => throwing);
    s.setItem('k', 'v');
    expect(s.getItem('k')).toBe('v');
    s.removeItem('k');
    expect(s.getItem('k')).toBeNull();
  });
  it('works when storage is absent or its getter throws', () => {
    const s = safeStorage(() => {
      throw new Error('denied');
    });
    s.setItem('k', 'v');
    expect(s.getItem('k')).toBe('v');
    expect(safeStorage(() => undefined).getItem('x')).toBeNull();
  });
});

describe('conversation pointer and transcript', () => {
  it('round-trips the pointer and refuses junk', () => {
    const s = memoryStorage();
    saveConversation(s, 'pk', { conversationId: 'conv_0001', lastSeq: 7 });
    expect(loadConversation(s, 'pk')).toEqual({ conversationId: 'conv_0001', lastSeq: 7 });
    s.setItem(storageKeys.conversation('pk'), '{"conversationId":"../../x","lastSeq":1}');
    expect(loadConversation(s, 'pk')).toBeUndefined();
    s.setItem(storageKeys.conversation('pk'), 'not json');
    expect(loadConversation(s, 'pk')).toBeUndefined();
    saveConversation(s, 'pk', undefined);
    expect(s.getItem(storageKeys.conversation('pk'))).toBeNull();
  });

  it('keeps at most the newest messages and only those of its conversation', () => {
    const s = memoryStorage();
    const messages = Array.from({ length: TRANSCRIPT_LIMIT + 20 }, (_, i) => m(i + 1));
    saveTranscript(s, 'pk', { conversationId: 'conv_0001', messages, outbox: [] });
    const t = loadTranscript(s, 'pk');
    expect(t.messages).toHaveLength(TRANSCRIPT_LIMIT);
    expect(t.messages[0].seq).toBe(21);
    s.setItem(storageKeys.transcript('pk'), JSON.stringify({ conversationId: 'conv_0001', messages: [m(1), m(2, 'conv_other'), { bad: true }], outbox: [{ clientId: 'client_a001', text: 'hi', status: 'sent' }] }));
    const t2 = loadTranscript(s, 'pk');
    expect(t2.messages.map((x) => x.seq)).toEqual([1]);
    expect(t2.outbox).toEqual([{ clientId: 'client_a001', text: 'hi', createdAt: '', status: 'queued' }]);
  });

  it('resumes from what this tab holds, never past it', () => {
    const p = { conversationId: 'conv_0001', lastSeq: 9 };
    expect(resumeFrom(undefined, { messages: [], outbox: [] })).toBeUndefined();
    // New tab: nothing held, so ask for the whole conversation.
    expect(resumeFrom(p, { messages: [], outbox: [] })).toEqual({ conversationId: 'conv_0001', lastSeq: 0 });
    // This tab holds up to 5 while another tab saw 9: resume from 5.
    expect(resumeFrom(p, { conversationId: 'conv_0001', messages: [m(4), m(5)], outbox: [] })).toEqual({ conversationId: 'conv_0001', lastSeq: 5 });
    // The transcript belongs to another conversation: start from 0.
    expect(resumeFrom(p, { conversationId: 'conv_0002', messages: [m(4, 'conv_0002')], outbox: [] })?.lastSeq).toBe(0);
    // A message missed between two held (6 of 5, 7): resume from before it, so the server sends it again.
    expect(resumeFrom(p, { conversationId: 'conv_0001', messages: [m(4), m(5), m(7)], outbox: [] })?.lastSeq).toBe(5);
    // A hole further back than the last 20 messages is taken as a seq skipped for good (no replay of everything after it).
    const long = Array.from({ length: 40 }, (_, i) => m(i + 1)).filter((x) => x.seq !== 5);
    expect(resumeFrom({ conversationId: 'conv_0001', lastSeq: 40 }, { conversationId: 'conv_0001', messages: long, outbox: [] })?.lastSeq).toBe(20);
  });
});

describe('tenant config cache', () => {
  it('is fresh for ten minutes', () => {
    const s = memoryStorage();
    saveCachedConfig(s, 'pk', { name: 'X' }, 1000);
    expect(loadCachedConfig(s, 'pk', 1000 + CONFIG_CACHE_MS)).toEqual({ name: 'X' });
    expect(loadCachedConfig(s, 'pk', 1001 + CONFIG_CACHE_MS)).toBeUndefined();
    expect(loadCachedConfig(s, 'pk', 999)).toBeUndefined();
    expect(loadCachedConfig(s, 'other', 1000)).toBeUndefined();
  });
});

describe('feedback', () => {
  it('remembers the answers of the current conversation only', () => {
    const store = memoryStorage();
    expect(loadFeedback(store, 'pk', 'conv_0001')).toEqual({});
    saveFeedback(store, 'pk', 'conv_0001', { '2': true, '6': false });
    expect(storageKeys.feedback('pk')).toBe('concierge:pk:feedback');
    expect(loadFeedback(store, 'pk', 'conv_0001')).toEqual({ '2': true, '6': false });
    expect(loadFeedback(store, 'pk', 'conv_0002')).toEqual({});
    expect(loadFeedback(store, 'other', 'conv_0001')).toEqual({});
    // A conversation without answers leaves the last ones alone; answers in a new one replace them.
    saveFeedback(store, 'pk', 'conv_0002', {});
    expect(loadFeedback(store, 'pk', 'conv_0001')).toEqual({ '2': true, '6': false });
    saveFeedback(store, 'pk', 'conv_0002', { '3': true });
    expect(loadFeedback(store, 'pk', 'conv_0001')).toEqual({});
    expect(loadFeedback(store, 'pk', 'conv_0002')).toEqual({ '3': true });
  });

  it('drops tampered entries', () => {
    const store = memoryStorage();
    store.setItem(storageKeys.feedback('pk'), JSON.stringify({ conversationId: 'conv_0001', votes: { '2': true, x: true, '0': false, '5': 'yes', '7': false } }));
    expect(loadFeedback(store, 'pk', 'conv_0001')).toEqual({ '2': true, '7': false });
    store.setItem(storageKeys.feedback('pk'), '{not json');
    expect(loadFeedback(store, 'pk', 'conv_0001')).toEqual({});
  });
});

/**
 * What the widget remembers, under keys namespaced by tenant widget key:
 *
 * | key                              | where          | what                                         |
 * |----------------------------------|----------------|----------------------------------------------|
 * | `concierge:<key>:visitor`        | localStorage   | the visitor id (32 hex)                      |
 * | `concierge:<key>:conversation`   | localStorage   | `{conversationId, lastSeq}`                  |
 * | `concierge:<key>:feedback`       | localStorage   | `{conversationId, votes: {seq: helpful}}`    |
 * | `concierge:<key>:transcript`     | sessionStorage | messages held + unsent outbox, this tab only |
 * | `concierge:<key>:config`         | sessionStorage | the tenant's widget config, with its age     |
 *
 * Storage may be missing or throw (privacy modes, blocked third-party storage);
 * every access goes through `safeStorage`, which falls back to memory.
 */
import type { MessageView } from '../../../lambdas/core/protocol';
import { isVisitorId, newVisitorId, type RandomBytes, browserRandomBytes } from './ids';
import { parseMessageView } from './frames';
import { parseOutboxItem, type OutboxItem } from './outbox';
import { resumeSeq, type Feedback } from './store';

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export const storageKeys = {
  visitor: (key: string): string => `concierge:${key}:visitor`,
  conversation: (key: string): string => `concierge:${key}:conversation`,
  feedback: (key: string): string => `concierge:${key}:feedback`,
  transcript: (key: string): string => `concierge:${key}:transcript`,
  config: (key: string): string => `concierge:${key}:config`,
};

export function memoryStorage(): KeyValueStore {
  const m = new Map<string, string>();
  return {
    getItem: (k) => m.get(k) ?? null,
    setItem: (k, v) => void m.set(k, v),
    removeItem: (k) => void m.delete(k),
  };
}

/** Wraps a storage that may be absent or throw; values written while it fails are kept in memory. */
export function safeStorage(get: () => KeyValueStore | undefined): KeyValueStore {
  const fallback = memoryStorage();
  const real = (): KeyValueStore | undefined => {
    try {
      return get();
    } catch {
      return undefined;
    }
  };
  return {
    getItem(k) {
      try {
        const v = real()?.getItem(k);
        if (v !== undefined && v !== null) return v;
      } catch {
        // fall back
      }
      return fallback.getItem(k);
    },
    setItem(k, v) {
      fallback.setItem(k, v);
      try {
        real()?.setItem(k, v);
      } catch {
        // quota or denied: memory keeps it for this page
      }
    },
    removeItem(k) {
      fallback.removeItem(k);
      try {
        real()?.removeItem(k);
      } catch {
        // ignore
      }
    },
  };
}

function readJson(store: KeyValueStore, key: string): unknown {
  const raw = store.getItem(key);
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The visitor id for this tenant, created and saved on first use. */
export function visitorIdFor(store: KeyValueStore, key: string, random: RandomBytes = browserRandomBytes): string {
  const existing = store.getItem(storageKeys.visitor(key));
  if (isVisitorId(existing)) return existing;
  const id = newVisitorId(random);
  store.setItem(storageKeys.visitor(key), id);
  return id;
}

export interface ConversationPointer {
  readonly conversationId: string;
  readonly lastSeq: number;
  /** A person from the business is awaited or answering: the loader connects on every page, so a reply shows as unread. */
  readonly withPerson?: boolean;
  /** The last seq shown while the panel was open (on any page): replies after it count as unread. */
  readonly seenSeq?: number;
}

const conversationIdRe = /^[A-Za-z0-9_-]{8,64}$/;

export function loadConversation(store: KeyValueStore, key: string): ConversationPointer | undefined {
  const v = readJson(store, storageKeys.conversation(key));
  if (!isRecord(v) || typeof v.conversationId !== 'string' || !conversationIdRe.test(v.conversationId)) return undefined;
  const lastSeq = typeof v.lastSeq === 'number' && Number.isInteger(v.lastSeq) && v.lastSeq >= 0 ? v.lastSeq : 0;
  const seenSeq = typeof v.seenSeq === 'number' && Number.isInteger(v.seenSeq) && v.seenSeq >= 0 ? v.seenSeq : undefined;
  return { conversationId: v.conversationId, lastSeq, ...(v.withPerson === true ? { withPerson: true } : {}), ...(seenSeq !== undefined ? { seenSeq } : {}) };
}

export function saveConversation(store: KeyValueStore, key: string, pointer: ConversationPointer | undefined): void {
  if (pointer) store.setItem(storageKeys.conversation(key), JSON.stringify(pointer));
  else store.removeItem(storageKeys.conversation(key));
}

export interface Transcript {
  readonly conversationId?: string;
  readonly messages: readonly MessageView[];
  readonly outbox: readonly OutboxItem[];
}

/** At most this many messages are cached per tab; older ones are replayed by the server if needed. */
export const TRANSCRIPT_LIMIT = 100;

export function loadTranscript(store: KeyValueStore, key: string): Transcript {
  const v = readJson(store, storageKeys.transcript(key));
  if (!isRecord(v)) return { messages: [], outbox: [] };
  const conversationId = typeof v.conversationId === 'string' && conversationIdRe.test(v.conversationId) ? v.conversationId : undefined;
  const messages = (Array.isArray(v.messages) ? v.messages : [])
    .map(parseMessageView)
    .filter((m): m is MessageView => m !== undefined && m.conversationId === conversationId);
  const outbox = (Array.isArray(v.outbox) ? v.outbox : []).map(parseOutboxItem).filter((o): o is OutboxItem => o !== undefined);
  return { ...(conversationId ? { conversationId } : {}), messages, outbox };
}

export function saveTranscript(store: KeyValueStore, key: string, t: Transcript): void {
  const messages = t.messages.slice(-TRANSCRIPT_LIMIT);
  store.setItem(storageKeys.transcript(key), JSON.stringify({ conversationId: t.conversationId, messages, outbox: t.outbox }));
}

/**
 * The `lastSeq` to resume from: the highest seq this tab holds with none missing before it (resumeSeq), for the
 * remembered conversation. A pointer saved by another tab may be ahead of what
 * this tab holds; trusting it would skip messages, so the transcript wins.
 */
export function resumeFrom(pointer: ConversationPointer | undefined, transcript: Transcript): ConversationPointer | undefined {
  if (!pointer) return undefined;
  if (transcript.conversationId !== pointer.conversationId) return { conversationId: pointer.conversationId, lastSeq: 0 };
  const held = resumeSeq(transcript.messages);
  return { conversationId: pointer.conversationId, lastSeq: Math.min(pointer.lastSeq, held) };
}

export const CONFIG_CACHE_MS = 10 * 60 * 1000;

export function loadCachedConfig(store: KeyValueStore, key: string, now: number): unknown {
  const v = readJson(store, storageKeys.config(key));
  if (!isRecord(v) || typeof v.savedAt !== 'number' || now - v.savedAt > CONFIG_CACHE_MS || now < v.savedAt) return undefined;
  return v.config;
}

export function saveCachedConfig(store: KeyValueStore, key: string, config: unknown, now: number): void {
  store.setItem(storageKeys.config(key), JSON.stringify({ savedAt: now, config }));
}

/** At most this many answers are remembered (those of the current conversation). */
export const FEEDBACK_LIMIT = 200;

/** The visitor's "did this help?" answers for `conversationId` (empty for another conversation or a damaged entry). */
export function loadFeedback(store: KeyValueStore, key: string, conversationId: string | undefined): Feedback {
  const v = readJson(store, storageKeys.feedback(key));
  if (!conversationId || !isRecord(v) || v.conversationId !== conversationId || !isRecord(v.votes)) return {};
  const out: Record<string, boolean> = {};
  for (const [seq, helpful] of Object.entries(v.votes).slice(0, FEEDBACK_LIMIT)) if (/^[1-9]\d{0,8}$/.test(seq) && typeof helpful === 'boolean') out[seq] = helpful;
  return out;
}

export function saveFeedback(store: KeyValueStore, key: string, conversationId: string | undefined, feedback: Feedback | undefined): void {
  const votes = Object.entries(feedback ?? {}).slice(-FEEDBACK_LIMIT);
  if (!conversationId || !votes.length) return;
  const raw = JSON.stringify({ conversationId, votes: Object.fromEntries(votes) });
  if (store.getItem(storageKeys.feedback(key)) !== raw) store.setItem(storageKeys.feedback(key), raw);
}

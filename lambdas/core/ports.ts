/**
 * Ports: everything the domain core needs from the outside world. The core
 * imports no AWS SDK; adapters (lambdas/adapters) implement these for AWS and
 * for the local cloud.
 */
import type { Passage } from './answer/passages';
import type { KnowledgeBase } from './knowledge-base';
import type { ConversationMode, MessageRole, MessageView, QuickReply, ServerFrame, SourceRef } from './protocol';

export interface TenantProfile {
  readonly tenantId: string;
  readonly name: string;
  readonly slug: string;
  readonly timezone: string;
  readonly languages: readonly string[];
  readonly widgetKey: string;
  readonly allowedOrigins: readonly string[];
  readonly theme: { readonly colour: string; readonly position: 'right' | 'left'; readonly greeting: Readonly<Record<string, string>>; readonly logoUrl?: string };
  /** Bumped by every knowledge-base import; search indexes cache by it. */
  readonly kbVersion: number;
  /** Message rate limits; the defaults in core/rate-limit.ts when absent. */
  readonly limits?: {
    readonly perConnection: { readonly ratePerSecond: number; readonly burst: number };
    readonly perTenant: { readonly ratePerSecond: number; readonly burst: number };
  };
}

export interface TenantStore {
  getProfile(tenantId: string): Promise<TenantProfile | undefined>;
  putProfile(profile: TenantProfile): Promise<void>;
}

export interface KnowledgeStore {
  /** The knowledge base of the tenant's current version. */
  getKnowledgeBase(tenantId: string): Promise<KnowledgeBase | undefined>;
  /** The passages (FAQ entries and document chunks) of the tenant's current version. */
  listPassages(tenantId: string): Promise<{ version: number; passages: Passage[] }>;
  /** Writes a whole new version and then switches to it atomically; returns the new version. */
  replaceKnowledgeBase(tenantId: string, kb: KnowledgeBase, passages: readonly Passage[]): Promise<number>;
}

export interface RetrievedPassage {
  readonly passage: Passage;
  readonly score: number;
  /** 0..1: how much of the question the passage covers. */
  readonly coverage: number;
}

export interface KnowledgeIndex {
  search(tenantId: string, query: string, k: number): Promise<RetrievedPassage[]>;
}

export interface ComposeInput {
  readonly question: string;
  readonly lang: string;
  readonly businessName: string;
  readonly passages: readonly RetrievedPassage[];
  /** Earlier turns of the conversation, oldest first (for follow-ups such as "how much is it?"). */
  readonly history?: readonly { readonly role: 'customer' | 'bot' | 'agent'; readonly text: string }[];
  /** Called with each piece of text as it is produced, for streaming; the resolved text is the whole reply. */
  readonly onDelta?: (text: string) => void;
}

/** Writes the reply from retrieved passages only. */
export interface LanguageModel {
  compose(input: ComposeInput): Promise<{ text: string; usedPassageIds: readonly string[] }>;
}

/** Turns text into dense vectors (sentence embeddings). */
export interface Embedder {
  readonly model: string;
  readonly dimensions: number;
  embed(texts: readonly string[]): Promise<number[][]>;
}

export interface ConversationRecord {
  readonly tenantId: string;
  readonly conversationId: string;
  readonly visitorId: string;
  readonly channel: 'web' | 'whatsapp' | 'sms' | 'messenger';
  readonly mode: ConversationMode;
  readonly lang: string;
  readonly createdAt: string;
  readonly lastMessageAt: string;
  readonly lastMessagePreview: string;
  readonly messageCount: number;
}

export interface NewMessage {
  readonly role: MessageRole;
  readonly text: string;
  readonly clientId?: string;
  readonly sources?: readonly SourceRef[];
  readonly quickReplies?: readonly QuickReply[];
}

export interface ConversationStore {
  getConversation(tenantId: string, conversationId: string): Promise<ConversationRecord | undefined>;
  /** The visitor's current conversation id, if any. */
  getVisitorConversation(tenantId: string, visitorId: string): Promise<string | undefined>;
  /** Creates a conversation and makes it the visitor's current one, atomically. */
  startConversation(tenantId: string, visitorId: string, lang: string): Promise<ConversationRecord>;
  /**
   * Appends a message. With a clientId already stored, nothing is written and
   * the stored message is returned with `duplicate: true`.
   */
  appendMessage(tenantId: string, conversationId: string, message: NewMessage): Promise<{ message: MessageView; duplicate: boolean }>;
  listMessages(tenantId: string, conversationId: string, afterSeq: number, limit?: number): Promise<MessageView[]>;
  listConversations(tenantId: string, limit: number, cursor?: string): Promise<{ items: ConversationRecord[]; nextCursor?: string }>;
}

export interface ConnectionStore {
  putConnection(tenantId: string, connectionId: string, visitorId: string): Promise<void>;
  /** Points the connection at a conversation (replacing an earlier subscription). */
  subscribe(tenantId: string, connectionId: string, conversationId: string): Promise<void>;
  getConnection(tenantId: string, connectionId: string): Promise<{ visitorId: string; conversationId?: string } | undefined>;
  listSubscribers(tenantId: string, conversationId: string): Promise<string[]>;
  removeConnection(tenantId: string, connectionId: string): Promise<void>;
}

/** Pushes frames to WebSocket connections. Returns false when the connection is gone. */
export interface ConnectionPusher {
  push(connectionId: string, frame: ServerFrame): Promise<boolean>;
}

export type ConciergeEventType =
  | 'conversation.started'
  | 'message.received'
  | 'message.answered'
  | 'message.unanswered'
  | 'handoff.requested'
  | 'booking.requested';

export interface ConciergeEvent {
  readonly type: ConciergeEventType;
  readonly tenantId: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface EventPublisher {
  publish(events: readonly ConciergeEvent[]): Promise<void>;
}

export interface Clock {
  now(): Date;
}

/** Token buckets (GCRA): `take` spends one token, or returns false when the bucket is empty. */
export interface RateLimiter {
  take(tenantId: string, bucket: string, policy: { readonly ratePerSecond: number; readonly burst: number }): Promise<boolean>;
}

export interface DailyStatsStore {
  /** Adds to the day's counters once per event id; a replayed event id changes nothing. */
  increment(tenantId: string, day: string, eventId: string, counters: Readonly<Record<string, number>>): Promise<boolean>;
  getDay(tenantId: string, day: string): Promise<Record<string, number>>;
}

/**
 * Ports: everything the domain core needs from the outside world. The core
 * imports no AWS SDK; adapters (lambdas/adapters) implement these for AWS and
 * for the local cloud.
 */
import type { ConversationContext } from './answer/context';
import type { EmbeddedPassage, Passage } from './answer/passages';
import type { KnowledgeBase } from './knowledge-base';
import type { ConversationMode, MessageAttachment, MessageRole, MessageView, QuickReply, ReceiptBy, ServerFrame, SourceRef } from './protocol';

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
    /** Per client address (API Gateway's source IP), across its connections; the default when absent. */
    readonly perAddress?: { readonly ratePerSecond: number; readonly burst: number };
  };
}

export interface TenantStore {
  getProfile(tenantId: string): Promise<TenantProfile | undefined>;
  putProfile(profile: TenantProfile): Promise<void>;
  /**
   * Sets the business's name, slug, time zone and languages on an existing profile, and nothing else: unlike a
   * read-then-put, it can never write back an older `kbVersion` (an import or an edit moves it at the same time).
   */
  updateBusiness(tenantId: string, business: Pick<TenantProfile, 'name' | 'slug' | 'timezone' | 'languages'>): Promise<void>;
}

export interface ReplaceKnowledgeBaseOptions {
  /** Replace only while the knowledge base is at this version (0: none yet); else a 412 `precondition_failed`, nothing written. */
  readonly expectedVersion?: number;
}

export interface KnowledgeStore {
  /** The knowledge base of the tenant's current version. */
  getKnowledgeBase(tenantId: string): Promise<KnowledgeBase | undefined>;
  /** The passages (FAQ entries and document chunks) of the tenant's current version. */
  listPassages(tenantId: string): Promise<{ version: number; passages: EmbeddedPassage[] }>;
  /** Writes a whole new version and then switches to it atomically; returns the new version. */
  replaceKnowledgeBase(tenantId: string, kb: KnowledgeBase, passages: readonly EmbeddedPassage[], options?: ReplaceKnowledgeBaseOptions): Promise<number>;
  /**
   * Keeps vectors made for passages stored without one (by the knowledge indexer or an index), beside those of the
   * current knowledge base that still have the same id, title, alternative wordings and text and no vector of that
   * model; returns how many were kept. Optional: a store without it leaves every new index to embed them again.
   */
  storePassageVectors?(tenantId: string, passages: readonly EmbeddedPassage[]): Promise<number>;
  /**
   * Records that the search collection holds the knowledge base as of `version` (only ever moves forward):
   * `whole` when the run wrote the whole knowledge base, not one source of it. Only a whole write holds the
   * passages of an import; one source written before it (an edit saved while the import was indexed) does not.
   */
  markIndexed?(tenantId: string, version: number, scope: { readonly whole: boolean }): Promise<void>;
  /**
   * The newest version recorded by `markIndexed`, once the current knowledge base has been written whole since
   * its last import; 0 before that.
   */
  indexedVersion?(tenantId: string): Promise<number>;
  /**
   * How many passages the current version has, and how many of them have a vector of each model: what
   * `listPassages` would give, without reading the texts and vectors (the indexing status polls it). Optional: the
   * status falls back to `listPassages`.
   */
  countPassages?(tenantId: string): Promise<PassageCounts>;
}

export interface PassageCounts {
  readonly version: number;
  readonly passages: number;
  /** Passages with a vector, by the vector's model (`passageEmbeddingModel`). */
  readonly vectors: Readonly<Record<string, number>>;
}

/** One FAQ or one document changed, added or deleted: the knowledge-base file after the change and the source's passages. */
export interface KnowledgeSourceChange {
  readonly kind: 'faq' | 'document';
  /** The FAQ id or document id. */
  readonly sourceId: string;
  /** The whole knowledge-base file after the change. */
  readonly kb: KnowledgeBase;
  /** The source's passages after the change; none when it is deleted. */
  readonly passages: readonly EmbeddedPassage[];
}

/** Changes one knowledge item at a time (admin edits), in place, next to whole imports. */
export interface KnowledgeItemStore {
  /** The current knowledge base and its version, read consistently (for read-modify-write); undefined before the first import. */
  readKnowledgeBase(tenantId: string): Promise<{ version: number; kb: KnowledgeBase } | undefined>;
  /**
   * Applies the change to the current knowledge base and bumps `kbVersion`, all
   * visible at once; `stale` (and nothing visible changed) when the knowledge
   * base is no longer at `expectedVersion`.
   */
  replaceSource(tenantId: string, expectedVersion: number, change: KnowledgeSourceChange): Promise<{ version: number } | 'stale'>;
  /**
   * An edit found the source already as asked (a retry after a failure, say) and wrote nothing: a store with work
   * that follows its writes (the knowledge indexer) is told again, in case the first write's notice was lost.
   */
  sourceUnchanged?(tenantId: string, version: number, sourceId: string): Promise<void>;
}

/** Reads the text of a PDF file. */
export interface PdfTextExtractor {
  /** Plain text with paragraphs separated by blank lines; throws a bad_request DomainError for a file it cannot read. */
  extractText(pdf: Uint8Array, options: { readonly maxChars: number }): Promise<string>;
}

export interface RetrievedPassage {
  readonly passage: Passage;
  /**
   * Ranking score, higher is better; results come sorted by it. Hybrid search
   * (embeddings available): 0..1, 0.3 · BM25 / best BM25 of the query + 0.7 ·
   * similarity. BM25 only: the raw BM25F score. Compare scores within one
   * result list, not across questions.
   */
  readonly score: number;
  /** 0..1: how much of the question the passage covers (idf-weighted share of the question's terms it contains; a word matched through a typo counts 0.5, through two words written as one 0.8). */
  readonly coverage: number;
  /**
   * 0..1: semantic similarity of question and passage (cosine of their
   * sentence embeddings, clamped at 0); absent when no embeddings were used.
   * Unlike `score` it is comparable across questions, but its scale belongs to
   * the embedding model. USE-lite (offline), top-1 passage, measured by
   * test/bench/retrieval.ts: questions the knowledge base answers — median
   * 0.78 (p10 0.65) on StackFAQ, 0.72 (p10 0.56) on demo-clinic paraphrases;
   * out-of-scope questions (CLINC150 oos) against the demo clinic — median
   * 0.29, p90 0.52. It separates in-scope from out-of-scope questions well,
   * but hardly a right passage from a close wrong one (StackFAQ top-1 when
   * wrong: median 0.73).
   */
  readonly similarity?: number;
}

export interface KnowledgeIndex {
  search(tenantId: string, query: string, k: number, options?: SearchOptions): Promise<RetrievedPassage[]>;
}

/** What a caller of `KnowledgeIndex.search` may already know; an index is free to ignore either. */
export interface SearchOptions {
  /**
   * The tenant's knowledge-base version as the caller read it for this message (the conversation reads the
   * profile anyway): an index cached per version need not read it again for every search.
   */
  readonly kbVersion?: number;
  /**
   * Queries this search may be followed by for the same question (a Spanish question's other English rendering):
   * an index that embeds questions itself may embed them in the same model call, which costs less than two.
   */
  readonly next?: readonly string[];
}

/**
 * Writes passages to a search index that keeps its own copy (OpenSearch
 * Serverless); the embedded index reads the knowledge store instead and needs
 * none. Passages are scoped to the tenant: a tenant can never write, replace
 * or remove another tenant's passages, whatever ids it names.
 */
export interface KnowledgeIndexWriter {
  /** Adds passages, replacing any of the tenant's passages with the same ids. */
  upsert(tenantId: string, passages: readonly EmbeddedPassage[]): Promise<void>;
  /** Removes the tenant's passages with these ids (unknown ids are ignored). */
  remove(tenantId: string, ids: readonly string[]): Promise<void>;
  /** Makes one FAQ's or document's passages exactly these (an admin edit; none when it was deleted). */
  replaceSource(tenantId: string, sourceId: string, passages: readonly EmbeddedPassage[]): Promise<void>;
  /** Makes the tenant's passages exactly these (a whole import). */
  replaceAll(tenantId: string, passages: readonly EmbeddedPassage[]): Promise<void>;
}

export interface ComposeInput {
  readonly question: string;
  readonly lang: string;
  readonly businessName: string;
  readonly passages: readonly RetrievedPassage[];
  /**
   * The text the passages were retrieved with, when it differs from the question (a follow-up with the
   * conversation's topic added, or a Spanish question glossed into English). Extractive answerers pick
   * sentences with it; generative ones answer `question`.
   */
  readonly searchQuery?: string;
  /** Earlier turns of the conversation, oldest first (for follow-ups such as "how much is it?"). */
  readonly history?: readonly { readonly role: 'customer' | 'bot' | 'agent'; readonly text: string }[];
  /** Called with each piece of text as it is produced, for streaming; the resolved text is the whole reply. */
  readonly onDelta?: (text: string) => void;
}

/** Writes the reply from retrieved passages only. */
export interface LanguageModel {
  /**
   * Whether the model itself judges if the passages answer the question (a hosted LLM, told to cite nothing
   * when they do not). The answering policy then also gives it passages below the extractive answering bar,
   * down to the candidate bar (answer/concierge.ts): a paraphrase the search ranks right but cannot vouch for
   * is answered when the model finds the answer in it. An extractive answerer cannot tell, so it only ever
   * sees passages above the answering bar.
   */
  readonly judgesRelevance?: boolean;
  compose(input: ComposeInput): Promise<{ text: string; usedPassageIds: readonly string[] }>;
}

/** Turns text into dense vectors (sentence embeddings). */
export interface Embedder {
  readonly model: string;
  readonly dimensions: number;
  /** The languages the model understands (ISO 639-1); absent: multilingual. A question in another language is searched lexically only. */
  readonly languages?: readonly string[];
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
  /** The answering policy's state between turns (unanswered streak, topic for follow-ups, pending offer); absent before the first answer. */
  readonly context?: ConversationContext;
  /** The highest message seq allocated in the conversation; absent before the first message. */
  readonly lastSeq?: number;
  /** Read receipts (core/receipts.ts): the highest seq the customer has seen, and the highest customer message seq staff read. */
  readonly customerReadSeq?: number;
  readonly staffReadSeq?: number;
}

export interface NewMessage {
  readonly role: MessageRole;
  readonly text: string;
  readonly clientId?: string;
  readonly sources?: readonly SourceRef[];
  readonly quickReplies?: readonly QuickReply[];
  readonly attachments?: readonly MessageAttachment[];
  /**
   * A customer message whose handling is tracked (core/conversation.ts receiveCustomerMessage): its client-id guard
   * is written claimed by this invocation for `claimMs`, until `settleMessage` marks it handled or `releaseMessage`
   * gives the claim up. A replay of an unhandled message whose claim is free (given up, or run out: the invocation
   * died) takes the claim and comes back `resumed`, to be handled again; a handled one is only a duplicate.
   */
  readonly claimMs?: number;
}

/** What appending a message did: stored it, or found it stored (`duplicate`), and then maybe took it over (`resumed`). */
export interface AppendedMessage {
  readonly message: MessageView;
  readonly duplicate: boolean;
  /** A duplicate of a claimed message nobody handled or handles: this caller now holds its claim (NewMessage.claimMs). */
  readonly resumed?: boolean;
}

/** How a new conversation takes the visitor's pointer. Without options it always does (the widget's "new conversation"). */
export interface StartConversationOptions {
  /**
   * The conversation the caller read as the visitor's current one (undefined: none). When the pointer has moved
   * since, nothing is written and `ConversationStartRaced` (core/errors.ts) is thrown.
   */
  readonly replacing: string | undefined;
}

export interface ConversationStore {
  getConversation(tenantId: string, conversationId: string): Promise<ConversationRecord | undefined>;
  /** The visitor's current conversation id, if any. */
  getVisitorConversation(tenantId: string, visitorId: string): Promise<string | undefined>;
  /**
   * Creates a conversation and makes it the visitor's current one, atomically. On WhatsApp, SMS and Messenger
   * the "visitor" is the channel identity (`whatsapp:+34…`, core/channels/identity.ts). @default channel 'web'
   */
  startConversation(tenantId: string, visitorId: string, lang: string, channel?: ConversationRecord['channel'], options?: StartConversationOptions): Promise<ConversationRecord>;
  /**
   * Appends a message. With a clientId already stored, nothing is written and
   * the stored message is returned with `duplicate: true` (and `resumed`, see NewMessage.claimMs).
   */
  appendMessage(tenantId: string, conversationId: string, message: NewMessage): Promise<AppendedMessage>;
  /** The claimed message (NewMessage.claimMs) was handled: a replay of it is only a duplicate from now on. */
  settleMessage?(tenantId: string, conversationId: string, clientId: string): Promise<void>;
  /** Gives up the claim on a message this invocation failed to handle, so that a replay of it is handled at once. */
  releaseMessage?(tenantId: string, conversationId: string, clientId: string): Promise<void>;
  listMessages(tenantId: string, conversationId: string, afterSeq: number, limit?: number): Promise<MessageView[]>;
  listConversations(tenantId: string, limit: number, cursor?: string): Promise<{ items: ConversationRecord[]; nextCursor?: string }>;
  /** Replaces the conversation's policy state (`ConversationRecord.context`) with the one after the latest answer. */
  updateConversationContext?(tenantId: string, conversationId: string, context: ConversationContext): Promise<void>;
  /**
   * Raises `customerReadSeq` (by customer) or `staffReadSeq` (by staff) to `seq`, only when it is absent or
   * lower and `seq` is not beyond the conversation's last seq; returns whether it advanced.
   */
  markRead?(tenantId: string, conversationId: string, by: ReceiptBy, seq: number): Promise<boolean>;
  /**
   * The conversation's answering turn (core/conversation.ts), first come first served by message seq. `takeTurn`
   * takes it for the ticket's owner for `leaseMs` when nobody holds it (or its holder's lease has run out: an
   * invocation that died), putting the ticket in the conversation's line in the same write; with `deferToEarlier`,
   * a ticket that finds a lower seq still waiting in the line gives the turn straight back. Returns the conversation
   * as it stands when the turn is taken; otherwise whether this attempt put the ticket in the line (if not, the
   * caller joins it with `joinTurnLine`, once, so that later messages wait for it).
   */
  takeTurn?(tenantId: string, conversationId: string, ticket: TurnTicket, options: { readonly leaseMs: number; readonly deferToEarlier: boolean }): Promise<TurnAttempt>;
  joinTurnLine?(tenantId: string, conversationId: string, ticket: TurnTicket): Promise<void>;
  /** Leaves the line, and gives the turn back if the ticket's owner `held` it and still does. */
  releaseTurn?(tenantId: string, conversationId: string, ticket: TurnTicket, held: boolean): Promise<void>;
}

/** One try for the answering turn: taken (with the conversation as it stands), or not, and then whether in line. */
export type TurnAttempt = { readonly taken: ConversationRecord } | { readonly taken?: undefined; readonly inLine: boolean };

/** A message's place in its conversation's line for the answering turn: lower seqs go first. */
export interface TurnTicket {
  /** Who would hold the turn (the message id). */
  readonly owner: string;
  /** The message's seq in the conversation. */
  readonly seq: number;
  /** Epoch ms after which the ticket is stale (its invocation is over): later messages stop deferring to it. */
  readonly expiresAt: number;
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
  /** A handoff changed mode or status (core/handoff.ts), with its reason and time: feeds analytics. */
  | 'handoff.transition'
  /** A customer answered the satisfaction question after a handoff. */
  | 'handoff.csat'
  /** A booking was held; starts state-machines/booking.asl.json (detail: bookingId). */
  | 'booking.requested'
  /** The booking workflow confirmed a booking (detail: bookingId, serviceId, staffId, start, end, depositCents…). */
  | 'booking.confirmed'
  | 'booking.cancelled'
  /** A reschedule: detail bookingId (the new one) and rescheduledFrom. */
  | 'booking.changed'
  /** The workflow gave up on a booking (detail: bookingId, reason, status failed | expired). */
  | 'booking.failed'
  /** The reminder before the start was sent. */
  | 'booking.reminded'
  /** A deposit was paid, from the verified payment webhook (detail: bookingId, paymentId, amountCents, eventId). */
  | 'payment.succeeded'
  | 'payment.failed'
  /**
   * A paid deposit was given back (detail: bookingId, paymentId, amountCents, currency, reason; one occurrence per
   * booking, as the refund port is idempotent per booking): a cancellation, a failed booking, a late payment.
   */
  | 'payment.refunded'
  // ---- channels (core/channels/inbound.ts, core/conversation.ts deliverToCustomer) ----
  /** A verified inbound WhatsApp / SMS / Messenger message, before it joins a conversation (detail: InboundMessage). */
  | 'channel.message.received'
  /** A message for a customer on WhatsApp / SMS / Messenger: the channel senders deliver it (detail: conversationId, seq, channel, kind). */
  | 'message.send'
  // ---- insights and trust (issue 8) ----
  /** The customer said whether a bot answer helped (widget thumbs; detail: conversationId, seq, helpful, channel). */
  | 'message.feedback'
  /** Staff marked a confirmed booking as a no-show (detail: bookingId, serviceId, staffId, start, by). */
  | 'booking.noshow'
  /** A customer record was created: the first phone or e-mail linked to a channel identity (detail: customerKey, identity, conversationId?). */
  | 'customer.created'
  /** A customer's data was erased (detail: customerRef — a hash, never the phone or e-mail — and counts per store). */
  | 'customer.erased'
  /** The tenant's retention period changed (detail: retentionDays | null, by): existing conversations are re-stamped or deleted. */
  | 'privacy.retention.changed'
  /** The daily schedule: sweep what has become too old for this tenant (detail: tenantId only; core/privacy/retention.ts). */
  | 'privacy.retention.due'
  /** The knowledge base was imported or one FAQ or document changed (detail: version, sourceId?): the indexer completes it (core/knowledge-indexing.ts). */
  | 'knowledge.changed';

export interface ConciergeEvent {
  readonly type: ConciergeEventType;
  readonly tenantId: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

/**
 * `detail.idempotencyKey`: the same on every publication of one occurrence. A producer that may publish an
 * occurrence twice sets it — a workflow step retried after it failed, timed out or lost its answer cannot tell
 * whether its publish went out, so it publishes again (core/booking/workflow.ts). The bus gives each copy an id
 * of its own; the consumers that count or forward events (the analytics projector, the outbound webhooks) apply
 * each occurrence once by `occurrenceIdOf`. At most 128 characters of `A-Z a-z 0-9 . _ : -`, unique per tenant.
 */
export const IDEMPOTENCY_KEY = 'idempotencyKey';
const idempotencyKeyPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** What makes one occurrence: its idempotency key when the producer gave one (`key:<key>`), else the bus event's id. */
export function occurrenceIdOf(event: { readonly id: string; readonly detail: Readonly<Record<string, unknown>> }): string {
  const key = event.detail[IDEMPOTENCY_KEY];
  return typeof key === 'string' && idempotencyKeyPattern.test(key) ? `key:${key}` : event.id;
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

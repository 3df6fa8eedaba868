/**
 * The admin REST API client. Plain TypeScript: the id token source and fetch
 * are injected, so it is unit-tested without a browser or Amplify.
 */
import { ApiError, isAbortError, networkError, parseApiError, parseJsonBody } from '../lib/api-error';
import { apiEndpoint } from '../lib/config';
import { DecodeError, type Decoder } from '../lib/decode';
import {
  agentMessageResultDecoder,
  followUpListDecoder,
  followUpResultDecoder,
  handoffResultDecoder,
  handoffSettingsDecoder,
  inboxConversationDecoder,
  inboxPageDecoder,
  outboxListDecoder,
  type FollowUp,
  type Handoff,
  type HandoffSettings,
  type InboxConversation,
  type InboxMessage,
  type InboxPage,
  type OutboxEmail,
  conversationDetailDecoder,
  conversationPageDecoder,
  importResultDecoder,
  knowledgeBaseDecoder,
  knowledgeStatusDecoder,
  meDecoder,
  testAnswerDecoder,
  type AnswerLang,
  type ConversationDetail,
  type ConversationPage,
  type ImportResult,
  type KnowledgeBase,
  type KnowledgeStatus,
  type Me,
  type TestAnswer,
} from './types';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ApiClientOptions {
  readonly apiUrl: string;
  /** The Cognito id token; `forceRefresh` after the API answered 401. */
  readonly getIdToken: (options: { forceRefresh: boolean }) => Promise<string | undefined>;
  readonly fetch?: FetchLike;
}

export interface RequestOptions {
  readonly signal?: AbortSignal;
  /** More request headers (a precondition: `If-Match`, `If-None-Match`). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ApiClient {
  getMe(options?: RequestOptions): Promise<Me>;
  listConversations(query?: { limit?: number; cursor?: string }, options?: RequestOptions): Promise<ConversationPage>;
  getConversation(conversationId: string, options?: RequestOptions): Promise<ConversationDetail>;
  getKnowledge(options?: RequestOptions): Promise<KnowledgeBase>;
  /** The knowledge base with its entity tag (its version): an import with it as `If-Match` applies only if nothing changed since. */
  getKnowledgeTagged(options?: RequestOptions): Promise<{ kb: KnowledgeBase; etag?: string }>;
  /** How many of the knowledge base's passages the indexer has embedded (search by meaning). */
  getKnowledgeStatus(options?: RequestOptions): Promise<KnowledgeStatus>;
  /** Sends the file as parsed; the server validates it and names the failing field. */
  importKnowledge(file: unknown, options?: RequestOptions): Promise<ImportResult>;
  testQuestion(input: { question: string; lang?: AnswerLang }, options?: RequestOptions): Promise<TestAnswer>;
  listInbox(queue: 'waiting' | 'mine' | 'all', options?: RequestOptions): Promise<InboxPage>;
  getInboxConversation(conversationId: string, options?: RequestOptions): Promise<InboxConversation>;
  /** accept | takeover | return | close */
  handoffAction(conversationId: string, action: HandoffAction, options?: RequestOptions): Promise<Handoff>;
  sendAgentMessage(conversationId: string, input: { text: string; clientId?: string }, options?: RequestOptions): Promise<InboxMessage>;
  getHandoffSettings(options?: RequestOptions): Promise<HandoffSettings>;
  putHandoffSettings(settings: HandoffSettings, options?: RequestOptions): Promise<HandoffSettings>;
  listFollowUps(options?: RequestOptions): Promise<FollowUp[]>;
  completeFollowUp(followUpId: string, options?: RequestOptions): Promise<FollowUp>;
  listOutbox(options?: RequestOptions): Promise<OutboxEmail[]>;
  /** The current id token, for the staff WebSocket (it cannot send headers). */
  idToken(): Promise<string | undefined>;
  /** Any other route, decoded: feature modules (api/bookings.ts) build their calls on it. */
  call<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, decoder: Decoder<T>, body?: unknown, options?: RequestOptions): Promise<T>;
}

export type HandoffAction = 'accept' | 'takeover' | 'return' | 'close';

export const CONVERSATIONS_PAGE_SIZE = 50;

export function createApiClient(options: ApiClientOptions): ApiClient {
  const doFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));

  async function send(method: string, path: string, body: unknown, forceRefresh: boolean, signal?: AbortSignal, extra: Readonly<Record<string, string>> = {}): Promise<Response> {
    const token = await options.getIdToken({ forceRefresh });
    if (!token) throw new ApiError({ status: 401, code: 'unauthenticated', message: 'You are signed out. Sign in again.' });
    const headers: Record<string, string> = { ...extra, Authorization: `Bearer ${token}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      return await doFetch(apiEndpoint(options.apiUrl, path), {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (isAbortError(err)) throw err;
      throw networkError();
    }
  }

  async function request<T>(method: string, path: string, decoder: Decoder<T>, body?: unknown, signal?: AbortSignal, headers?: Readonly<Record<string, string>>): Promise<T> {
    return (await exchange(method, path, decoder, body, signal, headers)).value;
  }

  /** The decoded answer and its entity tag (`ETag`), for an edit's `If-Match`. */
  async function exchange<T>(
    method: string,
    path: string,
    decoder: Decoder<T>,
    body?: unknown,
    signal?: AbortSignal,
    headers?: Readonly<Record<string, string>>,
  ): Promise<{ value: T; etag?: string }> {
    let response = await send(method, path, body, false, signal, headers);
    // An id token can expire between Amplify's check and the API's: refresh once and retry.
    if (response.status === 401) response = await send(method, path, body, true, signal, headers);
    const parsed = parseJsonBody(await response.text());
    if (!response.ok) throw parseApiError(response.status, parsed);
    try {
      const etag = response.headers.get('etag');
      return { value: decoder(parsed), ...(etag ? { etag } : {}) };
    } catch (err) {
      if (err instanceof DecodeError) {
        throw new ApiError({ status: response.status, code: 'bad_response', message: `Unexpected answer from the server (${err.message}).` });
      }
      throw err;
    }
  }

  return {
    getMe: (o) => request('GET', '/v1/admin/me', meDecoder, undefined, o?.signal),
    listConversations: (query = {}, o) => {
      const params = new URLSearchParams({ limit: String(query.limit ?? CONVERSATIONS_PAGE_SIZE) });
      if (query.cursor !== undefined) params.set('cursor', query.cursor);
      return request('GET', `/v1/admin/conversations?${params.toString()}`, conversationPageDecoder, undefined, o?.signal);
    },
    getConversation: (id, o) =>
      request('GET', `/v1/admin/conversations/${encodeURIComponent(id)}`, conversationDetailDecoder, undefined, o?.signal),
    getKnowledge: (o) => request('GET', '/v1/admin/knowledge', knowledgeBaseDecoder, undefined, o?.signal),
    getKnowledgeTagged: async (o) => {
      const { value, etag } = await exchange('GET', '/v1/admin/knowledge', knowledgeBaseDecoder, undefined, o?.signal);
      return { kb: value, ...(etag ? { etag } : {}) };
    },
    getKnowledgeStatus: (o) => request('GET', '/v1/admin/knowledge/status', knowledgeStatusDecoder, undefined, o?.signal),
    importKnowledge: async (file, o) => (await request('PUT', '/v1/admin/knowledge', importResultDecoder, file, o?.signal, o?.headers)).imported,
    testQuestion: async (input, o) => (await request('POST', '/v1/admin/knowledge/test', testAnswerDecoder, input, o?.signal)).answer,
    listInbox: (queue, o) => request('GET', `/v1/admin/inbox?queue=${queue}`, inboxPageDecoder, undefined, o?.signal),
    getInboxConversation: (id, o) => request('GET', `/v1/admin/inbox/${encodeURIComponent(id)}`, inboxConversationDecoder, undefined, o?.signal),
    handoffAction: async (id, action, o) =>
      (await request('POST', `/v1/admin/inbox/${encodeURIComponent(id)}/${action}`, handoffResultDecoder, undefined, o?.signal)).handoff,
    sendAgentMessage: async (id, input, o) =>
      (await request('POST', `/v1/admin/inbox/${encodeURIComponent(id)}/messages`, agentMessageResultDecoder, input, o?.signal)).message,
    getHandoffSettings: (o) => request('GET', '/v1/admin/handoff-settings', handoffSettingsDecoder, undefined, o?.signal),
    putHandoffSettings: (settings, o) => request('PUT', '/v1/admin/handoff-settings', handoffSettingsDecoder, settings, o?.signal),
    listFollowUps: async (o) => (await request('GET', '/v1/admin/follow-ups', followUpListDecoder, undefined, o?.signal)).items,
    completeFollowUp: async (id, o) =>
      (await request('POST', `/v1/admin/follow-ups/${encodeURIComponent(id)}/done`, followUpResultDecoder, undefined, o?.signal)).followUp,
    listOutbox: async (o) => (await request('GET', '/v1/admin/outbox?limit=100', outboxListDecoder, undefined, o?.signal)).items,
    idToken: () => options.getIdToken({ forceRefresh: false }),
    call: (method, path, decoder, body, o) => request(method, path, decoder, body, o?.signal, o?.headers),
  };
}

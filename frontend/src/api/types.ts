/**
 * The admin REST API's response shapes, as decoders (the decoders are the types).
 * The knowledge-base shapes are checked at compile time against the server's
 * zod schema in lambdas/core/knowledge-base.ts (type-only import: zod never
 * reaches the browser).
 */
import type { KnowledgeBase as ServerKnowledgeBase, weekdays as serverWeekdays } from '../../../lambdas/core/knowledge-base';
import { array, boolean, number, object, oneOf, optional, string, type Infer } from '../lib/decode';

export const channels = ['web', 'whatsapp', 'sms', 'messenger'] as const;
export const conversationModes = ['bot', 'waiting_for_human', 'human', 'closed'] as const;
export const messageRoles = ['customer', 'bot', 'agent', 'system'] as const;
export const staffGroups = ['admin', 'agent'] as const;
export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

export const sourceRefDecoder = object({ id: string, title: string, kind: oneOf('faq', 'document') });

export const meDecoder = object({
  email: string,
  tenantId: string,
  groups: array(oneOf(...staffGroups)),
  business: object({ name: string, slug: string }),
});

export const conversationSummaryDecoder = object({
  conversationId: string,
  channel: oneOf(...channels),
  mode: oneOf(...conversationModes),
  createdAt: string,
  lastMessageAt: string,
  lastMessagePreview: string,
  messageCount: number,
  customerLabel: string,
});

export const conversationPageDecoder = object({
  items: array(conversationSummaryDecoder),
  nextCursor: optional(string),
});

export const messageDecoder = object({
  id: string,
  seq: number,
  role: oneOf(...messageRoles),
  text: string,
  createdAt: string,
  sources: optional(array(sourceRefDecoder)),
});

export const conversationDetailDecoder = object({
  conversation: conversationSummaryDecoder,
  messages: array(messageDecoder),
});

export const knowledgeBaseDecoder = object({
  business: object({
    name: string,
    slug: string,
    timezone: string,
    phone: string,
    email: string,
    address: string,
    website: string,
    languages: array(string),
  }),
  hours: array(object({ day: oneOf(...weekdays), open: string, close: string })),
  services: array(
    object({
      id: string,
      name: string,
      durationMinutes: number,
      priceCents: number,
      currency: string,
      depositCents: number,
      description: string,
    }),
  ),
  staff: array(object({ id: string, name: string, role: string, serviceIds: array(string) })),
  faqs: array(object({ id: string, question: string, answer: string, category: string })),
  documents: array(object({ id: string, title: string, text: string })),
});

export const importResultDecoder = object({
  imported: object({ faqs: number, documents: number, chunks: number, services: number, staff: number }),
});

export const testAnswerDecoder = object({
  answer: object({ text: string, answered: boolean, confidence: number, sources: array(sourceRefDecoder) }),
});

export type Channel = (typeof channels)[number];
export type ConversationMode = (typeof conversationModes)[number];
export type MessageRole = (typeof messageRoles)[number];
export type StaffGroup = (typeof staffGroups)[number];
export type Weekday = (typeof weekdays)[number];
export type SourceRef = Infer<typeof sourceRefDecoder>;
export type Me = Infer<typeof meDecoder>;
export type ConversationSummary = Infer<typeof conversationSummaryDecoder>;
export type ConversationPage = Infer<typeof conversationPageDecoder>;
export type Message = Infer<typeof messageDecoder>;
export type ConversationDetail = Infer<typeof conversationDetailDecoder>;
export type KnowledgeBase = Infer<typeof knowledgeBaseDecoder>;
export type Service = KnowledgeBase['services'][number];
export type StaffMember = KnowledgeBase['staff'][number];
export type Faq = KnowledgeBase['faqs'][number];
export type KbDocument = KnowledgeBase['documents'][number];
export type OpeningHours = KnowledgeBase['hours'][number];
export type ImportResult = Infer<typeof importResultDecoder>['imported'];
export type TestAnswer = Infer<typeof testAnswerDecoder>['answer'];
export type AnswerLang = 'en' | 'es';

// Compile-time guard: the decoder above and the server's schema describe the same file.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type KnowledgeBaseMatchesServer = Assert<Same<KnowledgeBase, ServerKnowledgeBase>>;
export type WeekdaysMatchServer = Assert<Same<Weekday, (typeof serverWeekdays)[number]>>;

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

/** A channel customer's photo, voice note or file (lambdas/core/protocol.ts MessageAttachment). */
export const attachmentDecoder = object({ url: string, contentType: string });

export const messageDecoder = object({
  id: string,
  seq: number,
  role: oneOf(...messageRoles),
  text: string,
  createdAt: string,
  sources: optional(array(sourceRefDecoder)),
  attachments: optional(array(attachmentDecoder)),
});

export const conversationDetailDecoder = object({
  conversation: conversationSummaryDecoder,
  messages: array(messageDecoder),
});

/** One FAQ and one document of the knowledge base, as GET /v1/admin/knowledge and the item routes give them. */
export const faqDecoder = object({ id: string, question: string, answer: string, category: string, alternatives: optional(array(string)) });
/** A document's `format`: absent on documents stored before it existed, which are Markdown. */
export const documentFormats = ['text', 'markdown', 'pdf'] as const;
export const kbDocumentDecoder = object({ id: string, title: string, format: optional(oneOf(...documentFormats)), text: string });

export const knowledgeBaseDecoder = object({
  business: object({
    name: string,
    slug: string,
    timezone: string,
    phone: string,
    country: optional(string),
    email: string,
    address: string,
    website: string,
    languages: array(oneOf('en', 'es')),
  }),
  hours: array(object({ day: oneOf(...weekdays), open: string, close: string })),
  services: array(
    object({
      id: string,
      name: string,
      names: optional(object({ en: optional(string), es: optional(string) })),
      durationMinutes: number,
      priceCents: number,
      currency: string,
      depositCents: number,
      description: string,
      /** The largest party the concierge books online (absent: up to 50). */
      maxPartySize: optional(number),
    }),
  ),
  staff: array(object({ id: string, name: string, role: string, serviceIds: array(string) })),
  faqs: array(faqDecoder),
  documents: array(kbDocumentDecoder),
});

export const importResultDecoder = object({
  imported: object({ faqs: number, documents: number, chunks: number, services: number, staff: number }),
});

/** GET /v1/admin/knowledge/status: passages of the current knowledge base, and how many the indexer has embedded. */
export const knowledgeStatusDecoder = object({ version: number, passages: number, withVectors: number, state: oneOf('ready', 'indexing') });

export const testAnswerDecoder = object({
  answer: object({ text: string, answered: boolean, confidence: number, sources: array(sourceRefDecoder) }),
});

export const handoffStatuses = ['waiting', 'escalated', 'callback', 'accepted', 'returned', 'closed'] as const;
export const staffRefDecoder = object({ sub: string, email: string });

export const inboxItemDecoder = object({
  conversationId: string,
  mode: oneOf(...conversationModes),
  status: optional(oneOf(...handoffStatuses)),
  reason: optional(string),
  requestedAt: optional(string),
  assignee: optional(staffRefDecoder),
  contact: optional(string),
  lang: string,
  channel: oneOf(...channels),
  customerLabel: string,
  lastMessageAt: string,
  lastMessagePreview: string,
  messageCount: number,
});

export const inboxPageDecoder = object({
  queue: oneOf('waiting', 'mine', 'all'),
  items: array(inboxItemDecoder),
  counts: object({ waiting: number, mine: number, all: number }),
});

export const handoffDecoder = object({
  conversationId: string,
  status: oneOf(...handoffStatuses),
  reason: string,
  requestedAt: string,
  slaSeconds: number,
  assignee: optional(staffRefDecoder),
  acceptedAt: optional(string),
  endedAt: optional(string),
});

export const handoffResultDecoder = object({ handoff: handoffDecoder });

export const transitionDecoder = object({
  fromMode: oneOf(...conversationModes),
  toMode: oneOf(...conversationModes),
  fromStatus: optional(oneOf(...handoffStatuses)),
  toStatus: oneOf(...handoffStatuses),
  reason: string,
  at: string,
  by: optional(string),
});

export const inboxMessageDecoder = object({
  id: string,
  seq: number,
  role: oneOf(...messageRoles),
  text: string,
  createdAt: string,
  sources: optional(array(sourceRefDecoder)),
  quickReplies: optional(array(object({ label: string, text: string }))),
  attachments: optional(array(attachmentDecoder)),
});

export const inboxConversationDecoder = object({
  conversation: object({
    conversationId: string,
    mode: oneOf(...conversationModes),
    channel: oneOf(...channels),
    lang: string,
    createdAt: string,
    lastMessageAt: string,
    messageCount: number,
    customerReadSeq: optional(number),
    staffReadSeq: optional(number),
  }),
  customer: object({ label: string, lang: string, channel: oneOf(...channels), firstSeenAt: string, contact: optional(string) }),
  handoff: optional(
    object({
      status: oneOf(...handoffStatuses),
      reason: string,
      requestedAt: string,
      slaSeconds: number,
      assignee: optional(staffRefDecoder),
      acceptedAt: optional(string),
      endedAt: optional(string),
      contact: optional(string),
      followUpId: optional(string),
      csat: optional(object({ askedAt: string, score: optional(number), answeredAt: optional(string) })),
    }),
  ),
  transitions: array(transitionDecoder),
  messages: array(inboxMessageDecoder),
});

export const agentMessageResultDecoder = object({ message: inboxMessageDecoder });

export const cannedReplyDecoder = object({ id: string, title: string, text: string });
export const handoffSettingsDecoder = object({ slaSeconds: number, cannedReplies: array(cannedReplyDecoder) });

export const followUpDecoder = object({
  id: string,
  conversationId: string,
  status: oneOf('open', 'done'),
  reason: string,
  lang: string,
  createdAt: string,
  contact: optional(string),
  doneAt: optional(string),
  doneBy: optional(string),
});
export const followUpListDecoder = object({ items: array(followUpDecoder) });
export const followUpResultDecoder = object({ followUp: followUpDecoder });

export const outboxEmailDecoder = object({
  id: string,
  createdAt: string,
  to: array(string),
  subject: string,
  text: string,
  kind: oneOf(
    'handoff.waiting',
    'handoff.escalated',
    'handoff.callback',
    'booking.confirmed',
    'booking.reminder',
    'booking.failed',
    'booking.calendar_failed',
    'booking.late_payment',
    'booking.cancelled',
    'team.invite',
  ),
  conversationId: optional(string),
  bookingId: optional(string),
});
export const outboxListDecoder = object({ items: array(outboxEmailDecoder) });

export type HandoffStatus = (typeof handoffStatuses)[number];
export type StaffRef = Infer<typeof staffRefDecoder>;
export type InboxItem = Infer<typeof inboxItemDecoder>;
export type InboxPage = Infer<typeof inboxPageDecoder>;
export type Handoff = Infer<typeof handoffDecoder>;
export type Transition = Infer<typeof transitionDecoder>;
export type InboxMessage = Infer<typeof inboxMessageDecoder>;
export type InboxConversation = Infer<typeof inboxConversationDecoder>;
export type CannedReply = Infer<typeof cannedReplyDecoder>;
export type HandoffSettings = Infer<typeof handoffSettingsDecoder>;
export type FollowUp = Infer<typeof followUpDecoder>;
export type OutboxEmail = Infer<typeof outboxEmailDecoder>;

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
export type KnowledgeStatus = Infer<typeof knowledgeStatusDecoder>;
export type AnswerLang = 'en' | 'es';

// Compile-time guard: the decoder above and the server's schema describe the same file.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type KnowledgeBaseMatchesServer = Assert<Same<KnowledgeBase, ServerKnowledgeBase>>;
export type WeekdaysMatchServer = Assert<Same<Weekday, (typeof serverWeekdays)[number]>>;

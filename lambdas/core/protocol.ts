/**
 * The widget ⇄ server WebSocket protocol. The zod schemas are the types; the
 * widget imports only the types (`import type`), so zod never reaches the browser.
 * Documented for humans in docs/asyncapi.yaml.
 */
import { z } from 'zod';

/** Text a customer may send in one message (UTF-8 bytes). */
export const MAX_MESSAGE_BYTES = 4096;
/** API Gateway WebSocket frames are at most 32 KB (messages at most 128 KB); one client frame must fit in one API Gateway frame. */
export const MAX_FRAME_BYTES = 32 * 1024;

/** Control characters other than tab and line breaks: never part of what a person typed. */
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;
/** Something a person can see: a message of only zero-width or format characters ("\u200B\u2060") is empty. */
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;

const id = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be 8-64 characters of A-Z a-z 0-9 _ -');
const lang = z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'must be a language tag like en or es-MX');

export const helloFrame = z.strictObject({
  action: z.literal('hello'),
  /** The conversation the browser remembers; a new one starts when absent or not the visitor's. */
  conversationId: id.optional(),
  /** Highest message `seq` the client has; the server replays everything after it. */
  lastSeq: z.number().int().min(0).optional(),
  lang: lang.optional(),
});

/**
 * Text a person typed into a conversation — a customer in the widget, staff in the inbox: control characters other
 * than tab and line breaks are dropped, it is trimmed, and it must show something (not only zero-width or format
 * characters) and fit in {@link MAX_MESSAGE_BYTES}.
 */
export const typedTextSchema = z
  .string()
  .min(1, 'must not be empty')
  .transform((t) => t.replace(CONTROL_CHARACTERS, '').trim())
  .pipe(
    z
      .string()
      .min(1, 'must not be empty')
      .regex(VISIBLE, 'must contain a letter, digit, punctuation or symbol')
      .refine((t) => Buffer.byteLength(t, 'utf8') <= MAX_MESSAGE_BYTES, `must be at most ${MAX_MESSAGE_BYTES} bytes`),
  );

export const sendMessageFrame = z.strictObject({
  action: z.literal('sendMessage'),
  /** Client-generated id; a resend with the same id is acknowledged again, never stored twice. */
  clientId: id,
  text: typedTextSchema,
  lang: lang.optional(),
});

export const newConversationFrame = z.strictObject({ action: z.literal('newConversation'), lang: lang.optional() });
export const pingFrame = z.strictObject({ action: z.literal('ping') });
/** The customer is (or stopped) typing; relayed to staff watching the conversation while a person owns it or is awaited. */
export const typingFrame = z.strictObject({ action: z.literal('customerTyping'), on: z.boolean() });

/**
 * The customer's thumbs on an answer of the assistant (`seq` of a bot message in the conversation this connection
 * is in). The latest value per message counts; repeating it changes nothing (docs/metrics.md).
 */
export const feedbackFrame = z.strictObject({ action: z.literal('feedback'), conversationId: id, seq: z.number().int().min(1), helpful: z.boolean() });

/**
 * Read receipt: the highest message `seq` of the conversation this connection is in that the widget has shown
 * the customer (panel open, page visible). Kept monotonically; an advance is broadcast as `receipt` (by
 * `customer`) to whoever watches the conversation, a repeat or a lower seq changes nothing.
 */
export const markReadFrame = z.strictObject({ action: z.literal('markRead'), conversationId: id, seq: z.number().int().min(1) });

export const clientFrame = z.discriminatedUnion('action', [helloFrame, sendMessageFrame, newConversationFrame, pingFrame, typingFrame, feedbackFrame, markReadFrame]);
export type ClientFrame = z.infer<typeof clientFrame>;
export type ClientAction = ClientFrame['action'];
export const clientActions: readonly ClientAction[] = ['hello', 'sendMessage', 'newConversation', 'ping', 'customerTyping', 'feedback', 'markRead'];

// ---- staff connections (admin UI inbox) ------------------------------------------------------
// Staff connect to the same WebSocket API with `key=staff.<Cognito ID token>`; their actions are
// routed to the staff function. Every frame is tenant-scoped by the token, never by the frame.

/** Watch one conversation live (its messages, typing and state frames); replaces the previous one. */
export const staffWatchFrame = z.strictObject({ action: z.literal('staffWatch'), conversationId: id });
/** The agent is (or stopped) typing in a conversation they own. */
export const staffTypingFrame = z.strictObject({ action: z.literal('staffTyping'), conversationId: id, on: z.boolean() });
/** Keep-alive of a staff connection; answered with `pong`. */
export const staffPingFrame = z.strictObject({ action: z.literal('staffPing') });

export const staffClientFrame = z.discriminatedUnion('action', [staffWatchFrame, staffTypingFrame, staffPingFrame]);
export type StaffClientFrame = z.infer<typeof staffClientFrame>;
export type StaffAction = StaffClientFrame['action'];
export const staffActions: readonly StaffAction[] = ['staffWatch', 'staffTyping', 'staffPing'];

export type ConversationMode = 'bot' | 'waiting_for_human' | 'human' | 'closed';
export type MessageRole = 'customer' | 'bot' | 'agent' | 'system';

export interface SourceRef {
  /** Knowledge item id: an FAQ id, or `<documentId>#<chunk>` for a document passage. */
  readonly id: string;
  readonly title: string;
  readonly kind: 'faq' | 'document';
}

export interface QuickReply {
  readonly label: string;
  /** Text sent as the customer's message when chosen. */
  readonly text: string;
}

/**
 * A photo, voice note or file a customer sent on WhatsApp, SMS (MMS) or Messenger: the provider's https address and
 * media type. Staff open it from the inbox; the text keeps an `[attachment: type]` line for everything else.
 */
export interface MessageAttachment {
  readonly url: string;
  readonly contentType: string;
}

/** A stored message as the client sees it. */
export interface MessageView {
  readonly id: string;
  readonly seq: number;
  readonly conversationId: string;
  readonly role: MessageRole;
  readonly text: string;
  readonly createdAt: string;
  readonly clientId?: string;
  readonly sources?: readonly SourceRef[];
  readonly quickReplies?: readonly QuickReply[];
  /** A channel customer's media (staff only: the widget's customers send none). */
  readonly attachments?: readonly MessageAttachment[];
}

export type ErrorCode =
  | 'bad_request'
  | 'unknown_action'
  | 'message_too_large'
  | 'rate_limited'
  | 'no_conversation'
  /** A staff connection whose sign-in ended (token expired, member disabled): reconnect with a fresh token. */
  | 'session_expired'
  | 'internal';

/** Every frame the server sends. Frames a client must act on carry an `id` for de-duplication. */
export type ServerFrame =
  | {
      readonly type: 'session';
      readonly id: string;
      readonly conversationId: string;
      readonly mode: ConversationMode;
      /** Highest seq in the conversation; the replayed `message` frames precede this frame. */
      readonly lastSeq: number;
      readonly lang: string;
      /** Highest seq the customer has seen (their `markRead`); absent before the first. */
      readonly customerReadSeq?: number;
      /** Highest customer message seq a person from the business has read; absent before the first. */
      readonly staffReadSeq?: number;
    }
  | ({
      readonly type: 'message';
      /** On a bot answer: the id of the customer message it answers, as in the `replyTo` of its `chunk` frames. */
      readonly replyTo?: string;
    } & MessageView)
  | { readonly type: 'ack'; readonly id: string; readonly clientId: string; readonly seq: number }
  | {
      readonly type: 'typing';
      readonly on: boolean;
      readonly role: 'bot' | 'agent' | 'customer';
      /** The conversation typed in: a staff inbox may still get frames of the one it watched before. */
      readonly conversationId?: string;
    }
  | { readonly type: 'chunk'; readonly replyTo: string; readonly index: number; readonly text: string }
  | { readonly type: 'state'; readonly id: string; readonly mode: ConversationMode }
  | { readonly type: 'pong' }
  | ReceiptFrame
  | { readonly type: 'error'; readonly code: ErrorCode; readonly message: string; readonly clientId?: string }
  | {
      readonly type: 'inbox';
      readonly id: string;
      readonly event: InboxEvent;
      readonly conversationId: string;
      readonly mode: ConversationMode;
      readonly at: string;
      readonly reason?: string;
      readonly assignee?: string;
    };

/** Who read: the customer (their widget's `markRead`) or a person from the business (watching or replying). */
export type ReceiptBy = 'customer' | 'staff';

/**
 * Messages up to `seq` were read. Only `read` is sent: `ack` already says a customer message reached the
 * business (stored and shown live in the inbox), docs/decisions.md. De-duplicate by `id`.
 */
export interface ReceiptFrame {
  readonly type: 'receipt';
  /** `receipt:<conversationId>:<by>:read:<seq>` */
  readonly id: string;
  readonly conversationId: string;
  readonly seq: number;
  readonly status: 'read';
  readonly by: ReceiptBy;
}

/** What happened to a conversation in the staff inbox (sent to staff connections only). */
export type InboxEvent = 'waiting' | 'escalated' | 'callback' | 'accepted' | 'returned' | 'closed' | 'message' | 'csat';

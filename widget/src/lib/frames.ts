/**
 * Server frames arrive as untrusted JSON. They are checked field by field and
 * rebuilt here, so the rest of the widget only ever sees well-formed frames.
 * The protocol types come from the server's module as types only.
 */
import type {
  ConversationMode,
  ErrorCode,
  MessageRole,
  MessageView,
  QuickReply,
  ServerFrame,
  SourceRef,
} from '../../../lambdas/core/protocol';

/** A `message` frame; a bot answer's `replyTo` pairs it with its stream. */
export type MessageFrame = Extract<ServerFrame, { type: 'message' }>;
export type InboundFrame = Exclude<ServerFrame, { type: 'message' }> | MessageFrame;

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): v is string => typeof v === 'string';
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 200;
const seqNo = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

const modes: readonly ConversationMode[] = ['bot', 'waiting_for_human', 'human', 'closed'];
const roles: readonly MessageRole[] = ['customer', 'bot', 'agent', 'system'];
const errorCodes: readonly ErrorCode[] = ['bad_request', 'unknown_action', 'message_too_large', 'rate_limited', 'no_conversation', 'internal'];

function oneOf<T extends string>(allowed: readonly T[], v: unknown): T | undefined {
  return allowed.find((a) => a === v);
}

function parseSource(v: unknown): SourceRef | undefined {
  if (!isRec(v) || !nonEmpty(v.id) || !str(v.title)) return undefined;
  const kind = v.kind === 'document' ? 'document' : v.kind === 'faq' ? 'faq' : undefined;
  if (!kind) return undefined;
  return { id: v.id, title: v.title.slice(0, 300), kind };
}

function parseQuickReply(v: unknown): QuickReply | undefined {
  if (!isRec(v) || !str(v.label) || !str(v.text) || !v.label.trim() || !v.text.trim()) return undefined;
  return { label: v.label.slice(0, 80), text: v.text.slice(0, 500) };
}

function list<T>(v: unknown, parse: (x: unknown) => T | undefined): T[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.map(parse).filter((x): x is T => x !== undefined);
}

export function parseMessageView(v: unknown): MessageView | undefined {
  if (!isRec(v) || !nonEmpty(v.id) || !seqNo(v.seq) || !nonEmpty(v.conversationId) || !str(v.text)) return undefined;
  const role = oneOf(roles, v.role);
  if (!role) return undefined;
  const sources = list(v.sources, parseSource);
  const quickReplies = list(v.quickReplies, parseQuickReply);
  return {
    id: v.id,
    seq: v.seq,
    conversationId: v.conversationId,
    role,
    text: v.text,
    createdAt: str(v.createdAt) ? v.createdAt : '',
    ...(nonEmpty(v.clientId) ? { clientId: v.clientId } : {}),
    ...(sources && sources.length ? { sources } : {}),
    ...(quickReplies && quickReplies.length ? { quickReplies } : {}),
  };
}

export function parseServerFrame(raw: unknown): InboundFrame | undefined {
  let v: unknown = raw;
  if (typeof raw === 'string') {
    try {
      v = JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  if (!isRec(v)) return undefined;
  switch (v.type) {
    case 'session': {
      const mode = oneOf(modes, v.mode);
      if (!nonEmpty(v.id) || !nonEmpty(v.conversationId) || !mode || !seqNo(v.lastSeq)) return undefined;
      return {
        type: 'session',
        id: v.id,
        conversationId: v.conversationId,
        mode,
        lastSeq: v.lastSeq,
        lang: str(v.lang) ? v.lang : '',
        ...(seqNo(v.customerReadSeq) ? { customerReadSeq: v.customerReadSeq } : {}),
        ...(seqNo(v.staffReadSeq) ? { staffReadSeq: v.staffReadSeq } : {}),
      };
    }
    case 'receipt': {
      const by = v.by === 'staff' ? 'staff' : v.by === 'customer' ? 'customer' : undefined;
      // Only `read` is sent today; another status is a frame from a newer server, ignored.
      if (!nonEmpty(v.id) || !nonEmpty(v.conversationId) || !seqNo(v.seq) || v.status !== 'read' || !by) return undefined;
      return { type: 'receipt', id: v.id, conversationId: v.conversationId, seq: v.seq, status: 'read', by };
    }
    case 'message': {
      const m = parseMessageView(v);
      if (!m) return undefined;
      return { type: 'message', ...m, ...(nonEmpty(v.replyTo) ? { replyTo: v.replyTo } : {}) };
    }
    case 'ack':
      if (!nonEmpty(v.id) || !nonEmpty(v.clientId) || !seqNo(v.seq)) return undefined;
      return { type: 'ack', id: v.id, clientId: v.clientId, seq: v.seq };
    case 'typing': {
      const role = v.role === 'agent' ? 'agent' : v.role === 'bot' ? 'bot' : undefined;
      if (typeof v.on !== 'boolean' || !role) return undefined;
      return { type: 'typing', on: v.on, role };
    }
    case 'chunk':
      if (!nonEmpty(v.replyTo) || !seqNo(v.index) || !str(v.text)) return undefined;
      return { type: 'chunk', replyTo: v.replyTo, index: v.index, text: v.text };
    case 'state': {
      const mode = oneOf(modes, v.mode);
      if (!nonEmpty(v.id) || !mode) return undefined;
      return { type: 'state', id: v.id, mode };
    }
    case 'pong':
      return { type: 'pong' };
    case 'error': {
      const code = oneOf(errorCodes, v.code) ?? 'internal';
      return {
        type: 'error',
        code,
        message: str(v.message) ? v.message.slice(0, 500) : '',
        ...(nonEmpty(v.clientId) ? { clientId: v.clientId } : {}),
      };
    }
    default:
      return undefined;
  }
}

/**
 * Read receipts on the web chat. The customer's widget says how far it has shown the conversation
 * (`markRead`); a person from the business reads it by watching the conversation in the inbox or replying.
 * Each side's position is kept on the conversation record, only ever raised (a conditional write), and an
 * advance is pushed as a `receipt` frame to the others watching the conversation. A repeat is silent.
 * "Delivered" is not a receipt of its own: `ack` tells the customer their message reached the business.
 */
import { DomainError } from './errors';
import type { ConnectionPusher, ConnectionStore, ConversationStore } from './ports';
import type { ReceiptBy, ReceiptFrame } from './protocol';

export interface ReceiptDeps {
  readonly conversations: Pick<ConversationStore, 'getConversation' | 'listMessages' | 'markRead'>;
  readonly connections: Pick<ConnectionStore, 'getConnection' | 'listSubscribers' | 'removeConnection'>;
  readonly pusher: ConnectionPusher;
}

/** How far back staff reading looks for the last customer message. */
const STAFF_READ_WINDOW = 100;

/** The `receipt` frame of one advance; its id is the same for the same advance, so clients de-duplicate. */
export function receiptFrame(conversationId: string, by: ReceiptBy, seq: number): ReceiptFrame {
  return { type: 'receipt', id: `receipt:${conversationId}:${by}:read:${seq}`, conversationId, seq, status: 'read', by };
}

/** Pushes to every connection watching the conversation but `except` (the reader's own); forgets connections that are gone. */
async function tellWatchers(deps: ReceiptDeps, tenantId: string, conversationId: string, frame: ReceiptFrame, except?: string): Promise<void> {
  const subscribers = await deps.connections.listSubscribers(tenantId, conversationId);
  await Promise.all(
    subscribers
      .filter((c) => c !== except)
      .map(async (connectionId) => {
        const delivered = await deps.pusher.push(connectionId, frame).catch(() => false);
        if (!delivered) await deps.connections.removeConnection(tenantId, connectionId);
      }),
  );
}

/**
 * The customer's widget has shown messages up to `seq` (WebSocket action `markRead`). The connection must be
 * in that conversation and `seq` must not be beyond its last message (else a `bad_request` error frame).
 */
export async function customerRead(
  deps: ReceiptDeps,
  caller: { readonly tenantId: string; readonly connectionId: string },
  input: { readonly conversationId: string; readonly seq: number },
): Promise<{ advanced: boolean }> {
  const connection = await deps.connections.getConnection(caller.tenantId, caller.connectionId);
  if (connection?.conversationId !== input.conversationId) throw new DomainError('bad_request', 'conversationId: not the conversation this connection is in', 'conversationId');
  const conversation = await deps.conversations.getConversation(caller.tenantId, input.conversationId);
  if (!conversation) throw new DomainError('no_conversation', 'the conversation no longer exists; send hello again');
  if (input.seq > (conversation.lastSeq ?? 0)) throw new DomainError('bad_request', 'seq: beyond the last message of this conversation', 'seq');
  if (input.seq <= (conversation.customerReadSeq ?? 0) || !deps.conversations.markRead) return { advanced: false };
  const advanced = await deps.conversations.markRead(caller.tenantId, input.conversationId, 'customer', input.seq);
  if (advanced) await tellWatchers(deps, caller.tenantId, input.conversationId, receiptFrame(input.conversationId, 'customer', input.seq), caller.connectionId);
  return { advanced };
}

/**
 * A person from the business has read the conversation (they watch it in the inbox, or replied): staff have
 * read up to its last customer message. Only while a person is involved (waiting for one, or owning it): a
 * bot conversation an admin merely looks at tells the customer nothing.
 */
export async function staffRead(deps: ReceiptDeps, tenantId: string, conversationId: string, except?: string): Promise<{ advanced: boolean; seq?: number }> {
  const conversation = await deps.conversations.getConversation(tenantId, conversationId);
  if (!conversation || (conversation.mode !== 'human' && conversation.mode !== 'waiting_for_human') || !deps.conversations.markRead) return { advanced: false };
  const read = conversation.staffReadSeq ?? 0;
  const last = conversation.lastSeq ?? 0;
  if (last <= read) return { advanced: false };
  const recent = await deps.conversations.listMessages(tenantId, conversationId, Math.max(read, last - STAFF_READ_WINDOW), STAFF_READ_WINDOW);
  const seq = recent.reduce((max, m) => (m.role === 'customer' && m.seq > max ? m.seq : max), 0);
  if (seq <= read) return { advanced: false };
  const advanced = await deps.conversations.markRead(tenantId, conversationId, 'staff', seq);
  if (advanced) await tellWatchers(deps, tenantId, conversationId, receiptFrame(conversationId, 'staff', seq), except);
  return advanced ? { advanced, seq } : { advanced };
}

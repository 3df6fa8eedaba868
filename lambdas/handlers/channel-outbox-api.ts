/**
 * Staff REST routes of channel delivery: the channel outbox (messages "sent" without provider credentials) with
 * the failed and parked deliveries (admins), and one conversation's delivery state — the WhatsApp / Messenger
 * 24-hour window and each message's delivery status — for the inbox badges (staff). Tenant from the token only.
 */
import { z } from 'zod';
import { channelStore, store, systemClock } from '../adapters/container';
import { lastInboundAt } from '../core/channels/outbound';
import { serviceWindow } from '../core/channels/policy';
import { notFound, unauthorized } from '../core/errors';
import { restApi, type RestRequest } from './lib/rest';

const outboxQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  channel: z.enum(['whatsapp', 'sms', 'messenger']).optional(),
  /** Only messages to this address (E.164 or PSID): the channel simulator's identity. */
  to: z
    .string()
    .regex(/^(\+[1-9]\d{6,14}|\d{1,64})$/, 'must be an E.164 number or a page-scoped id')
    .optional(),
});
const conversationPath = z.object({ conversationId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be 8-64 characters of A-Z a-z 0-9 _ -') });

function tenantOf(request: RestRequest): string {
  if (!request.caller) throw unauthorized('sign in to use this route');
  return request.caller.tenantId;
}

export const handler = restApi('channelOutboxApi', {
  listChannelOutbox: async (request) => {
    const tenantId = tenantOf(request);
    const { limit, channel, to } = outboxQuery.parse(request.query);
    const [messages, failed] = await Promise.all([
      channelStore().listOutbox(tenantId, { limit, ...(channel ? { channel } : {}), ...(to ? { to } : {}) }),
      channelStore().listFailures(tenantId, limit),
    ]);
    // The tenant id is the caller's; the rest of each record is what the page shows.
    return { body: { messages: messages.map(({ tenantId: _t, ...m }) => m), failed: failed.map(({ tenantId: _t, attemptId: _a, ...f }) => f) } };
  },
  getConversationDelivery: async (request) => {
    const tenantId = tenantOf(request);
    const { conversationId } = conversationPath.parse(request.path);
    const conversation = await store().getConversation(tenantId, conversationId);
    if (!conversation) throw notFound('no such conversation');
    if (conversation.channel === 'web') return { body: { channel: 'web', deliveries: [] } };
    const last = await lastInboundAt({ conversations: store() }, tenantId, conversationId, conversation.messageCount);
    const window = conversation.channel === 'sms' ? undefined : serviceWindow(last, systemClock.now());
    const deliveries = (await channelStore().listDeliveries(tenantId, conversationId)).map(({ tenantId: _t, attemptId: _a, ...d }) => d);
    return { body: { channel: conversation.channel, ...(window ? { window } : {}), deliveries } };
  },
});

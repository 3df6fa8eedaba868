/**
 * The channel delivery part of the admin API: the channel outbox with the failed / parked deliveries (admins), and
 * one conversation's delivery state (its 24-hour window and each message's status) for the inbox. Decoders are the
 * types; calls go through `ApiClient.call`.
 */
import type { ApiClient, RequestOptions } from '../../api/client';
import { array, boolean, number, object, oneOf, optional, string, type Infer } from '../../lib/decode';

const channel = oneOf('whatsapp', 'sms', 'messenger');
const kind = oneOf('reply', 'agent', 'system', 'booking', 'reminder', 'csat', 'followup');

export const channelDeliveryDecoder = object({
  conversationId: string,
  seq: number,
  segment: number,
  segments: number,
  channel,
  kind,
  status: oneOf('sending', 'accepted', 'queued', 'sent', 'delivered', 'read', 'undelivered', 'failed', 'parked', 'refused'),
  to: string,
  createdAt: string,
  updatedAt: string,
  provider: optional(oneOf('twilio', 'meta', 'outbox')),
  errorCode: optional(string),
  reason: optional(string),
  via: optional(string),
});

export const channelOutboxMessageDecoder = object({
  id: string,
  createdAt: string,
  conversationId: string,
  seq: number,
  segment: number,
  channel,
  kind,
  to: string,
  text: string,
  buttons: optional(array(object({ title: string, payload: string }))),
  template: optional(object({ contentSid: string })),
  tag: optional(string),
});

const channelOutboxDecoder = object({ messages: array(channelOutboxMessageDecoder), failed: array(channelDeliveryDecoder) });

const conversationDeliveryDecoder = object({
  channel: oneOf('web', 'whatsapp', 'sms', 'messenger'),
  window: optional(object({ open: boolean, lastInboundAt: optional(string), closesAt: optional(string) })),
  deliveries: array(channelDeliveryDecoder),
});

export type ChannelDelivery = Infer<typeof channelDeliveryDecoder>;
export type ChannelOutboxMessage = Infer<typeof channelOutboxMessageDecoder>;
export type ChannelOutbox = Infer<typeof channelOutboxDecoder>;
export type ConversationDelivery = Infer<typeof conversationDeliveryDecoder>;

export const channelLabels = { whatsapp: 'WhatsApp', sms: 'SMS', messenger: 'Messenger' } as const;

/** Why a delivery did not go out, in words. */
export function reasonLabel(d: Pick<ChannelDelivery, 'status' | 'reason' | 'errorCode'>): string {
  if (d.reason === 'whatsapp_window_closed') return 'Not sent: the WhatsApp 24-hour window is closed';
  if (d.reason === 'messenger_window_closed') return 'Not sent: the Messenger 24-hour window is closed';
  if (d.reason === 'sms_opted_out') return 'Not sent: the customer opted out of texts (STOP)';
  if (d.reason === 'whatsapp_opted_out') return 'Not sent: the customer asked for no reminders or follow-ups on WhatsApp (STOP)';
  return `${d.status === 'failed' ? 'Failed' : 'Undelivered'}${d.errorCode ? ` (error ${d.errorCode})` : ''}${d.reason ? `: ${d.reason}` : ''}`;
}

export function listChannelOutbox(api: ApiClient, options?: RequestOptions): Promise<ChannelOutbox> {
  return api.call('GET', '/v1/admin/channel-outbox?limit=100', channelOutboxDecoder, undefined, options);
}

export function getConversationDelivery(api: ApiClient, conversationId: string, options?: RequestOptions): Promise<ConversationDelivery> {
  return api.call('GET', `/v1/admin/conversations/${encodeURIComponent(conversationId)}/delivery`, conversationDeliveryDecoder, undefined, options);
}

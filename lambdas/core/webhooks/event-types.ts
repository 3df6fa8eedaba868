/**
 * The events a webhook subscription may choose, in the order the admin UI lists them. A module of its own with no
 * imports, so the admin UI can check its list against it (type-only) without pulling in the server's code.
 */
export const webhookEventTypes = [
  'customer.created',
  'conversation.closed',
  'handoff.requested',
  'booking.created',
  'booking.changed',
  'booking.cancelled',
  'payment.succeeded',
] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

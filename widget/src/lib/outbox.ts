/**
 * Customer messages not yet acknowledged by the server. A message typed while
 * offline waits as `queued`; once sent it is `sent` until its `ack`. When the
 * connection drops, `sent` messages go back to `queued` and are sent again on
 * the next session with the same `clientId`, which the server de-duplicates.
 */
import type { ErrorCode } from '../../../lambdas/core/protocol';

export type OutboxStatus = 'queued' | 'sent' | 'failed';

export interface OutboxItem {
  readonly clientId: string;
  readonly text: string;
  readonly createdAt: string;
  readonly status: OutboxStatus;
  readonly error?: ErrorCode;
}

export type Outbox = readonly OutboxItem[];

export function enqueue(outbox: Outbox, clientId: string, text: string, createdAt: string): Outbox {
  if (outbox.some((o) => o.clientId === clientId)) return outbox;
  return [...outbox, { clientId, text, createdAt, status: 'queued' }];
}

/**
 * The message to send now: the oldest queued one, and only while none is in flight (sent, not yet acknowledged).
 * One at a time, so the server stores a burst typed offline in the order it was typed — two frames sent at once
 * may be handled by two concurrent invocations and stored the other way round.
 */
export function due(outbox: Outbox): OutboxItem[] {
  if (outbox.some((o) => o.status === 'sent')) return [];
  const next = outbox.find((o) => o.status === 'queued');
  return next ? [next] : [];
}

export function markSent(outbox: Outbox, clientIds: readonly string[]): Outbox {
  return outbox.map((o) => (o.status === 'queued' && clientIds.includes(o.clientId) ? { ...o, status: 'sent' } : o));
}

/** The connection closed: whatever was sent but not acknowledged is sent again next time. */
export function requeueUnacknowledged(outbox: Outbox): Outbox {
  return outbox.some((o) => o.status === 'sent') ? outbox.map((o) => (o.status === 'sent' ? { ...o, status: 'queued' } : o)) : outbox;
}

export function remove(outbox: Outbox, clientId: string): Outbox {
  return outbox.some((o) => o.clientId === clientId) ? outbox.filter((o) => o.clientId !== clientId) : outbox;
}

export function fail(outbox: Outbox, clientId: string, error: ErrorCode): Outbox {
  return outbox.map((o) => (o.clientId === clientId ? { clientId: o.clientId, text: o.text, createdAt: o.createdAt, status: 'failed', error } : o));
}

export function retry(outbox: Outbox, clientId: string): Outbox {
  return outbox.map((o) => (o.clientId === clientId && o.status === 'failed' ? { clientId: o.clientId, text: o.text, createdAt: o.createdAt, status: 'queued' } : o));
}

export function find(outbox: Outbox, clientId: string): OutboxItem | undefined {
  return outbox.find((o) => o.clientId === clientId);
}

/** Restores an item saved in sessionStorage; anything `sent` is unacknowledged, so it is queued again. */
export function parseOutboxItem(v: unknown): OutboxItem | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const { clientId, text, createdAt, status }: Record<string, unknown> = { ...v };
  if (typeof clientId !== 'string' || !/^[A-Za-z0-9_-]{8,64}$/.test(clientId) || typeof text !== 'string' || !text) return undefined;
  return {
    clientId,
    text,
    createdAt: typeof createdAt === 'string' ? createdAt : '',
    status: status === 'failed' ? 'failed' : 'queued',
  };
}

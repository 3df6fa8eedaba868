/**
 * EventBridge target: projects conversation events into per-tenant daily
 * counters (in the tenant's time zone). Each event id counts once, so a
 * redelivered event changes nothing.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { z } from 'zod';
import { store } from '../adapters/container';
import { isTenantId } from '../core/ids';
import { logger } from './lib/powertools';

const eventSchema = z.object({
  id: z.string().min(1).max(128),
  'detail-type': z.string(),
  time: z.string(),
  detail: z.object({ tenantId: z.string().refine(isTenantId), channel: z.string().optional() }).passthrough(),
});

const COUNTERS: Readonly<Record<string, string>> = {
  'conversation.started': 'conversations',
  'message.received': 'messagesReceived',
  'message.answered': 'answered',
  'message.unanswered': 'unanswered',
};

/** The calendar day of an instant in a time zone, as YYYY-MM-DD. */
export function dayIn(timeZone: string, instant: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
}

export const handler = middy(async (raw: unknown): Promise<{ counted: boolean }> => {
  const parsed = eventSchema.safeParse(raw);
  if (!parsed.success) {
    logger.warn('ignored a malformed event', { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
    return { counted: false };
  }
  const event = parsed.data;
  const counter = COUNTERS[event['detail-type']];
  if (!counter) return { counted: false };
  const tenantId = event.detail.tenantId;
  const profile = await store().getProfile(tenantId);
  const day = dayIn(profile?.timezone ?? 'UTC', new Date(event.time));
  const channel = event.detail.channel?.replace(/[^a-z]/g, '');
  const counters: Record<string, number> = { [counter]: 1, ...(channel ? { [`${counter}_${channel}`]: 1 } : {}) };
  const counted = await store().increment(tenantId, day, event.id, counters);
  return { counted };
}).use(injectLambdaContext(logger, { resetKeys: true }));

/**
 * Business metrics as CloudWatch embedded metric format (EMF) lines, namespace
 * `Concierge`, emitted by handlers (never the core): conversations started,
 * answered and unanswered messages, handoffs requested, bookings confirmed,
 * deposits collected, channel deliveries that failed.
 *
 * One dimension only, `environment` (the tenant environment, `TENANT_ENVIRONMENT`;
 * one value per stack): not `tenantId`, because tenants are not a bounded set
 * and each dimension value is a metric billed on its own; not Powertools'
 * default `service`, because that names the emitting function and the
 * dashboard (lib/constructs/operations-dashboard.ts) should not depend on
 * which function counts what. The tenant, channel and correlation id travel as
 * EMF properties instead, so Logs Insights can still break a number down per
 * tenant. Per-tenant business numbers are the analytics API's job
 * (docs/metrics.md); these are for operators.
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { MetricUnit as MetricUnitName } from '@aws-lambda-powertools/metrics/types';
import { z } from 'zod';
import { currentCorrelationId } from './correlation';
import { metrics } from './powertools';

/** The business metric names, as they appear in CloudWatch (and on the operations dashboard). */
export const businessMetricNames = [
  'ConversationStarted',
  'MessageAnswered',
  'MessageUnanswered',
  'HandoffRequested',
  'BookingConfirmed',
  'DepositCollectedCents',
  'ChannelDeliveryFailed',
] as const;
export type BusinessMetricName = (typeof businessMetricNames)[number];

const counted: Readonly<Record<string, BusinessMetricName>> = {
  'conversation.started': 'ConversationStarted',
  'message.answered': 'MessageAnswered',
  'message.unanswered': 'MessageUnanswered',
  'handoff.requested': 'HandoffRequested',
  'booking.confirmed': 'BookingConfirmed',
};

const eventSchema = z.object({
  'detail-type': z.string(),
  detail: z
    .object({
      tenantId: z.string().max(64),
      channel: z.string().regex(/^[a-z]{1,16}$/).optional(),
      amountCents: z.number().int().nonnegative().optional(),
    })
    .loose(),
});

/** What was emitted, for the caller's tests and logs. */
export interface RecordedMetric {
  readonly name: BusinessMetricName;
  readonly value: number;
}

function emit(sink: Metrics, name: BusinessMetricName, unit: MetricUnitName, value: number, properties: Readonly<Record<string, string | undefined>>): RecordedMetric {
  const single = sink.singleMetric();
  single.clearDefaultDimensions();
  single.addDimension('environment', process.env['TENANT_ENVIRONMENT'] || 'local');
  for (const [key, v] of Object.entries({ ...properties, correlationId: currentCorrelationId() })) if (v !== undefined) single.addMetadata(key, v);
  // A single metric is written as soon as it is added.
  single.addMetric(name, unit, value);
  return { name, value };
}

/**
 * Emits the business metric an EventBridge event stands for, if any: a count for conversation,
 * answer, handoff and booking events, the amount for `payment.succeeded`. Call it once per event
 * (after the event was first applied) so a redelivered event is not counted twice.
 */
export function recordBusinessMetric(event: unknown, sink: Metrics = metrics): RecordedMetric | undefined {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) return undefined;
  const type = parsed.data['detail-type'];
  const { tenantId, channel, amountCents } = parsed.data.detail;
  const name = counted[type];
  if (name) return emit(sink, name, MetricUnit.Count, 1, { tenantId, channel });
  if (type === 'payment.succeeded' && amountCents !== undefined) return emit(sink, 'DepositCollectedCents', MetricUnit.NoUnit, amountCents, { tenantId });
  return undefined;
}

/** Counts one message that could not be delivered to its customer on WhatsApp, SMS or Messenger. */
export function recordChannelDeliveryFailed(tenantId: string, channel: string, sink: Metrics = metrics): RecordedMetric {
  return emit(sink, 'ChannelDeliveryFailed', MetricUnit.Count, 1, { tenantId, channel });
}

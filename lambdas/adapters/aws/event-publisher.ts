/**
 * Puts concierge events on the EventBridge bus (10 entries a call), failing
 * loudly if any entry was refused so the caller's retry covers it. Every
 * event carries the publishing invocation's correlation id as
 * `detail.correlationId` (lambdas/handlers/lib/correlation.ts), so the event
 * targets and workflows it starts log and publish under the same id.
 */
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { eventSource } from '../../../lib/declaration';
import type { ConciergeEvent, EventPublisher } from '../../core/ports';
import { currentCorrelationId, withCorrelationId } from '../../handlers/lib/correlation';

export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
    /** The correlation id to stamp on published events; by default the current invocation's. */
    private readonly correlationId: () => string | undefined = currentCorrelationId,
  ) {}

  async publish(events: readonly ConciergeEvent[]): Promise<void> {
    const correlationId = this.correlationId();
    for (let i = 0; i < events.length; i += 10) {
      const batch = events.slice(i, i + 10);
      const out = await this.client.send(
        new PutEventsCommand({
          Entries: batch.map((e) => ({
            EventBusName: this.busName,
            Source: eventSource,
            DetailType: e.type,
            // The event's tenant last: a detail can never name another.
            Detail: JSON.stringify(withCorrelationId({ ...e.detail, tenantId: e.tenantId }, correlationId)),
          })),
        }),
      );
      if ((out.FailedEntryCount ?? 0) > 0) {
        const reasons = (out.Entries ?? []).filter((e) => e.ErrorCode).map((e) => `${e.ErrorCode}: ${e.ErrorMessage ?? ''}`);
        throw new Error(`EventBridge refused ${out.FailedEntryCount} event(s): ${reasons.join('; ')}`);
      }
    }
  }
}

/**
 * Puts concierge events on the EventBridge bus (10 entries a call), failing
 * loudly if any entry was refused so the caller's retry covers it.
 */
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { eventSource } from '../../../lib/declaration';
import type { ConciergeEvent, EventPublisher } from '../../core/ports';

export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(events: readonly ConciergeEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 10) {
      const batch = events.slice(i, i + 10);
      const out = await this.client.send(
        new PutEventsCommand({
          Entries: batch.map((e) => ({
            EventBusName: this.busName,
            Source: eventSource,
            DetailType: e.type,
            Detail: JSON.stringify({ tenantId: e.tenantId, ...e.detail }),
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

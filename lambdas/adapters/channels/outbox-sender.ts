/**
 * The channel transport without provider credentials (the local cloud, a fresh environment): each segment lands
 * in the channel outbox in the table, shown on the admin UI's Outbox page and read by the channel simulator.
 */
import type { ChannelSend, ChannelTransport, DeliveryStatus } from '../../core/channels/outbound';
import type { Clock } from '../../core/ports';
import type { ChannelOutboxMessage } from './delivery-store';

export interface ChannelOutboxWriter {
  putOutboxMessage(message: ChannelOutboxMessage): Promise<void>;
}

export class OutboxSender implements ChannelTransport {
  readonly provider = 'outbox' as const;

  constructor(
    private readonly outbox: ChannelOutboxWriter,
    private readonly clock: Clock,
    private readonly ids: () => string,
  ) {}

  async send(message: ChannelSend): Promise<{ providerMessageId: string; status: DeliveryStatus }> {
    const id = `OB${this.ids()}`;
    await this.outbox.putOutboxMessage({
      id,
      createdAt: this.clock.now().toISOString(),
      tenantId: message.tenantId,
      conversationId: message.conversationId,
      seq: message.seq,
      segment: message.segment,
      channel: message.channel,
      kind: message.kind,
      to: message.to,
      text: message.text,
      ...(message.buttons && message.buttons.length > 0 ? { buttons: message.buttons.map((b) => ({ title: b.title, payload: b.payload })) } : {}),
      ...(message.template ? { template: { contentSid: message.template.contentSid, variables: { ...message.template.variables } } } : {}),
      ...(message.tag ? { tag: message.tag } : {}),
    });
    return { providerMessageId: id, status: 'delivered' };
  }
}

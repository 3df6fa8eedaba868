import { useCallback } from 'react';
import type { ApiClient, RequestOptions } from '../../api/client';
import { useSession } from '../../hooks/session';
import { useLoader } from '../../hooks/useLoader';
import { array, object, oneOf, string, type Infer } from '../../lib/decode';
import { channelLabels, formatDateTime } from '../../lib/format';
import { hrefFor } from '../../lib/routes';

const relatedDecoder = object({
  items: array(
    object({
      conversationId: string,
      channel: oneOf('web', 'whatsapp', 'sms', 'messenger'),
      mode: oneOf('bot', 'waiting_for_human', 'human', 'closed'),
      createdAt: string,
      lastMessageAt: string,
      preview: string,
    }),
  ),
});
export type RelatedConversations = Infer<typeof relatedDecoder>;

export function listRelatedConversations(api: ApiClient, conversationId: string, options?: RequestOptions): Promise<RelatedConversations> {
  return api.call('GET', `/v1/admin/conversations/${encodeURIComponent(conversationId)}/related`, relatedDecoder, undefined, options);
}

/**
 * One customer, one history: the same customer's other conversations on the widget, WhatsApp, SMS and
 * Messenger (linked by the phone or e-mail they gave, or the number they wrote from), newest first.
 * Nothing is shown when the customer is not known beyond this conversation.
 */
export function RelatedConversationsList({ conversationId, refreshKey = 0 }: { readonly conversationId: string; readonly refreshKey?: number }) {
  const { api } = useSession();
  const load = useCallback((signal: AbortSignal) => listRelatedConversations(api, conversationId, { signal }), [api, conversationId]);
  const { data } = useLoader(load, refreshKey);
  if (!data || data.items.length === 0) return null;
  return (
    <section className="conv-detail__related" aria-labelledby={`related-${conversationId}`} data-testid="related-conversations">
      <h3 id={`related-${conversationId}`}>Other conversations of this customer</h3>
      <ul>
        {data.items.map((c) => (
          <li key={c.conversationId}>
            <a href={hrefFor({ name: 'conversations', conversationId: c.conversationId })}>
              {channelLabels[c.channel]} · {formatDateTime(c.lastMessageAt)}
            </a>{' '}
            <span className="muted">{c.preview}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

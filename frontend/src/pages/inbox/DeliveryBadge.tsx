import { useCallback } from 'react';
import { useSession } from '../../hooks/session';
import { useLoader } from '../../hooks/useLoader';
import { formatDateTime } from '../../lib/format';
import { getConversationDelivery, reasonLabel } from '../outbox/channel-api';

/**
 * For WhatsApp / SMS / Messenger conversations in the inbox: whether the customer's 24-hour window is closed (free
 * replies cannot be sent), and the latest message's delivery status. Nothing for web conversations.
 */
export function DeliveryBadge({ conversationId, refreshKey = 0 }: { readonly conversationId: string; readonly refreshKey?: number }) {
  const { api } = useSession();
  const load = useCallback((signal: AbortSignal) => getConversationDelivery(api, conversationId, { signal }), [api, conversationId]);
  const { data } = useLoader(load, refreshKey);
  if (!data || data.channel === 'web') return null;
  const latest = data.deliveries.reduce<(typeof data.deliveries)[number] | undefined>((a, d) => (!a || d.seq > a.seq || (d.seq === a.seq && d.segment > a.segment) ? d : a), undefined);
  const problem = latest && ['failed', 'undelivered', 'parked', 'refused'].includes(latest.status);
  return (
    <p className="conv-detail__meta" data-testid="delivery-badges" aria-label={`${data.channel} delivery`}>
      {data.window !== undefined && !data.window.open && (
        <span className="badge badge--waiting_for_human" role="status" data-testid="window-closed">
          24-hour window closed{data.window.closesAt ? ` since ${formatDateTime(data.window.closesAt)}` : ''}: only approved templates can be sent
        </span>
      )}{' '}
      {latest !== undefined && (
        <span className={`badge${problem ? ' badge--waiting_for_human' : ''}`} data-testid="delivery-status" data-status={latest.status}>
          {problem ? reasonLabel(latest) : `Last message ${latest.status}`}
        </span>
      )}
    </p>
  );
}

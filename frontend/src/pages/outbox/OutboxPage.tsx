import { useCallback, useState } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { Loading } from '../../components/Loading';
import { useSession } from '../../hooks/session';
import { useLoader } from '../../hooks/useLoader';
import { formatDateTime } from '../../lib/format';
import { hrefFor } from '../../lib/routes';
import { ChannelOutbox } from './ChannelOutbox';

const kindLabels = {
  'handoff.waiting': 'Customer waiting',
  'handoff.escalated': 'Escalation',
  'handoff.callback': 'Callback requested',
  'booking.confirmed': 'Booking confirmed',
  'booking.reminder': 'Booking reminder',
  'booking.failed': 'Booking failed',
  'booking.calendar_failed': 'Calendar not updated',
  'booking.late_payment': 'Late payment refunded',
  'booking.cancelled': 'Booking cancelled',
  'team.invite': 'Team invitation',
} as const;

/** Admins only: the e-mails Concierge "sent" without an e-mail provider (always, in the local cloud). */
export function OutboxPage() {
  const { api } = useSession();
  const load = useCallback((signal: AbortSignal) => api.listOutbox({ signal }), [api]);
  const { data, error, reload } = useLoader(load);
  const [channelRefresh, setChannelRefresh] = useState(0);
  return (
    <div className="outbox" data-testid="outbox-page">
      <div className="page-title-row">
        <h1 tabIndex={-1}>Outbox</h1>
        <button
          type="button"
          className="button button--secondary"
          onClick={() => {
            reload();
            setChannelRefresh((n) => n + 1);
          }}
          data-testid="outbox-refresh"
        >
          Refresh
        </button>
      </div>
      <p className="page-intro muted">Staff notifications kept here because no e-mail provider is configured. Newest first.</p>
      {error !== undefined && <ErrorBanner error={error} title="Could not load the outbox" testId="outbox-error" />}
      {data === undefined ? (
        error === undefined && <Loading label="Loading the outbox…" />
      ) : data.length === 0 ? (
        <div className="empty-state" data-testid="outbox-empty">
          <p>No e-mails yet.</p>
        </div>
      ) : (
        <ul className="outbox__list">
          {data.map((m) => (
            <li key={m.id} className="card outbox__item" data-testid="outbox-item" data-kind={m.kind}>
              <p className="outbox__meta muted small">
                <time dateTime={m.createdAt}>{formatDateTime(m.createdAt)}</time> · {kindLabels[m.kind]} · to {m.to.join(', ')}
              </p>
              <h2 className="outbox__subject">{m.subject}</h2>
              <p className="outbox__text">{m.text}</p>
              {m.conversationId !== undefined && <a href={hrefFor({ name: 'inbox', queue: 'all', conversationId: m.conversationId })}>Open the conversation</a>}
            </li>
          ))}
        </ul>
      )}
      <ChannelOutbox refreshKey={channelRefresh} />
    </div>
  );
}

import { useCallback } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { Loading } from '../../components/Loading';
import { useSession } from '../../hooks/session';
import { useLoader } from '../../hooks/useLoader';
import { formatDateTime } from '../../lib/format';
import { hrefFor } from '../../lib/routes';
import { channelLabels, listChannelOutbox, reasonLabel } from './channel-api';

/**
 * WhatsApp / SMS / Messenger messages kept in the channel outbox (no provider credentials: always, locally), as
 * they would have been sent, and the deliveries that failed or were parked. `refreshKey` reloads with the e-mails.
 */
export function ChannelOutbox({ refreshKey }: { readonly refreshKey: number }) {
  const { api } = useSession();
  const load = useCallback((signal: AbortSignal) => listChannelOutbox(api, { signal }), [api]);
  const { data, error } = useLoader(load, refreshKey);
  return (
    <>
      <section aria-labelledby="channel-messages-title" data-testid="channel-outbox">
        <h2 id="channel-messages-title">Channel messages</h2>
        <p className="muted small">WhatsApp, SMS and Messenger messages kept here because no Twilio or Meta credentials are set.</p>
        {error !== undefined && <ErrorBanner error={error} title="Could not load the channel messages" testId="channel-outbox-error" />}
        {data === undefined ? (
          error === undefined && <Loading label="Loading the channel messages…" />
        ) : data.messages.length === 0 ? (
          <div className="empty-state" data-testid="channel-outbox-empty">
            <p>No channel messages yet.</p>
          </div>
        ) : (
          <ul className="outbox__list">
            {data.messages.map((m) => (
              <li key={m.id} className="card outbox__item" data-testid="channel-outbox-item" data-channel={m.channel}>
                <p className="outbox__meta muted small">
                  <time dateTime={m.createdAt}>{formatDateTime(m.createdAt)}</time> · {channelLabels[m.channel]} · {m.kind} · to {m.to}
                  {m.template !== undefined && ' · template'}
                  {m.tag !== undefined && ` · tag ${m.tag}`}
                </p>
                <p className="outbox__text">{m.text}</p>
                {m.buttons !== undefined && m.buttons.length > 0 && (
                  <ul className="outbox__buttons" aria-label="Quick reply buttons">
                    {m.buttons.map((b, i) => (
                      <li key={`${i}-${b.title}`}>{b.title}</li>
                    ))}
                  </ul>
                )}
                <a href={hrefFor({ name: 'inbox', queue: 'all', conversationId: m.conversationId })}>Open the conversation</a>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="failed-deliveries-title" data-testid="failed-deliveries">
        <h2 id="failed-deliveries-title">Failed deliveries</h2>
        {data === undefined ? null : data.failed.length === 0 ? (
          <div className="empty-state" data-testid="failed-deliveries-empty">
            <p>Nothing failed.</p>
          </div>
        ) : (
          <ul className="outbox__list">
            {data.failed.map((f) => (
              <li key={`${f.conversationId}-${f.seq}-${f.segment}-${f.updatedAt}`} className="card outbox__item" data-testid="failed-delivery" data-status={f.status}>
                <p className="outbox__meta muted small">
                  <time dateTime={f.updatedAt}>{formatDateTime(f.updatedAt)}</time> · {channelLabels[f.channel]} · {f.kind} · to {f.to}
                </p>
                <p className="outbox__text">{reasonLabel(f)}</p>
                <a href={hrefFor({ name: 'inbox', queue: 'all', conversationId: f.conversationId })}>Open the conversation</a>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

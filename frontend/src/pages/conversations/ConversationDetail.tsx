import { useCallback, useEffect, useRef } from 'react';
import type { Message } from '../../api/types';
import { ModeBadge } from '../../components/Badges';
import { Attachments } from '../../components/Attachments';
import { ErrorBanner } from '../../components/ErrorBanner';
import { Loading } from '../../components/Loading';
import { useSession } from '../../hooks/session';
import { useLoader } from '../../hooks/useLoader';
import { channelLabels, formatDateTime, formatMessageTime, roleLabels } from '../../lib/format';
import { hrefFor } from '../../lib/routes';

export function ConversationDetailPane({ conversationId, refreshKey }: { conversationId: string; refreshKey: number }) {
  const { api } = useSession();
  const load = useCallback((signal: AbortSignal) => api.getConversation(conversationId, { signal }), [api, conversationId]);
  const { data, error, loading } = useLoader(load, refreshKey);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const scrollRef = useRef<HTMLOListElement>(null);
  const lastSeq = data?.messages.reduce((max, m) => Math.max(max, m.seq), 0);

  // Opening a conversation moves focus to it (the list may be hidden on small screens).
  const loadedOnce = data !== undefined;
  useEffect(() => {
    if (loadedOnce) headingRef.current?.focus({ preventScroll: true });
  }, [loadedOnce]);
  // Show the newest messages: on open and when new ones arrive.
  useEffect(() => {
    const el = scrollRef.current;
    if (el && lastSeq !== undefined) el.scrollTop = el.scrollHeight;
  }, [lastSeq]);

  const back = (
    <a className="back-link" href={hrefFor({ name: 'conversations' })} data-testid="conversation-back">
      ← All conversations
    </a>
  );
  if (data === undefined) {
    return (
      <section className="conv-detail" aria-label="Conversation" aria-busy={loading} data-testid="conversation-detail">
        {back}
        {error !== undefined ? <ErrorBanner error={error} title="Could not load this conversation" testId="conversation-error" /> : <Loading label="Loading conversation…" />}
      </section>
    );
  }
  const { conversation: c } = data;
  const messages = [...data.messages].sort((a, b) => a.seq - b.seq);
  const now = new Date();
  return (
    <section className="conv-detail" aria-labelledby="conversation-title" data-testid="conversation-detail" data-conversation-id={c.conversationId}>
      {back}
      <header className="conv-detail__header">
        <h2 id="conversation-title" tabIndex={-1} ref={headingRef} data-testid="conversation-title">
          {c.customerLabel}
        </h2>
        <p className="conv-detail__meta">
          <ModeBadge mode={c.mode} />
          <span>{channelLabels[c.channel]}</span>
          <span aria-hidden="true">·</span>
          <span>
            Started <time dateTime={c.createdAt}>{formatDateTime(c.createdAt)}</time>
          </span>
        </p>
      </header>
      {error !== undefined && <ErrorBanner error={error} title="Could not refresh this conversation" testId="conversation-error" />}
      {messages.length === 0 ? (
        <p className="empty-state">No messages in this conversation.</p>
      ) : (
        <ol className="messages" ref={scrollRef} tabIndex={0} aria-label="Messages" data-testid="message-list">
          {messages.map((m) => (
            <MessageItem key={m.id} message={m} now={now} />
          ))}
        </ol>
      )}
    </section>
  );
}

function MessageItem({ message: m, now }: { message: Message; now: Date }) {
  return (
    <li className={`message message--${m.role}`} data-testid="message" data-role={m.role} data-seq={m.seq}>
      <p className="message__meta">
        <span className="message__role">{roleLabels[m.role]}</span>
        <time dateTime={m.createdAt} title={formatDateTime(m.createdAt)}>
          {formatMessageTime(m.createdAt, now)}
        </time>
      </p>
      <p className="message__text" data-testid="message-text">
        {m.text}
      </p>
      <Attachments attachments={m.attachments} />
      {m.sources !== undefined && m.sources.length > 0 && (
        <div className="message__sources" data-testid="message-sources">
          <p className="message__sources-title">Sources</p>
          <ul>
            {m.sources.map((s) => (
              <li key={s.id} data-testid="message-source">
                <span className="source-kind">{s.kind === 'faq' ? 'FAQ' : 'Document'}</span> {s.title}
              </li>
            ))}
          </ul>
        </div>
      )}
    </li>
  );
}

import type { ConversationSummary } from '../../api/types';
import { ModeBadge } from '../../components/Badges';
import { channelLabels, formatDateTime, formatListTime } from '../../lib/format';
import { hrefFor } from '../../lib/routes';

export function ConversationList({ items, selectedId, now }: { items: readonly ConversationSummary[]; selectedId: string | undefined; now: Date }) {
  if (items.length === 0) {
    return (
      <div className="empty-state" data-testid="conversations-empty">
        <p>No conversations yet. They appear here as soon as a customer writes.</p>
      </div>
    );
  }
  return (
    <ul className="conv-list" data-testid="conversation-list">
      {items.map((c) => (
        <li key={c.conversationId}>
          <a
            className="conv-item"
            href={hrefFor({ name: 'conversations', conversationId: c.conversationId })}
            aria-current={c.conversationId === selectedId ? 'true' : undefined}
            data-testid="conversation-item"
            data-conversation-id={c.conversationId}
          >
            <span className="conv-item__top">
              <span className="conv-item__customer" data-testid="conversation-customer">
                {c.customerLabel}
              </span>
              <time className="conv-item__time" dateTime={c.lastMessageAt} title={formatDateTime(c.lastMessageAt)} data-testid="conversation-time">
                {formatListTime(c.lastMessageAt, now)}
              </time>
            </span>
            <span className="conv-item__meta">
              <ModeBadge mode={c.mode} />
              <span data-testid="conversation-channel">{channelLabels[c.channel]}</span>
              <span aria-hidden="true">·</span>
              <span>{c.messageCount === 1 ? '1 message' : `${c.messageCount} messages`}</span>
            </span>
            <span className="conv-item__preview" data-testid="conversation-preview">
              {c.lastMessagePreview}
            </span>
          </a>
        </li>
      ))}
    </ul>
  );
}

import { useCallback, useEffect, useRef, useState } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { Loading } from '../../components/Loading';
import { useSession } from '../../hooks/session';
import { usePolling } from '../../hooks/usePolling';
import { describeError, type ErrorView } from '../../lib/api-error';
import { appendPage, emptyList, mergeFirstPage, type ConversationListState } from '../../lib/conversations';
import { formatClock } from '../../lib/format';
import { ConversationDetailPane } from './ConversationDetail';
import { ConversationList } from './ConversationList';

export const REFRESH_INTERVAL_MS = 10_000;

export function ConversationsPage({ conversationId }: { conversationId: string | undefined }) {
  const { api } = useSession();
  const [list, setList] = useState<ConversationListState>(emptyList);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<ErrorView>();
  const [refreshing, setRefreshing] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const [updatedAt, setUpdatedAt] = useState<Date>();
  /** Bumped on every refresh after the first, so the open conversation reloads too. */
  const [refreshKey, setRefreshKey] = useState(0);
  const inFlight = useRef(false);

  const refresh = useCallback(async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    setRefreshing(true);
    try {
      const page = await api.listConversations();
      setList((s) => mergeFirstPage(s, page));
      setError(undefined);
      setUpdatedAt(new Date());
    } catch (err) {
      setError(describeError(err));
    } finally {
      inFlight.current = false;
      setRefreshing(false);
      setLoaded(true);
    }
  }, [api]);

  const refreshAll = useCallback(() => {
    void refresh();
    setRefreshKey((k) => k + 1);
  }, [refresh]);

  useEffect(() => {
    void refresh();
  }, [refresh]);
  usePolling(refreshAll, REFRESH_INTERVAL_MS);

  const loadMore = async (): Promise<void> => {
    if (list.nextCursor === undefined) return;
    setLoadingMore(true);
    try {
      const page = await api.listConversations({ cursor: list.nextCursor });
      setList((s) => appendPage(s, page));
      setError(undefined);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setLoadingMore(false);
    }
  };

  const selected = conversationId !== undefined;
  return (
    <div className={`inbox${selected ? ' inbox--selected' : ''}`} data-testid="conversations-page">
      <section className="inbox__list" aria-labelledby="conversations-title">
        <div className="page-title-row">
          <h1 id="conversations-title" tabIndex={-1}>
            Conversations
          </h1>
          <button
            type="button"
            className="button button--secondary"
            onClick={refreshAll}
            disabled={refreshing}
            data-testid="conversations-refresh"
          >
            {refreshing ? 'Refreshing…' : 'Refresh'}
          </button>
        </div>
        <p className="muted small" aria-live="polite" data-testid="conversations-updated">
          {updatedAt !== undefined ? `Updated ${formatClock(updatedAt.toISOString())} · refreshes every 10 seconds` : '\u00a0'}
        </p>
        {error !== undefined && <ErrorBanner error={error} title="Could not load conversations" testId="conversations-error" />}
        {!loaded ? (
          <Loading label="Loading conversations…" />
        ) : (
          <ConversationList items={list.items} selectedId={conversationId} now={updatedAt ?? new Date()} />
        )}
        {list.nextCursor !== undefined && (
          <button
            type="button"
            className="button button--secondary button--block"
            onClick={() => void loadMore()}
            disabled={loadingMore}
            data-testid="conversations-load-more"
          >
            {loadingMore ? 'Loading…' : 'Load older conversations'}
          </button>
        )}
      </section>
      <div className="inbox__detail">
        {conversationId !== undefined ? (
          <ConversationDetailPane key={conversationId} conversationId={conversationId} refreshKey={refreshKey} />
        ) : (
          <div className="empty-state" data-testid="conversation-detail-empty">
            <p>Select a conversation to read the full history.</p>
          </div>
        )}
      </div>
    </div>
  );
}

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { FollowUp, InboxItem, InboxPage as InboxPageData } from '../../api/types';
import { ModeBadge } from '../../components/Badges';
import { ErrorBanner } from '../../components/ErrorBanner';
import { Loading } from '../../components/Loading';
import { useSession } from '../../hooks/session';
import { usePolling } from '../../hooks/usePolling';
import { describeError, type ErrorView } from '../../lib/api-error';
import { channelLabels, formatDateTime, formatListTime } from '../../lib/format';
import { statusLabels } from '../../lib/inbox';
import { hrefFor, type InboxQueueName } from '../../lib/routes';
import { StaffSocket, type LiveStatus, type StaffFrame } from '../../lib/staff-socket';
import { InboxConversationPane } from './InboxConversation';

const queueLabels: Readonly<Record<InboxQueueName, string>> = { waiting: 'Waiting', mine: 'Mine', all: 'All', callbacks: 'Callbacks' };
const liveLabels: Readonly<Record<LiveStatus, string>> = { connecting: 'Connecting…', live: 'Live', offline: 'Offline — reconnecting…' };
/** Without the live connection (no wsUrl, or offline) the queues still refresh this often. */
const FALLBACK_POLL_MS = 15_000;

export type FrameListener = (frame: StaffFrame) => void;

/**
 * The live inbox: queues (waiting, mine, all, callbacks) on the left, the open conversation on the
 * right. Inbox events from the staff WebSocket reload the queues; the open conversation is watched
 * live (messages, typing, mode).
 */
export function InboxPage({ queue, conversationId }: { queue: InboxQueueName; conversationId: string | undefined }) {
  const { api, wsUrl } = useSession();
  const [page, setPage] = useState<InboxPageData>();
  const [followUps, setFollowUps] = useState<FollowUp[]>();
  const [error, setError] = useState<ErrorView>();
  const [live, setLive] = useState<LiveStatus>(wsUrl !== undefined ? 'connecting' : 'offline');
  const [announcement, setAnnouncement] = useState('');
  const [detailKey, setDetailKey] = useState(0);
  const listeners = useRef(new Set<FrameListener>());
  const socketRef = useRef<StaffSocket | undefined>(undefined);
  const reloadTimer = useRef<number | undefined>(undefined);
  const queueRef = useRef(queue);
  queueRef.current = queue;
  const openRef = useRef(conversationId);
  openRef.current = conversationId;

  const reload = useCallback(async () => {
    try {
      if (queueRef.current === 'callbacks') {
        const [tasks, counts] = await Promise.all([api.listFollowUps(), api.listInbox('waiting')]);
        setFollowUps(tasks);
        setPage(counts);
      } else {
        setPage(await api.listInbox(queueRef.current));
      }
      setError(undefined);
    } catch (err) {
      setError(describeError(err));
    }
  }, [api]);

  useEffect(() => {
    setPage(undefined);
    setFollowUps(undefined);
    void reload();
  }, [queue, reload]);
  // Without the live connection the open conversation is polled too; when it is back, the open conversation is
  // loaded again once for the messages sent while it was down.
  usePolling(
    () => {
      void reload();
      setDetailKey((k) => k + 1);
    },
    FALLBACK_POLL_MS,
    live !== 'live',
  );
  useEffect(() => {
    if (live === 'live') setDetailKey((k) => k + 1);
  }, [live]);

  // The live connection, for as long as the inbox is open.
  useEffect(() => {
    if (wsUrl === undefined) return undefined;
    const socket = new StaffSocket({
      wsUrl,
      getToken: () => api.idToken(),
      createSocket: (url, events) => {
        const ws = new WebSocket(url);
        ws.onopen = () => events.onOpen();
        ws.onmessage = (e: MessageEvent<unknown>) => events.onMessage(e.data);
        ws.onclose = () => events.onClose();
        return { send: (data) => ws.send(data), close: () => ws.close(1000) };
      },
      onStatus: setLive,
      onFrame: (frame) => {
        if (frame.type === 'inbox') {
          if (frame.event === 'waiting') setAnnouncement(`A customer is waiting for a person (${frame.reason ?? 'handoff'}).`);
          // Bursts of events reload once.
          window.clearTimeout(reloadTimer.current);
          reloadTimer.current = window.setTimeout(() => void reload(), 150);
          if (frame.conversationId === openRef.current && frame.event !== 'message') setDetailKey((k) => k + 1);
        }
        for (const listener of listeners.current) listener(frame);
      },
    });
    socketRef.current = socket;
    socket.start();
    return () => {
      window.clearTimeout(reloadTimer.current);
      socket.stop();
      socketRef.current = undefined;
    };
  }, [api, wsUrl, reload]);

  useEffect(() => {
    socketRef.current?.watch(conversationId);
  }, [conversationId, live]);

  const subscribe = useCallback((listener: FrameListener) => {
    listeners.current.add(listener);
    return () => void listeners.current.delete(listener);
  }, []);
  const typing = useCallback((id: string, on: boolean) => socketRef.current?.typing(id, on), []);
  const onChanged = useCallback(() => void reload(), [reload]);

  const completeFollowUp = async (id: string): Promise<void> => {
    try {
      const done = await api.completeFollowUp(id);
      setFollowUps((list) => list?.map((f) => (f.id === id ? done : f)));
    } catch (err) {
      setError(describeError(err));
    }
  };

  const now = useMemo(() => new Date(), [page, followUps]);
  const selected = conversationId !== undefined;
  return (
    <div className={`inbox${selected ? ' inbox--selected' : ''}`} data-testid="inbox-page">
      <section className="inbox__list" aria-labelledby="inbox-title">
        <div className="page-title-row">
          <h1 id="inbox-title" tabIndex={-1}>
            Inbox
          </h1>
          <span className={`live-status live-status--${live}`} data-testid="inbox-live" data-status={live}>
            {wsUrl === undefined ? 'Refreshes every 15 seconds' : liveLabels[live]}
          </span>
        </div>
        <nav className="queue-tabs" aria-label="Queues">
          <ul>
            {(['waiting', 'mine', 'all', 'callbacks'] as const).map((q) => (
              <li key={q}>
                <a href={hrefFor({ name: 'inbox', queue: q })} aria-current={q === queue ? 'page' : undefined} data-testid={`inbox-queue-${q}`}>
                  {queueLabels[q]}
                  {q !== 'callbacks' && page !== undefined && <span className="count">{page.counts[q]}</span>}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <p className="visually-hidden" aria-live="polite" data-testid="inbox-announcement">
          {announcement}
        </p>
        {error !== undefined && <ErrorBanner error={error} title="Could not load the inbox" testId="inbox-error" />}
        {queue === 'callbacks' ? (
          followUps === undefined ? (
            <Loading label="Loading callbacks…" />
          ) : (
            <FollowUpList items={followUps} now={now} onDone={(id) => void completeFollowUp(id)} />
          )
        ) : page === undefined ? (
          <Loading label="Loading the inbox…" />
        ) : (
          <InboxList items={page.items} queue={queue} selectedId={conversationId} now={now} />
        )}
      </section>
      <div className="inbox__detail">
        {conversationId !== undefined ? (
          <InboxConversationPane
            key={conversationId}
            conversationId={conversationId}
            queue={queue}
            refreshKey={detailKey}
            subscribe={subscribe}
            onTyping={typing}
            onChanged={onChanged}
          />
        ) : (
          <div className="empty-state" data-testid="inbox-detail-empty">
            <p>Select a conversation to read it and reply.</p>
          </div>
        )}
      </div>
    </div>
  );
}

function InboxList({ items, queue, selectedId, now }: { items: readonly InboxItem[]; queue: InboxQueueName; selectedId: string | undefined; now: Date }) {
  if (items.length === 0) {
    return (
      <div className="empty-state" data-testid="inbox-empty">
        <p>{queue === 'waiting' ? 'Nobody is waiting for a person.' : queue === 'mine' ? 'You have no conversations.' : 'No conversations yet.'}</p>
      </div>
    );
  }
  return (
    <ul className="conv-list" data-testid="inbox-list">
      {items.map((c) => (
        <li key={c.conversationId}>
          <a
            className="conv-item"
            href={hrefFor({ name: 'inbox', queue, conversationId: c.conversationId })}
            aria-current={c.conversationId === selectedId ? 'true' : undefined}
            data-testid="inbox-item"
            data-conversation-id={c.conversationId}
            data-mode={c.mode}
          >
            <span className="conv-item__top">
              <span className="conv-item__customer">{c.customerLabel}</span>
              <time className="conv-item__time" dateTime={c.lastMessageAt} title={formatDateTime(c.lastMessageAt)}>
                {formatListTime(c.lastMessageAt, now)}
              </time>
            </span>
            <span className="conv-item__meta">
              <ModeBadge mode={c.mode} />
              {c.status !== undefined && <span className="tag">{statusLabels[c.status]}</span>}
              <span>{channelLabels[c.channel]}</span>
              {c.assignee !== undefined && <span>· {c.assignee.email}</span>}
            </span>
            {c.reason !== undefined && c.status !== undefined && c.status !== 'accepted' && (
              <span className="conv-item__reason" data-testid="inbox-item-reason">
                {c.reason}
                {c.requestedAt !== undefined && ` · waiting since ${formatListTime(c.requestedAt, now)}`}
              </span>
            )}
            <span className="conv-item__preview">{c.lastMessagePreview}</span>
          </a>
        </li>
      ))}
    </ul>
  );
}

function FollowUpList({ items, now, onDone }: { items: readonly FollowUp[]; now: Date; onDone: (id: string) => void }) {
  if (items.length === 0) {
    return (
      <div className="empty-state" data-testid="followups-empty">
        <p>No callbacks promised.</p>
      </div>
    );
  }
  return (
    <ul className="conv-list" data-testid="followup-list">
      {items.map((f) => (
        <li key={f.id} className="followup" data-testid="followup-item" data-status={f.status}>
          <p className="followup__top">
            <a href={hrefFor({ name: 'inbox', queue: 'callbacks', conversationId: f.conversationId })}>Callback requested</a>
            <time className="conv-item__time" dateTime={f.createdAt}>
              {formatListTime(f.createdAt, now)}
            </time>
          </p>
          <p className="muted small">
            {f.contact !== undefined ? (
              <>
                Contact: <strong data-testid="followup-contact">{f.contact}</strong>
              </>
            ) : (
              'No contact left yet'
            )}{' '}
            · {f.reason}
          </p>
          {f.status === 'open' ? (
            <button type="button" className="button button--secondary" onClick={() => onDone(f.id)} data-testid="followup-done">
              Mark done
            </button>
          ) : (
            <p className="muted small">Done{f.doneBy !== undefined ? ` by ${f.doneBy}` : ''}</p>
          )}
        </li>
      ))}
    </ul>
  );
}

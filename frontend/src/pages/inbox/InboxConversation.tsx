import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { HandoffAction } from '../../api/client';
import type { CannedReply, InboxConversation, InboxMessage } from '../../api/types';
import { ModeBadge } from '../../components/Badges';
import { Attachments } from '../../components/Attachments';
import { ErrorBanner } from '../../components/ErrorBanner';
import { Loading } from '../../components/Loading';
import { useSession } from '../../hooks/session';
import { describeError, type ErrorView } from '../../lib/api-error';
import { keepDraft, readDraft, tabStorage } from '../../lib/drafts';
import { channelLabels, formatDateTime, formatMessageTime, roleLabels } from '../../lib/format';
import { actionsFor, mergeMessage, statusLabels, typingThrottle } from '../../lib/inbox';
import { hrefFor, type InboxQueueName } from '../../lib/routes';
import type { FrameListener } from './InboxPage';
import { DeliveryBadge } from './DeliveryBadge';
import { frameIsFor, isWatchConfirmation } from './live-frames';
import { RelatedConversationsList } from './RelatedConversations';

const actionLabels: Readonly<Record<HandoffAction, string>> = { accept: 'Accept', takeover: 'Take over', return: 'Return to bot', close: 'Close' };

function newClientId(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function InboxConversationPane({
  conversationId,
  queue,
  refreshKey,
  subscribe,
  onTyping,
  onChanged,
}: {
  conversationId: string;
  queue: InboxQueueName;
  refreshKey: number;
  subscribe: (listener: FrameListener) => () => void;
  onTyping: (conversationId: string, on: boolean) => void;
  onChanged: () => void;
}) {
  const { api, me, isAdmin } = useSession();
  const [view, setView] = useState<InboxConversation>();
  const [error, setError] = useState<ErrorView>();
  const [busy, setBusy] = useState<HandoffAction | 'send'>();
  // The reply being written, kept per conversation for this tab (lib/drafts.ts): the pane is mounted afresh for
  // each conversation, and opening another one used to empty it.
  const [draft, setDraft] = useState(() => readDraft(tabStorage(), me.email, conversationId));
  const [customerTyping, setCustomerTyping] = useState(false);
  const [canned, setCanned] = useState<readonly CannedReply[]>([]);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const listRef = useRef<HTMLOListElement>(null);
  const typingTimer = useRef<number | undefined>(undefined);
  // The clientId of the reply being sent, kept across retries of the same text (the server stores a resend with
  // the same clientId once, so a retry after a lost answer is no duplicate); a new one after a send or an edit.
  const attempt = useRef<{ text: string; clientId: string } | undefined>(undefined);

  useEffect(() => keepDraft(tabStorage(), me.email, conversationId, draft), [me.email, conversationId, draft]);

  const load = useCallback(async () => {
    try {
      const loaded = await api.getInboxConversation(conversationId);
      setView((current) => (current === undefined ? loaded : { ...loaded, messages: loaded.messages.reduce(mergeMessage, current.messages) }));
      setError(undefined);
    } catch (err) {
      setError(describeError(err));
    }
  }, [api, conversationId]);

  useEffect(() => {
    void load();
  }, [load, refreshKey]);

  useEffect(() => {
    api.getHandoffSettings().then(
      (s) => setCanned(s.cannedReplies),
      () => setCanned([]),
    );
  }, [api]);

  // Live: messages of this conversation, the customer's typing, changes of mode; never frames of the
  // conversation watched before (live-frames.ts).
  useEffect(() => {
    let watchConfirmed = false;
    return subscribe((frame) => {
      if (frame.type === 'state' && isWatchConfirmation(frame.id, conversationId)) watchConfirmed = true;
      if (!frameIsFor(frame, conversationId, watchConfirmed)) return;
      if (frame.type === 'message') {
        const message: InboxMessage = {
          id: frame.id,
          seq: frame.seq,
          role: frame.role,
          text: frame.text,
          createdAt: frame.createdAt,
          ...(frame.attachments ? { attachments: frame.attachments.map((a) => ({ ...a })) } : {}),
        };
        setView((v) => (v === undefined ? v : { ...v, messages: mergeMessage(v.messages, message) }));
        if (frame.role === 'customer') setCustomerTyping(false);
      } else if (frame.type === 'typing' && frame.role === 'customer') {
        setCustomerTyping(frame.on);
        window.clearTimeout(typingTimer.current);
        // An indicator nobody switches off disappears on its own.
        if (frame.on) typingTimer.current = window.setTimeout(() => setCustomerTyping(false), 10_000);
      } else if (frame.type === 'receipt' && frame.by === 'customer') {
        setView((v) => (v === undefined || frame.seq <= (v.conversation.customerReadSeq ?? 0) ? v : { ...v, conversation: { ...v.conversation, customerReadSeq: frame.seq } }));
      } else if (frame.type === 'state') {
        setView((v) => (v === undefined || v.conversation.mode === frame.mode ? v : { ...v, conversation: { ...v.conversation, mode: frame.mode } }));
      }
    });
  }, [subscribe, conversationId]);
  useEffect(() => () => window.clearTimeout(typingTimer.current), []);

  const loaded = view !== undefined;
  useEffect(() => {
    if (loaded) headingRef.current?.focus({ preventScroll: true });
  }, [loaded]);
  const lastSeq = view?.messages.reduce((max, m) => Math.max(max, m.seq), 0);
  useEffect(() => {
    const el = listRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lastSeq, customerTyping]);

  const sendTyping = useMemo(() => typingThrottle((on) => onTyping(conversationId, on)), [onTyping, conversationId]);

  const act = async (action: HandoffAction): Promise<void> => {
    setBusy(action);
    try {
      await api.handoffAction(conversationId, action);
      setError(undefined);
      await load();
      onChanged();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(undefined);
    }
  };

  const send = async (e?: FormEvent): Promise<void> => {
    e?.preventDefault();
    const text = draft.trim();
    if (!text || busy !== undefined) return;
    setBusy('send');
    sendTyping(false);
    const sending = attempt.current?.text === text ? attempt.current : { text, clientId: newClientId() };
    attempt.current = sending;
    try {
      const message = await api.sendAgentMessage(conversationId, { text, clientId: sending.clientId });
      setView((v) => (v === undefined ? v : { ...v, messages: mergeMessage(v.messages, message) }));
      attempt.current = undefined;
      setDraft('');
      setError(undefined);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(undefined);
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>): void => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void send();
    }
  };

  const back = (
    <a className="back-link" href={hrefFor({ name: 'inbox', queue })} data-testid="inbox-back">
      ← Back to the queue
    </a>
  );
  if (view === undefined) {
    return (
      <section className="conv-detail" aria-label="Conversation" data-testid="inbox-conversation">
        {back}
        {error !== undefined ? <ErrorBanner error={error} title="Could not load this conversation" testId="inbox-conversation-error" /> : <Loading label="Loading conversation…" />}
      </section>
    );
  }

  const { conversation: c, customer, handoff } = view;
  const actions = actionsFor(view, { email: me.email, isAdmin });
  const messages = [...view.messages].sort((a, b) => a.seq - b.seq);
  // Read receipt: "Seen by customer" under the last business message (agent or bot) the widget has shown them.
  const seenSeq = messages.filter((m) => (m.role === 'agent' || m.role === 'bot') && m.seq <= (c.customerReadSeq ?? 0)).at(-1)?.seq;
  const now = new Date();
  return (
    <section className="conv-detail" aria-labelledby="inbox-conversation-title" data-testid="inbox-conversation" data-conversation-id={c.conversationId} data-mode={c.mode}>
      {back}
      <header className="conv-detail__header">
        <h2 id="inbox-conversation-title" tabIndex={-1} ref={headingRef}>
          {customer.label}
        </h2>
        <p className="conv-detail__meta">
          <ModeBadge mode={c.mode} />
          {handoff !== undefined && (
            <span className="tag" data-testid="inbox-status">
              {statusLabels[handoff.status]}
            </span>
          )}
          <span>{channelLabels[customer.channel]}</span>
          <span aria-hidden="true">·</span>
          <span>Language {customer.lang}</span>
          <span aria-hidden="true">·</span>
          <span>
            First seen <time dateTime={customer.firstSeenAt}>{formatDateTime(customer.firstSeenAt)}</time>
          </span>
        </p>
        <DeliveryBadge conversationId={c.conversationId} refreshKey={refreshKey} />
        <RelatedConversationsList conversationId={c.conversationId} refreshKey={refreshKey} />
        {handoff !== undefined && (
          <dl className="details details--inline" data-testid="inbox-handoff">
            <dt>Reason</dt>
            <dd>{handoff.reason}</dd>
            {handoff.assignee !== undefined && (
              <>
                <dt>With</dt>
                <dd data-testid="inbox-assignee">{handoff.assignee.email}</dd>
              </>
            )}
            {(customer.contact ?? handoff.contact) !== undefined && (
              <>
                <dt>Contact</dt>
                <dd data-testid="inbox-contact">{customer.contact ?? handoff.contact}</dd>
              </>
            )}
            {handoff.csat !== undefined && (
              <>
                <dt>Satisfaction</dt>
                <dd data-testid="inbox-csat">{handoff.csat.score !== undefined ? `${handoff.csat.score} / 5` : 'asked, no answer yet'}</dd>
              </>
            )}
          </dl>
        )}
        <div className="button-row inbox-actions">
          {actions.accept && <ActionButton action="accept" busy={busy} onClick={act} primary />}
          {actions.takeOver && <ActionButton action="takeover" busy={busy} onClick={act} primary />}
          {actions.returnToBot && <ActionButton action="return" busy={busy} onClick={act} />}
          {actions.close && <ActionButton action="close" busy={busy} onClick={act} />}
        </div>
      </header>
      {error !== undefined && <ErrorBanner error={error} title="That did not work" testId="inbox-conversation-error" />}
      <ol className="messages" ref={listRef} tabIndex={0} aria-label="Messages" data-testid="inbox-messages">
        {messages.map((m) => (
          <li key={m.id} className={`message message--${m.role}`} data-testid="inbox-message" data-role={m.role} data-seq={m.seq}>
            <p className="message__meta">
              <span className="message__role">{roleLabels[m.role]}</span>
              <time dateTime={m.createdAt} title={formatDateTime(m.createdAt)}>
                {formatMessageTime(m.createdAt, now)}
              </time>
            </p>
            <p className="message__text">{m.text}</p>
            <Attachments attachments={m.attachments} />
            {m.seq === seenSeq && (
              <p className="message__meta" data-testid="inbox-seen">
                Seen by customer
              </p>
            )}
          </li>
        ))}
      </ol>
      <p className="typing-note" aria-live="polite" data-testid="inbox-customer-typing" data-on={customerTyping ? 'true' : 'false'}>
        {customerTyping ? `${customer.label} is typing…` : '\u00a0'}
      </p>
      {actions.reply && (
        <form className="composer" onSubmit={(e) => void send(e)} data-testid="inbox-composer">
          {canned.length > 0 && (
            <div className="field">
              <label htmlFor="inbox-canned">Canned reply</label>
              <select
                id="inbox-canned"
                value=""
                onChange={(e) => {
                  const reply = canned.find((r) => r.id === e.target.value);
                  if (reply) setDraft((d) => (d.trim() ? `${d.trim()} ${reply.text}` : reply.text));
                }}
                data-testid="inbox-canned"
              >
                <option value="">Insert a canned reply…</option>
                {canned.map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.title}
                  </option>
                ))}
              </select>
            </div>
          )}
          <div className="field">
            <label htmlFor="inbox-reply">Reply to {customer.label}</label>
            <textarea
              id="inbox-reply"
              rows={3}
              value={draft}
              maxLength={4000}
              onChange={(e) => {
                setDraft(e.target.value);
                sendTyping(e.target.value.trim() !== '');
              }}
              onBlur={() => sendTyping(false)}
              onKeyDown={onKeyDown}
              data-testid="inbox-reply-input"
            />
          </div>
          <div className="button-row">
            <button type="submit" className="button" disabled={busy !== undefined || !draft.trim()} data-testid="inbox-reply-send">
              {busy === 'send' ? 'Sending…' : 'Send'}
            </button>
          </div>
        </form>
      )}
      {view.transitions.length > 0 && (
        <details className="transitions" data-testid="inbox-transitions">
          <summary>History ({view.transitions.length})</summary>
          <ol>
            {view.transitions.map((t) => (
              <li key={`${t.at}-${t.toStatus}`}>
                <time dateTime={t.at}>{formatMessageTime(t.at, now)}</time> — {statusLabels[t.toStatus]}: {t.reason}
                {t.by !== undefined ? ` (${t.by})` : ''}
              </li>
            ))}
          </ol>
        </details>
      )}
    </section>
  );
}

function ActionButton({ action, busy, onClick, primary = false }: { action: HandoffAction; busy: string | undefined; onClick: (a: HandoffAction) => Promise<void>; primary?: boolean }) {
  return (
    <button
      type="button"
      className={`button${primary ? '' : ' button--secondary'}`}
      disabled={busy !== undefined}
      onClick={() => void onClick(action)}
      data-testid={`inbox-${action}`}
    >
      {busy === action ? 'Working…' : actionLabels[action]}
    </button>
  );
}

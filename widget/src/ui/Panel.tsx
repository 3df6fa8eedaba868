/** @jsxImportSource preact */
/**
 * The chat panel: header, message list, suggested replies, composer. A
 * non-modal dialog: focus moves in on open and back to the launcher on close;
 * Escape closes. Every piece of message text is rendered as text nodes.
 */
import type { JSX } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { MessageView } from '../../../lambdas/core/protocol';
import type { MountOptions } from '../contract';
import type { ChatClient, Snapshot } from '../lib/client';
import { greetingFor } from '../lib/config';
import type { StringKey, Translate } from '../lib/i18n';
import type { Notice } from '../lib/store';
import { awaitingAck, staffSeenSeq, timeline, wantsFeedback, type TimelineItem } from '../lib/store';
import { linkify, tooLong } from '../lib/text';
import { CloseIcon, NewIcon, SendIcon, SourceIcon } from './icons';

export interface PanelProps {
  readonly client: ChatClient;
  readonly options: MountOptions;
  readonly t: Translate;
  readonly open: boolean;
  readonly onClose: () => void;
  /** The last seq this browser had received before this page (the remembered pointer's): replies after it are unread. */
  readonly seenBefore?: number;
}

const noticeKey: Record<Notice['code'], StringKey> = {
  bad_request: 'errorBadRequest',
  unknown_action: 'errorGeneric',
  message_too_large: 'errorTooLarge',
  rate_limited: 'errorRateLimited',
  no_conversation: 'errorNoConversation',
  session_expired: 'errorGeneric', // staff connections only
  internal: 'errorGeneric',
};

const isReply = (m: MessageView): boolean => m.role === 'bot' || m.role === 'agent' || m.role === 'system';

function useSnapshot(client: ChatClient): Snapshot {
  const [snap, setSnap] = useState(client.snapshot());
  useEffect(() => client.subscribe(setSnap), [client]);
  return snap;
}

/** "Did this help?" under a bot answer: two buttons that send the answer once, then say thanks. */
function FeedbackButtons({ choice, ready, t, onChoose }: { choice: boolean | undefined; ready: boolean; t: Translate; onChoose: (helpful: boolean) => void }): JSX.Element {
  const chosen = choice !== undefined;
  const button = (helpful: boolean, icon: string): JSX.Element => (
    <button
      type="button"
      class={`fb-btn${choice === helpful ? ' fb-btn--on' : ''}`}
      aria-label={t(helpful ? 'helpful' : 'notHelpful')}
      title={t(helpful ? 'helpful' : 'notHelpful')}
      aria-pressed={choice === helpful}
      aria-disabled={chosen}
      disabled={!chosen && !ready}
      onClick={() => !chosen && onChoose(helpful)}
    >
      <span aria-hidden="true">{icon}</span>
    </button>
  );
  return (
    <div class="feedback" role="group" aria-label={t('feedbackLabel')}>
      {button(true, '👍')}
      {button(false, '👎')}
      <span class="fb-thanks" role="status">
        {chosen ? t('feedbackThanks') : ''}
      </span>
    </div>
  );
}

function RichText({ text, links }: { text: string; links: boolean }): JSX.Element {
  if (!links) return <>{text}</>;
  return (
    <>
      {linkify(text).map((p, i) =>
        p.kind === 'link' ? (
          <a key={i} href={p.href} target="_blank" rel="noopener noreferrer nofollow">
            {p.text}
          </a>
        ) : (
          p.text
        ),
      )}
    </>
  );
}

export function Panel({ client, options, t, open, onClose, seenBefore = 0 }: PanelProps): JSX.Element {
  const { state, status } = useSnapshot(client);
  const { tenant, lang } = options;
  const name = tenant.name;
  const [draft, setDraft] = useState('');
  const [announcement, setAnnouncement] = useState('');
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const startNewRef = useRef<HTMLButtonElement>(null);
  /** Focus the composer once it is back (a new conversation started from a closed one). */
  const focusInputOnRender = useRef(false);
  const listRef = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  const announcedSeq = useRef<number | undefined>(undefined);
  const seenSeq = useRef(seenBefore);

  const items = timeline(state);
  const seen = staffSeenSeq(state);
  const lastMessage = state.messages[state.messages.length - 1];
  const lastSeq = lastMessage?.seq ?? 0;
  const streamLength = items.reduce((n, i) => n + (i.kind === 'stream' ? i.text.length : 0), 0);
  const greeting = greetingFor(tenant, lang);
  const closed = state.mode === 'closed';
  // A message awaiting its ack belongs to this conversation: a new one waits for it.
  const canStartNew = status === 'ready' && !awaitingAck(state);
  const draftTooLong = tooLong(draft);

  const who = (role: MessageView['role']): string =>
    role === 'customer' ? t('you') : role === 'agent' ? t('agent', { name }) : role === 'system' ? t('system') : t('assistant', { name });

  // Focus the composer (in a closed conversation, the button starting a new one) when the panel opens.
  useEffect(() => {
    if (open) {
      stickToBottom.current = true;
      (inputRef.current ?? startNewRef.current)?.focus();
    }
  }, [open]);

  useEffect(() => {
    if (!focusInputOnRender.current || !inputRef.current) return;
    focusInputOnRender.current = false;
    inputRef.current.focus();
  });

  // Keep the newest message in view unless the visitor scrolled up to read.
  useLayoutEffect(() => {
    const el = listRef.current;
    if (el && stickToBottom.current) el.scrollTop = el.scrollHeight;
  }, [items.length, streamLength, open, state.typing]);

  // Announce new replies politely; the initial replay is not announced.
  useEffect(() => {
    if (status !== 'ready' && announcedSeq.current === undefined) return;
    if (announcedSeq.current === undefined) {
      announcedSeq.current = lastSeq;
      return;
    }
    const fresh = state.messages.filter((m) => m.seq > (announcedSeq.current ?? 0) && isReply(m));
    announcedSeq.current = Math.max(announcedSeq.current, lastSeq);
    if (fresh.length) setAnnouncement(fresh.map((m) => `${t('saidBy', { who: who(m.role) })} ${m.text}`).join('\n'));
  }, [lastSeq, status]);

  // Unread count for the launcher badge while the panel is closed.
  useEffect(() => {
    if (open) {
      seenSeq.current = lastSeq;
      options.onUnread(0);
    } else {
      options.onUnread(state.messages.filter((m) => m.seq > seenSeq.current && isReply(m)).length);
    }
  }, [open, lastSeq]);

  // Notices dismiss themselves after a while.
  const notice = state.notice;
  useEffect(() => {
    if (!notice) return;
    const id = setTimeout(() => client.dismissNotice(notice.id), 8000);
    return () => clearTimeout(id);
  }, [notice?.id]);

  const submit = (text: string): void => {
    if (!text.trim()) return;
    stickToBottom.current = true;
    client.send(text);
  };

  const onSubmit = (e: JSX.TargetedEvent<HTMLFormElement, Event>): void => {
    e.preventDefault();
    if (tooLong(draft)) return; // the "too long" message shows; the text stays to be shortened
    submit(draft);
    client.typing(false);
    setDraft('');
    if (inputRef.current) inputRef.current.style.height = '';
    inputRef.current?.focus();
  };

  const onKeyDownInput = (e: JSX.TargetedKeyboardEvent<HTMLTextAreaElement>): void => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      e.currentTarget.form?.requestSubmit();
    }
  };

  const onInput = (e: JSX.TargetedEvent<HTMLTextAreaElement, Event>): void => {
    const el = e.currentTarget;
    setDraft(el.value);
    client.typing(el.value.trim() !== '');
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 120)}px`;
  };

  const startNewConversation = (): void => {
    if (!client.newConversation()) return;
    announcedSeq.current = 0;
    if (inputRef.current) inputRef.current.focus();
    else focusInputOnRender.current = true;
  };

  /** A suggested reply is sent; its buttons go, so focus moves to where the visitor continues. */
  const chooseQuickReply = (text: string): void => {
    submit(text);
    (inputRef.current ?? startNewRef.current)?.focus();
  };

  const onKeyDownPanel = (e: JSX.TargetedKeyboardEvent<HTMLElement>): void => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      onClose();
    }
  };

  const onScroll = (): void => {
    const el = listRef.current;
    if (el) stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
  };

  const statusText =
    status === 'ready'
      ? state.mode === 'human'
        ? t('statusHuman')
        : state.mode === 'waiting_for_human'
          ? t('statusWaitingForHuman')
          : t('statusOnline')
      : status === 'offline'
        ? t('statusOffline')
        : t('statusConnecting');

  // Suggested replies belong to the latest reply, until the visitor answers.
  const quickReplies =
    lastMessage && isReply(lastMessage) && !state.outbox.length && !state.streams.length ? lastMessage.quickReplies ?? [] : [];

  const renderItem = (item: TimelineItem): JSX.Element => {
    if (item.kind === 'handoff') {
      return (
        <li key={item.key} class={`msg msg--system msg--handoff msg--${item.notice.kind}`} data-handoff={item.notice.kind}>
          <div class="bubble">{item.notice.kind === 'joined' ? t('agentJoined', { name }) : t('agentLeft')}</div>
        </li>
      );
    }
    if (item.kind === 'stream') {
      return (
        <li key={item.key} class="msg msg--bot msg--streaming">
          <span class="sr-only">{t('saidBy', { who: who('bot') })}</span>
          <div class="bubble">
            {item.text}
            <span class="caret" aria-hidden="true" />
          </div>
        </li>
      );
    }
    if (item.kind === 'pending') {
      const p = item.item;
      return (
        <li key={item.key} class={`msg msg--customer msg--pending${p.status === 'failed' ? ' msg--failed' : ''}`}>
          <span class="sr-only">{t('saidBy', { who: t('you') })}</span>
          <div class="bubble">{p.text}</div>
          <div class="meta">
            {p.status === 'failed' ? (
              <>
                <span>{t('notSent')}</span>
                <button type="button" class="link-btn" onClick={() => client.retry(p.clientId)}>
                  {t('retry')}
                </button>
                <button type="button" class="link-btn" onClick={() => client.discard(p.clientId)}>
                  {t('discard')}
                </button>
              </>
            ) : (
              <span>{status === 'ready' ? t('sending') : t('queued')}</span>
            )}
          </div>
        </li>
      );
    }
    const m = item.message;
    const side = m.role === 'customer' ? 'customer' : m.role;
    return (
      <li key={item.key} class={`msg msg--${side}`} data-seq={m.seq}>
        <span class="sr-only">{t('saidBy', { who: who(m.role) })}</span>
        {m.role === 'agent' ? <span class="author" aria-hidden="true">{who('agent')}</span> : null}
        <div class="bubble">
          <RichText text={m.text} links={m.role !== 'customer'} />
        </div>
        {m.sources && m.sources.length ? (
          <ul class="sources" aria-label={t('sourcesLabel')}>
            {m.sources.map((s) => (
              <li key={s.id} class="source">
                <SourceIcon />
                <span>{t('source', { title: s.title })}</span>
              </li>
            ))}
          </ul>
        ) : null}
        {m.seq === seen ? <div class="meta seen">{t('seen')}</div> : null}
        {wantsFeedback(m) ? (
          <FeedbackButtons choice={state.feedback?.[String(m.seq)]} ready={status === 'ready'} t={t} onChoose={(helpful) => client.feedback(m.seq, helpful)} />
        ) : null}
      </li>
    );
  };

  return (
    <section
      class={`panel panel--${options.position}`}
      role="dialog"
      aria-modal="false"
      aria-labelledby="cw-title"
      id="cw-panel"
      lang={lang}
      hidden={!open}
      onKeyDown={onKeyDownPanel}
    >
      <div class="header">
        <div class="avatar" aria-hidden="true">
          {tenant.logoUrl ? <img src={tenant.logoUrl} alt="" /> : <span>{name.trim().charAt(0).toUpperCase()}</span>}
        </div>
        <div class="titles">
          <h2 id="cw-title">{name}</h2>
          <p class={`status status--${status}`} role="status" aria-live="polite">
            <span class="dot" aria-hidden="true" />
            {statusText}
          </p>
        </div>
        <button
          type="button"
          class="icon-btn"
          aria-label={t('newConversation')}
          title={t('newConversation')}
          disabled={!canStartNew}
          onClick={startNewConversation}
        >
          <NewIcon />
        </button>
        <button type="button" class="icon-btn" aria-label={t('closeChat')} title={t('closeChat')} onClick={onClose}>
          <CloseIcon />
        </button>
      </div>

      {notice ? (
        <div class="notice" role="status">
          <span>{t(noticeKey[notice.code])}</span>
          <button type="button" class="icon-btn icon-btn--small" aria-label={t('dismiss')} onClick={() => client.dismissNotice(notice.id)}>
            <CloseIcon />
          </button>
        </div>
      ) : null}

      <div class="messages" ref={listRef} onScroll={onScroll} role="region" aria-label={t('conversationLabel')} tabIndex={0}>
        <ol class="list">
          {greeting ? (
            <li class="msg msg--bot msg--greeting">
              <span class="sr-only">{t('saidBy', { who: who('bot') })}</span>
              <div class="bubble">{greeting}</div>
            </li>
          ) : null}
          {items.map(renderItem)}
          {state.typing && !state.streams.length ? (
            <li class="msg msg--bot msg--typing">
              <div class="bubble typing">
                <span class="sr-only">{t('typing', { who: who(state.typing) })}</span>
                <span class="typing-dot" aria-hidden="true" />
                <span class="typing-dot" aria-hidden="true" />
                <span class="typing-dot" aria-hidden="true" />
              </div>
            </li>
          ) : null}
        </ol>
        {closed ? <p class="closed">{t('closedConversation')}</p> : null}
      </div>

      {quickReplies.length ? (
        <div class="quick-replies" role="group" aria-label={t('quickRepliesLabel')}>
          {quickReplies.map((q, i) => (
            <button key={i} type="button" class="chip" onClick={() => chooseQuickReply(q.text)}>
              {q.label}
            </button>
          ))}
        </div>
      ) : null}

      {closed ? (
        // The server answers nothing in a closed conversation: the way on is a new one.
        <div class="composer">
          <button type="button" ref={startNewRef} class="start-new" aria-disabled={!canStartNew} onClick={startNewConversation}>
            {t('startNewConversation')}
          </button>
        </div>
      ) : (
        <form class="composer" onSubmit={onSubmit}>
          <label class="sr-only" for="cw-input">
            {t('inputLabel')}
          </label>
          <textarea
            id="cw-input"
            ref={inputRef}
            rows={1}
            placeholder={t('inputPlaceholder')}
            value={draft}
            onInput={onInput}
            onKeyDown={onKeyDownInput}
            autoComplete="off"
            aria-invalid={draftTooLong}
            aria-describedby={draftTooLong ? 'cw-too-long' : undefined}
          />
          <button type="submit" class="send" aria-label={t('send')} title={t('send')} disabled={!draft.trim() || draftTooLong}>
            <SendIcon />
          </button>
        </form>
      )}
      {draftTooLong && !closed ? (
        <p class="too-long" id="cw-too-long" role="alert">
          {t('errorTooLarge')}
        </p>
      ) : null}
      <p class="footnote">{t('poweredBy', { name })}</p>
      <div class="sr-only" aria-live="polite" aria-atomic="true">
        {announcement}
      </div>
    </section>
  );
}

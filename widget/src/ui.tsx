/** @jsxImportSource preact */
/**
 * The chat UI, loaded by the loader on idle or first open. Exports `mount`,
 * which renders the panel into the loader's shadow root and returns a
 * controller. Preact and the CSS are bundled into this one file.
 */
import { render } from 'preact';
import uiCss from './ui.css';
import type { MountOptions, WidgetController } from './contract';
import { Panel } from './ui/Panel';
import { ChatClient, type SocketFactory } from './lib/client';
import { socketUrl } from './lib/config';
import { adoptStyles } from './lib/dom';
import { newClientId } from './lib/ids';
import { translator } from './lib/i18n';
import { initialState, lastSeq } from './lib/store';
import {
  loadConversation,
  loadFeedback,
  loadTranscript,
  resumeFrom,
  safeStorage,
  saveConversation,
  saveFeedback,
  saveTranscript,
  visitorIdFor,
} from './lib/storage';

const browserSocket: SocketFactory = (url, handlers) => {
  const ws = new WebSocket(url);
  ws.onopen = () => handlers.onOpen();
  ws.onmessage = (e: MessageEvent<unknown>) => handlers.onMessage(e.data);
  ws.onclose = (e) => handlers.onClose(e.code);
  return {
    send: (data) => ws.send(data),
    close: () => {
      ws.onopen = ws.onmessage = ws.onclose = null;
      ws.close(1000);
    },
  };
};

export function mount(options: MountOptions): WidgetController {
  const { root, container, key, env, lang, nonce } = options;
  adoptStyles(root, uiCss, nonce);

  const local = safeStorage(() => window.localStorage);
  const session = safeStorage(() => window.sessionStorage);
  const visitorId = visitorIdFor(local, key);
  const transcript = loadTranscript(session, key);
  const remembered = loadConversation(local, key);
  const pointer = resumeFrom(remembered, transcript);
  /** The last seq the visitor saw with the panel open, on this page or an earlier one (older pointers: their lastSeq). */
  const seenBefore = remembered?.seenSeq ?? remembered?.lastSeq ?? 0;
  let seenSeq = seenBefore;
  let open = false;
  const initial = initialState({
    ...(pointer ? { conversationId: pointer.conversationId } : {}),
    messages: transcript.messages,
    outbox: transcript.outbox,
    feedback: loadFeedback(local, key, pointer?.conversationId),
  });

  const client = new ChatClient({
    url: socketUrl(env.wsUrl, key, visitorId),
    lang,
    createSocket: browserSocket,
    schedule: (fn, ms) => {
      const id = setTimeout(fn, ms);
      return () => clearTimeout(id);
    },
    newClientId: () => newClientId(),
    initial,
    persist: (state) => {
      const held = lastSeq(state);
      const withPerson = state.mode === 'waiting_for_human' || state.mode === 'human';
      // Seen only while the panel is open: a reply that arrived with it closed stays unread on the next page.
      if (open) seenSeq = held;
      saveConversation(local, key, state.conversationId ? { conversationId: state.conversationId, lastSeq: held, seenSeq, ...(withPerson ? { withPerson } : {}) } : undefined);
      saveFeedback(local, key, state.conversationId, state.feedback);
      saveTranscript(session, key, { ...(state.conversationId ? { conversationId: state.conversationId } : {}), messages: state.messages, outbox: state.outbox });
    },
  });

  const t = translator(lang);
  const draw = (): void =>
    render(
      <Panel
        client={client}
        options={options}
        t={t}
        open={open}
        onClose={() => setOpen(false, true)}
        seenBefore={seenBefore}
      />,
      container,
    );
  // Read receipts are sent only while the visitor can see the conversation.
  const viewing = (): void => client.setViewing(open && document.visibilityState === 'visible');
  const setOpen = (next: boolean, restoreFocus: boolean): void => {
    if (next === open) return;
    open = next;
    if (open) {
      client.connect();
      // Opening shows everything held: it is seen (saved with the pointer when the state changes next, or now).
      const { state } = client.snapshot();
      const shown = lastSeq(state);
      if (shown > seenSeq && state.conversationId) {
        seenSeq = shown;
        const saved = loadConversation(local, key);
        if (saved?.conversationId === state.conversationId) saveConversation(local, key, { ...saved, seenSeq });
      }
    }
    viewing();
    draw();
    options.onOpenChange(open);
    if (!open && restoreFocus) options.launcher.focus();
  };

  // Come back quickly when the network does, instead of waiting out the back-off.
  window.addEventListener('online', () => client.reconnectNow());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') client.reconnectNow();
    viewing();
  });

  draw();
  return {
    open: () => setOpen(true, false),
    close: () => setOpen(false, true),
    toggle: () => setOpen(!open, true),
    connect: () => client.connect(),
  };
}

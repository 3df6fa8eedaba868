/**
 * Every string the widget shows, in each language it speaks. Framework-free so
 * the loader, the UI and node tests share it. `{name}` placeholders are filled
 * by `format`; values are always rendered as text, never as markup.
 */

export const languages = ['en', 'es'] as const;
export type Lang = (typeof languages)[number];

// The launcher's strings are kept apart so the loader bundles only these.
const enLauncher = {
  openChat: 'Chat with {name}',
  closeChat: 'Close chat',
  unread: 'New messages: {count}',
} as const;

const esLauncher: { readonly [K in keyof typeof enLauncher]: string } = {
  openChat: 'Chatea con {name}',
  closeChat: 'Cerrar chat',
  unread: 'Mensajes nuevos: {count}',
};

const enPanel = {
  newConversation: 'New conversation',
  statusOnline: 'Replies instantly',
  statusConnecting: 'Connecting…',
  statusOffline: 'Offline — reconnecting…',
  statusWaitingForHuman: 'Finding someone from the team…',
  statusHuman: 'You are chatting with a person',
  conversationLabel: 'Conversation',
  inputLabel: 'Type your message',
  inputPlaceholder: 'Ask a question…',
  send: 'Send',
  you: 'You',
  assistant: '{name} assistant',
  agent: '{name} team',
  system: 'Notice',
  saidBy: '{who} said:',
  typing: '{who} is typing',
  sourcesLabel: 'Sources',
  source: 'Source: {title}',
  quickRepliesLabel: 'Suggested replies',
  sending: 'Sending…',
  queued: 'Will send when back online',
  notSent: 'Not sent.',
  retry: 'Retry',
  discard: 'Remove',
  dismiss: 'Dismiss',
  closedConversation: 'This conversation has ended.',
  startNewConversation: 'Start a new conversation',
  agentJoined: 'A person from the {name} team joined the chat.',
  agentLeft: 'The team member left the chat. The assistant answers from here.',
  poweredBy: 'Answers come from {name}’s own information.',
  errorBadRequest: 'That message could not be sent.',
  errorTooLarge: 'That message is too long. Please shorten it.',
  errorRateLimited: 'You are sending messages quickly. Please wait a moment.',
  errorNoConversation: 'This conversation is no longer available. Start a new one.',
  errorGeneric: 'Something went wrong. Please try again.',
  feedbackLabel: 'Was this answer helpful?',
  helpful: 'Helpful',
  notHelpful: 'Not helpful',
  feedbackThanks: 'Thanks for your feedback',
  seen: 'Seen',
} as const;

export type StringKey = keyof typeof enLauncher | keyof typeof enPanel;
export type Dictionary = { readonly [K in StringKey]: string };

const esPanel: { readonly [K in keyof typeof enPanel]: string } = {
  newConversation: 'Nueva conversación',
  statusOnline: 'Responde al instante',
  statusConnecting: 'Conectando…',
  statusOffline: 'Sin conexión — reconectando…',
  statusWaitingForHuman: 'Buscando a alguien del equipo…',
  statusHuman: 'Estás hablando con una persona',
  conversationLabel: 'Conversación',
  inputLabel: 'Escribe tu mensaje',
  inputPlaceholder: 'Haz una pregunta…',
  send: 'Enviar',
  you: 'Tú',
  assistant: 'Asistente de {name}',
  agent: 'Equipo de {name}',
  system: 'Aviso',
  saidBy: '{who} dijo:',
  typing: '{who} está escribiendo',
  sourcesLabel: 'Fuentes',
  source: 'Fuente: {title}',
  quickRepliesLabel: 'Respuestas sugeridas',
  sending: 'Enviando…',
  queued: 'Se enviará al recuperar la conexión',
  notSent: 'No enviado.',
  retry: 'Reintentar',
  discard: 'Quitar',
  dismiss: 'Cerrar aviso',
  closedConversation: 'Esta conversación ha terminado.',
  startNewConversation: 'Empezar una conversación nueva',
  agentJoined: 'Una persona del equipo de {name} se unió al chat.',
  agentLeft: 'La persona del equipo salió del chat. El asistente responde a partir de aquí.',
  poweredBy: 'Las respuestas provienen de la información de {name}.',
  errorBadRequest: 'No se pudo enviar ese mensaje.',
  errorTooLarge: 'El mensaje es demasiado largo. Acórtalo, por favor.',
  errorRateLimited: 'Estás enviando mensajes muy rápido. Espera un momento.',
  errorNoConversation: 'Esta conversación ya no está disponible. Empieza una nueva.',
  errorGeneric: 'Algo salió mal. Inténtalo de nuevo.',
  feedbackLabel: '¿Te ayudó esta respuesta?',
  helpful: 'Me ayudó',
  notHelpful: 'No me ayudó',
  feedbackThanks: 'Gracias por tu opinión',
  seen: 'Visto',
};

/** Every string in `lang`. Built on demand so bundles that only need the launcher's strings drop the rest. */
export function dictionary(lang: Lang): Dictionary {
  return lang === 'es' ? { ...esLauncher, ...esPanel } : { ...enLauncher, ...enPanel };
}

export function isLang(value: unknown): value is Lang {
  return languages.some((l) => l === value);
}

/** `es-MX` → `es`; unknown or malformed tags → undefined. */
export function baseLang(tag: string | null | undefined): Lang | undefined {
  if (!tag) return undefined;
  const base = tag.trim().toLowerCase().split(/[-_]/)[0];
  return isLang(base) ? base : undefined;
}

/**
 * The language to speak: the page's `data-lang` when we speak it; else the
 * visitor's browser language when the business offers it; else the business's
 * first language we speak; else English.
 */
export function pickLang(
  dataLang: string | null | undefined,
  tenantLanguages: readonly string[],
  navigatorLanguages: readonly string[],
): Lang {
  const explicit = baseLang(dataLang);
  if (explicit) return explicit;
  const offered = tenantLanguages.map(baseLang).filter((l): l is Lang => l !== undefined);
  for (const tag of navigatorLanguages) {
    const l = baseLang(tag);
    if (l && (offered.length === 0 || offered.includes(l))) return l;
  }
  return offered[0] ?? 'en';
}

/** Replaces `{name}` placeholders; unknown placeholders stay visible so mistakes show. */
export function format(template: string, params: Readonly<Record<string, string | number>> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = params[name];
    return v === undefined ? whole : String(v);
  });
}

export type Translate<K extends string = StringKey> = (key: K, params?: Readonly<Record<string, string | number>>) => string;

export function translator(lang: Lang): Translate {
  const dict = dictionary(lang);
  return (key, params) => format(dict[key], params);
}

export type LauncherStringKey = keyof typeof enLauncher;

/** The launcher's few strings only: what the loader needs before the UI loads. */
export function launcherTranslator(lang: Lang): Translate<LauncherStringKey> {
  const dict = lang === 'es' ? esLauncher : enLauncher;
  return (key, params) => format(dict[key], params);
}

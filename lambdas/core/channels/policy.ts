/**
 * What may be sent to a customer on a channel, and when.
 *
 * - WhatsApp's 24-hour customer-service window: free-form messages only within 24 hours of the customer's last
 *   message on that identity (read from the conversation's messages: one open conversation per identity). Outside
 *   it, a kind that has an approved template configured (`templates.reminder | csat | followUp | bookingUpdate` in
 *   the tenant's Twilio credentials) goes out as that template; anything else is parked (`whatsapp_window_closed`)
 *   and staff are told.
 * - Messenger's 24-hour standard messaging window: outside it, agent replies go with the `HUMAN_AGENT` tag (7 days)
 *   and booking notices with `CONFIRMED_EVENT_UPDATE`; anything else is parked (`messenger_window_closed`).
 * - SMS keywords (the carrier rules Twilio enforces): STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT
 *   opt out; START, YES, UNSTOP opt in again; HELP, INFO ask who is writing; in Spanish BAJA / PARAR, ALTA and AYUDA.
 *   Opted-out numbers are never sent to (but for the one confirmation of a Spanish opt-out, which Twilio does not send).
 * - WhatsApp keywords: STOP (BAJA) opts out of the messages the business starts — reminders, follow-ups and
 *   satisfaction questions; START (ALTA) opts back in. Replies and booking notices still go (docs/decisions.md 96).
 */
import type { Clock } from '../ports';
import type { OutboundChannel } from './format';

/** Why a message goes out (the `kind` of a `message.send` event). */
export const sendKinds = ['reply', 'agent', 'system', 'booking', 'reminder', 'csat', 'followup', 'optout'] as const;
export type SendKind = (typeof sendKinds)[number];

export const WINDOW_MS = 24 * 60 * 60 * 1000;
/** Messenger's HUMAN_AGENT tag allows agent replies for 7 days after the customer's last message. */
export const HUMAN_AGENT_WINDOW_MS = 7 * WINDOW_MS;

export interface ServiceWindow {
  readonly open: boolean;
  /** When the customer last wrote, if ever. */
  readonly lastInboundAt?: string;
  /** When the window closes (closed) — absent when the customer never wrote. */
  readonly closesAt?: string;
}

/** The 24-hour customer-service window as of `now`, from the customer's last message. */
export function serviceWindow(lastInboundAt: string | undefined, now: Date): ServiceWindow {
  const at = lastInboundAt ? Date.parse(lastInboundAt) : Number.NaN;
  if (!lastInboundAt || Number.isNaN(at)) return { open: false };
  const closes = at + WINDOW_MS;
  return { open: now.getTime() < closes, lastInboundAt, closesAt: new Date(closes).toISOString() };
}

/** The template slot of a kind (in `templates` of the Twilio credentials), if the kind can be sent as one. */
export type TemplateSlot = 'reminder' | 'csat' | 'followUp' | 'bookingUpdate';
export function templateSlotOf(kind: SendKind): TemplateSlot | undefined {
  switch (kind) {
    case 'reminder':
      return 'reminder';
    case 'csat':
      return 'csat';
    case 'followup':
      return 'followUp';
    case 'booking':
      return 'bookingUpdate';
    default:
      return undefined;
  }
}

export type ParkReason = 'whatsapp_window_closed' | 'messenger_window_closed';

export type SendDecision =
  | { readonly mode: 'free_form' }
  | { readonly mode: 'template'; readonly slot: TemplateSlot; readonly contentSid: string }
  /** Messenger outside the window: a message tag. */
  | { readonly mode: 'tagged'; readonly tag: 'HUMAN_AGENT' | 'CONFIRMED_EVENT_UPDATE' }
  | { readonly mode: 'park'; readonly reason: ParkReason };

export interface DecisionInput {
  readonly channel: OutboundChannel;
  readonly kind: SendKind;
  readonly lastInboundAt: string | undefined;
  readonly now: Date;
  /** The tenant's approved WhatsApp templates (Content SIDs). */
  readonly templates?: Partial<Record<TemplateSlot, string>>;
}

/** How (and whether) a message may go out now. SMS has no window: opt-outs are checked separately. */
export function decideSend(input: DecisionInput): SendDecision {
  if (input.channel === 'sms') return { mode: 'free_form' };
  const window = serviceWindow(input.lastInboundAt, input.now);
  if (window.open) return { mode: 'free_form' };
  if (input.channel === 'whatsapp') {
    const slot = templateSlotOf(input.kind);
    const contentSid = slot ? input.templates?.[slot] : undefined;
    return slot && contentSid ? { mode: 'template', slot, contentSid } : { mode: 'park', reason: 'whatsapp_window_closed' };
  }
  const sinceLast = input.lastInboundAt ? input.now.getTime() - Date.parse(input.lastInboundAt) : Number.POSITIVE_INFINITY;
  if (input.kind === 'agent' && sinceLast < HUMAN_AGENT_WINDOW_MS) return { mode: 'tagged', tag: 'HUMAN_AGENT' };
  if (input.kind === 'booking' || input.kind === 'reminder') return { mode: 'tagged', tag: 'CONFIRMED_EVENT_UPDATE' };
  return { mode: 'park', reason: 'messenger_window_closed' };
}

/**
 * A template's single variable `{{1}}`: the message as one line (WhatsApp refuses new lines, tabs and more than four
 * spaces in a row in template parameters), at most 1024 characters.
 */
export function templateVariables(text: string): Record<string, string> {
  const line = text.replace(/\s+/g, ' ').trim();
  return { '1': [...line].slice(0, 1024).join('') };
}

// ---- SMS and WhatsApp keywords -------------------------------------------------------------------

export type OptOutCommand = 'stop' | 'start' | 'help';
/** The channels a customer can opt out of by keyword. */
export type KeywordChannel = 'sms' | 'whatsapp';

/** A keyword as read: what it asks, in which language to answer, and whether Twilio itself already confirms it. */
export interface Keyword {
  readonly command: OptOutCommand;
  readonly lang: 'en' | 'es';
  /** An SMS opt-out Twilio handles by default (it blocks the number and sends its own confirmation). */
  readonly twilioConfirms: boolean;
}

type Meaning = Omit<Keyword, 'twilioConfirms'>;
const meaning = (words: readonly string[], command: OptOutCommand, lang: Meaning['lang']): [string, Meaning][] => words.map((w) => [w, { command, lang }]);

// SMS: Twilio's default English lists (it blocks and confirms these itself) and the Spanish words customers in Spain
// and Latin America use (BAJA is what Spanish senders print; Twilio does not know them, so the opt-out and its one
// confirmation are ours). CANCEL alone stays an opt-out: Twilio blocks the number on it whatever we do.
const SMS_KEYWORDS: ReadonlyMap<string, Meaning> = new Map<string, Meaning>([
  ...meaning(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'], 'stop', 'en'),
  ...meaning(['BAJA', 'PARAR'], 'stop', 'es'),
  ...meaning(['START', 'YES', 'UNSTOP'], 'start', 'en'),
  ...meaning(['ALTA'], 'start', 'es'),
  ...meaning(['HELP', 'INFO'], 'help', 'en'),
  ...meaning(['AYUDA'], 'help', 'es'),
]);
const TWILIO_OPT_OUTS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);

// WhatsApp has no carrier keywords: a customer's STOP opts out of the messages the business starts (reminders,
// follow-ups, satisfaction questions). Only unmistakable words: "cancel", "end", "yes" and "help" are answers or
// questions for the concierge there.
const WHATSAPP_KEYWORDS: ReadonlyMap<string, Meaning> = new Map<string, Meaning>([
  ...meaning(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'OPTOUT'], 'stop', 'en'),
  ...meaning(['BAJA', 'PARAR'], 'stop', 'es'),
  ...meaning(['START', 'UNSTOP'], 'start', 'en'),
  ...meaning(['ALTA'], 'start', 'es'),
]);

/** The keyword a message is (the whole message, any case, trailing punctuation ignored), if it is one on the channel. */
export function keywordOf(text: string, channel: KeywordChannel = 'sms'): Keyword | undefined {
  const word = text
    .trim()
    .replace(/[.!?¡¿\s]+$/u, '')
    .replace(/^[¡¿]+/u, '')
    .toUpperCase();
  const found = (channel === 'sms' ? SMS_KEYWORDS : WHATSAPP_KEYWORDS).get(word);
  return found ? { ...found, twilioConfirms: channel === 'sms' && TWILIO_OPT_OUTS.has(word) } : undefined;
}

/** The command an inbound message is on the channel, if it is a keyword. */
export function optOutCommand(text: string, channel: KeywordChannel = 'sms'): OptOutCommand | undefined {
  return keywordOf(text, channel)?.command;
}

/**
 * Where a number's opt-out is kept: an SMS opt-out under the number (as Twilio's), a WhatsApp one under
 * `whatsapp:<number>` — a customer who stops WhatsApp reminders may still want their texts, and the other way round.
 */
export function optOutAddress(channel: KeywordChannel, phone: string): string {
  return channel === 'sms' ? phone : `whatsapp:${phone}`;
}

/** What a customer opted out of on WhatsApp: the messages the business starts. Replies and booking notices still go. */
export const WHATSAPP_OPT_OUT_KINDS: ReadonlySet<SendKind> = new Set(['reminder', 'csat', 'followup']);

export interface OptOutRecord {
  readonly address: string;
  readonly optedOut: boolean;
  /** When the customer last opted out or in. */
  readonly at: string;
  readonly keyword: string;
}

/** Opt-outs per tenant and phone number (E.164). */
export interface OptOutStore {
  getOptOut(tenantId: string, address: string): Promise<OptOutRecord | undefined>;
  putOptOut(tenantId: string, record: OptOutRecord): Promise<void>;
}

/** Whether the number has opted out of the tenant's SMS. */
export async function isOptedOut(store: OptOutStore, tenantId: string, address: string): Promise<boolean> {
  return (await store.getOptOut(tenantId, address))?.optedOut === true;
}

/** The reply to HELP / INFO (AYUDA): who is writing and how to reach a person. */
export function helpText(businessName: string, phone?: string, lang: 'en' | 'es' = 'en'): string {
  if (lang === 'es') {
    const contact = phone ? ` Llame al ${phone} para hablar con nosotros.` : '';
    return `${businessName}: asistente automático.${contact} Responda BAJA para darse de baja. Pueden aplicarse tarifas de mensajes y datos.`;
  }
  const contact = phone ? ` Call ${phone} to reach us.` : '';
  return `${businessName}: automated assistant.${contact} Reply STOP to unsubscribe. Msg&data rates may apply.`;
}

/** What a keyword is answered with, when it is answered (see SmsKeywordResult). */
function keywordReply(keyword: Keyword, channel: KeywordChannel, businessName: string, businessPhone: string | undefined): string | undefined {
  const es = keyword.lang === 'es';
  if (keyword.command === 'help') return helpText(businessName, businessPhone, keyword.lang);
  if (channel === 'whatsapp') {
    if (keyword.command === 'stop') {
      return es
        ? `${businessName}: ya no le enviaremos recordatorios ni seguimientos por WhatsApp. Puede escribirnos cuando quiera; responda ALTA para volver a recibirlos.`
        : `${businessName}: we won't send you reminders or follow-ups on WhatsApp any more. You can still write to us at any time; reply START to get them again.`;
    }
    return es
      ? `${businessName}: volverá a recibir recordatorios y seguimientos por WhatsApp. Responda BAJA para dejar de recibirlos.`
      : `${businessName}: you will get reminders and follow-ups on WhatsApp again. Reply STOP to stop them.`;
  }
  if (keyword.command === 'stop') {
    // Twilio confirms its own keywords; for the others ours is the one message allowed after an opt-out.
    return keyword.twilioConfirms ? undefined : `${businessName}: se ha dado de baja y no recibirá más SMS. Responda ALTA para volver a recibirlos.`;
  }
  return es
    ? `${businessName}: vuelve a estar suscrito. Responda BAJA para darse de baja, AYUDA para obtener ayuda.`
    : `${businessName}: you are subscribed again. Reply STOP to unsubscribe, HELP for help.`;
}

export interface SmsKeywordResult {
  readonly command: OptOutCommand;
  /**
   * What to answer, if anything, in the keyword's language. An SMS STOP Twilio knows gets none: Twilio confirms it,
   * and nothing may be sent after it; BAJA / PARAR get the one confirmation (sent as kind `optout`, which passes the
   * opt-out). START gets a short confirmation, HELP the help text; on WhatsApp STOP and START are confirmed.
   */
  readonly reply?: string;
  /** The reply confirms an opt-out: it must be sent although the number has just opted out. */
  readonly confirmsOptOut?: true;
}

/**
 * For the inbound SMS / WhatsApp path: when the message is a keyword, records the opt-out or opt-in (with its time)
 * and says what to answer; `undefined` for any other message (answer it as usual). The keyword itself should not be
 * answered by the concierge.
 */
export async function handleSmsKeyword(
  deps: { readonly optOuts: OptOutStore; readonly clock: Clock },
  input: {
    readonly tenantId: string;
    readonly from: string;
    readonly text: string;
    readonly businessName: string;
    readonly businessPhone?: string;
    /** @default 'sms' */
    readonly channel?: KeywordChannel;
  },
): Promise<SmsKeywordResult | undefined> {
  const channel = input.channel ?? 'sms';
  const keyword = keywordOf(input.text, channel);
  if (!keyword) return undefined;
  const at = deps.clock.now().toISOString();
  const word = input.text.trim().toUpperCase().slice(0, 20);
  const address = optOutAddress(channel, input.from);
  if (keyword.command !== 'help') await deps.optOuts.putOptOut(input.tenantId, { address, optedOut: keyword.command === 'stop', at, keyword: word });
  const reply = keywordReply(keyword, channel, input.businessName, input.businessPhone);
  return { command: keyword.command, ...(reply ? { reply } : {}), ...(reply && keyword.command === 'stop' && channel === 'sms' ? { confirmsOptOut: true as const } : {}) };
}

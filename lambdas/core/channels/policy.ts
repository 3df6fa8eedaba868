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
 * - SMS keywords (the carrier rules Twilio enforces): STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT opt out; START,
 *   YES, UNSTOP opt in again; HELP, INFO ask who is writing. Opted-out numbers are never sent to.
 */
import type { Clock } from '../ports';
import type { OutboundChannel } from './format';

/** Why a message goes out (the `kind` of a `message.send` event). */
export const sendKinds = ['reply', 'agent', 'system', 'booking', 'reminder', 'csat', 'followup'] as const;
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

// ---- SMS keywords --------------------------------------------------------------------------------

export type OptOutCommand = 'stop' | 'start' | 'help';

const STOP = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']);
const START = new Set(['START', 'YES', 'UNSTOP']);
const HELP = new Set(['HELP', 'INFO']);

/** The keyword an inbound SMS is (the whole message, any case, trailing punctuation ignored), if it is one. */
export function optOutCommand(text: string): OptOutCommand | undefined {
  const word = text
    .trim()
    .replace(/[.!?\s]+$/u, '')
    .toUpperCase();
  if (STOP.has(word)) return 'stop';
  if (START.has(word)) return 'start';
  if (HELP.has(word)) return 'help';
  return undefined;
}

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

/** The reply to HELP / INFO: who is writing and how to reach a person. */
export function helpText(businessName: string, phone?: string): string {
  const contact = phone ? ` Call ${phone} to reach us.` : '';
  return `${businessName}: automated assistant.${contact} Reply STOP to unsubscribe. Msg&data rates may apply.`;
}

export interface SmsKeywordResult {
  readonly command: OptOutCommand;
  /**
   * What to answer, if anything. STOP gets none: Twilio (Advanced Opt-Out) or the carrier confirms it, and nothing
   * may be sent after it. START gets a short confirmation, HELP the help text.
   */
  readonly reply?: string;
}

/**
 * For the inbound SMS path: when the message is a keyword, records the opt-out or opt-in (with its time) and says
 * what to answer; `undefined` for any other message (answer it as usual). The keyword itself should not be answered
 * by the concierge.
 */
export async function handleSmsKeyword(
  deps: { readonly optOuts: OptOutStore; readonly clock: Clock },
  input: { readonly tenantId: string; readonly from: string; readonly text: string; readonly businessName: string; readonly businessPhone?: string },
): Promise<SmsKeywordResult | undefined> {
  const command = optOutCommand(input.text);
  if (!command) return undefined;
  const at = deps.clock.now().toISOString();
  const keyword = input.text.trim().toUpperCase().slice(0, 20);
  if (command === 'stop') {
    await deps.optOuts.putOptOut(input.tenantId, { address: input.from, optedOut: true, at, keyword });
    return { command };
  }
  if (command === 'start') {
    await deps.optOuts.putOptOut(input.tenantId, { address: input.from, optedOut: false, at, keyword });
    return { command, reply: `${input.businessName}: you are subscribed again. Reply STOP to unsubscribe, HELP for help.` };
  }
  return { command, reply: helpText(input.businessName, input.businessPhone) };
}

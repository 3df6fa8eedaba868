/**
 * The booking conversation, on any channel: slot filling over as many turns as
 * the customer needs, with the draft kept in the conversation context
 * (answer/context.ts `booking`).
 *
 * - book: service → free slots (findSlots) → the customer picks one (quick reply, "2", "the second",
 *   "the 3pm one", "Thursday at 3") → name and phone/e-mail (once per conversation) → price, duration,
 *   deposit and cancellation policy → yes → bookSlot (taken meanwhile: the alternatives);
 * - lookup ("when is my appointment?"): only by the phone or e-mail the booking was made with;
 * - cancel / reschedule: the customer's booking (chosen when several) → confirmation → cancelBooking /
 *   rescheduleBooking; too late for the policy: the policy, and a person is offered;
 * - impossible requests (closed, past, beyond the horizon, staff who don't do it, fully booked): said
 *   plainly, with the nearest free slots as quick replies;
 * - new details at any step ("actually make it Friday", "with Dr X instead", "no, a whitening") update
 *   the draft and re-offer; "cancel" / "never mind" / "stop" drop it; anything else (an FAQ) is left to
 *   the concierge, which answers it and asks whether to carry on, the draft kept.
 *
 * A quick reply sends its own label (QuickReply.text = label): the customer's history, the staff inbox and SMS
 * show words, not ids; the draft keeps the offered slots and bookings, so a clicked label is matched exactly.
 * `slot:<staffId>:<start>` and `booking:<bookingId>` are still understood (older clients, tests).
 */
import type { BookingDraft, ConversationContext, KnownContact } from '../answer/context';
import { conversationIdentity, verifiedPhoneOf } from '../channels/identity';
import { MAX_BOOKING_CHOICES } from '../answer/context';
import { serviceNameIn, type Service, type StaffMember } from '../knowledge-base';
import type { TenantCatalogue } from '../nlu/catalogue';
import { contactInCountry } from '../phone';
import type { Intent, Understanding, WhenEntity } from '../nlu/index';
import type { ReplyLanguage } from '../nlu/language';
import { partySizeIn } from '../nlu/party';
import { addDays, wallClock } from '../nlu/time';
import type { QuickReply } from '../protocol';
import type { SlotProblem, SlotRequest } from './availability';
import { dialogText, formatMoney, formatPrice } from './dialog-text';
import type { Booking, BookingSettings, Slot } from './ports';
import { activeStatuses, PARTY_SIZE_MAX } from './ports';
import { looksLikeQuestion } from '../nlu/question';
import {
  bookingSettingsOf,
  bookSlot,
  cancelBooking,
  customerKeyOf,
  findSlots,
  isSameSlot,
  rescheduleBooking,
  upcomingBookings,
  withinNotice,
  type BookingDeps,
} from './service';

/** Free slots offered at once. */
export const SLOTS_OFFERED = 3;
const LABEL_MAX = 80;

export interface DialogTurn {
  readonly tenantId: string;
  /** The customer's message (markup already removed). */
  readonly text: string;
  readonly understanding: Understanding;
  readonly catalogue: TenantCatalogue;
  readonly context: ConversationContext;
  readonly channel: Booking['channel'];
  readonly conversationId?: string;
  /** Who writes, as the channel vouches for it (AnswerInput.identity): whose bookings this chat may see and change. */
  readonly identity?: string;
}

/** What the dialog made of a turn. */
export type DialogOutcome =
  | {
      /** The dialog answered: the reply, and the state to keep. */
      readonly handled: true;
      readonly text: string;
      readonly quickReplies: readonly QuickReply[];
      readonly booking?: BookingDraft;
      readonly contact?: KnownContact;
      /** The reply offers a person (a "yes" next hands over). */
      readonly offersPerson?: boolean;
    }
  | {
      /** Not a booking turn (a question, small talk, a request for a person): the concierge answers; the draft is kept. */
      readonly handled: false;
      readonly booking?: BookingDraft;
      readonly contact?: KnownContact;
    };

const BOOKING_INTENTS: readonly Intent[] = ['book', 'reschedule', 'cancel', 'my_bookings'];

/** The intents that start (or switch) a booking conversation. */
export function isBookingIntent(intent: Intent): boolean {
  return BOOKING_INTENTS.includes(intent);
}

const modeOf = (intent: Intent): BookingDraft['mode'] | undefined =>
  intent === 'book' ? 'book' : intent === 'reschedule' ? 'reschedule' : intent === 'cancel' ? 'cancel' : intent === 'my_bookings' ? 'lookup' : undefined;

// ---- reading the customer's words -------------------------------------------------------------------

const ABANDON =
  /^\s*(?:oh\s+|ok\s+|no\s*,?\s*)?(?:cancel(?: that| the booking| it all)?|never ?mind|stop|forget (?:it|about it)|quit|abort|leave it|olv[ií]dalo|d[eé]jalo|p[aá]ra|cancelar|no importa|da igual|d[eé]jelo|olv[ií]delo)(?:\s*,?\s*(?:forget it|leave it|please|thanks|por favor|gracias|olv[ií]dalo|d[eé]jalo))*[\s.,!]*$/i;
const YES = /^\s*(?:y(?:es|eah|ep|up)|ok(?:ay)?|sure|confirm(?:ed)?|go ahead|book it|do it|please do|s[ií]|vale|claro|de acuerdo|perfecto|conf[ií]rm[ao]|adelante)\b/i;
const NO = /^\s*(?:no|nope|nah|not really|no gracias)\b/i;
/** A thumbs-up, OK hand or tick alone (any skin tone) says yes; a thumbs-down says no. */
const YES_EMOJI = /^[\s!.]*(?:(?:\u{1F44D}|\u{1F44C}|\u2705|\u2714|\u2611|\u{1F64C}|\u{1F197})[\u{1F3FB}-\u{1F3FF}\uFE0F]*[\s!.]*)+$/u;
const NO_EMOJI = /^[\s!.]*(?:\u{1F44E}[\u{1F3FB}-\u{1F3FF}\uFE0F]*[\s!.]*)+$/u;
const SLOT_VALUE = /^\s*slot:([a-z0-9][a-z0-9_-]{0,63}):(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{3})?)?Z)\s*$/;
const BOOKING_VALUE = /^\s*booking:([A-Za-z0-9_-]{1,64})\s*$/;
const ORDINALS: readonly [RegExp, number][] = [
  [/\b(?:first|1st|primer[oa]?)\b/i, 1],
  [/\b(?:second|2nd|segund[oa])\b/i, 2],
  [/\b(?:third|3rd|tercer[oa]?)\b/i, 3],
  [/\b(?:fourth|4th|cuart[oa])\b/i, 4],
  [/\b(?:fifth|5th|quint[oa])\b/i, 5],
  [/\b(?:sixth|6th|sext[oa])\b/i, 6],
];
const LAST = /\b(?:last|[uú]ltim[oa])\b/i;

/** "2", "#2", "option 2", "the second", "la segunda", "the last one": a position in a list of `count`. */
function position(text: string, count: number): number | undefined {
  const bare = /^\s*(?:#|no\.?|number|option|opci[oó]n|n[uú]mero|the|la|el)?\s*(\d)\s*(?:[.)]|one|please|por favor)?\s*[.!]?\s*$/i.exec(text);
  if (bare) {
    const n = Number(bare[1]);
    return n >= 1 && n <= count ? n : undefined;
  }
  if (text.split(/\s+/).length > 5) return undefined;
  if (LAST.test(text)) return count > 0 ? count : undefined;
  for (const [re, n] of ORDINALS) if (re.test(text)) return n <= count ? n : undefined;
  return undefined;
}

/** "my name is Ana" always introduces a name; "I'm Ana" / "soy Ana" only when a name is expected or comes with a phone or e-mail ("I'm looking for…"). */
const STRONG_NAME_CUE = /\b(?:my name is|my name's|name:|me llamo|mi nombre es|nombre:)\s*([\p{L}'’-]+(?:\s+[\p{L}'’-]+){0,3})/iu;
const WEAK_NAME_CUE = /\b(?:i am|i'm|this is|it's|soy)\s+([\p{L}'’-]+(?:\s+[\p{L}'’-]+){0,3})/iu;
const NOT_NAME = new Set([
  'and', 'y', 'my', 'mi', 'phone', 'number', 'mobile', 'email', 'e-mail', 'mail', 'tel', 'teléfono', 'telefono', 'móvil', 'movil', 'correo',
  'here', 'on', 'at', 'with', 'con', 'por', 'please', 'thanks', 'gracias', 'favor', 'is', 'es', 'name', 'nombre',
]);
const NOT_A_NAME_REPLY = /^(?:yes|no|ok|okay|sure|thanks|thank you|hi|hello|s[ií]|vale|gracias|hola|stop|cancel)$/i;

/** The words of a name: up to four, stopping at the first that is not part of one. */
function nameWords(raw: string): string | undefined {
  const out: string[] = [];
  for (const w of raw.split(/\s+/)) {
    if (!w || NOT_NAME.has(w.toLowerCase()) || !/^[\p{L}'’-]+$/u.test(w)) break;
    out.push(w);
    if (out.length === 4) break;
  }
  const name = out.join(' ').trim();
  return name.length >= 2 && !NOT_A_NAME_REPLY.test(name) ? name.slice(0, 120) : undefined;
}

/**
 * Contact details in a message: "I'm Ana, 600 123 456", "Ana Lopez 087 123 4567", "ana@example.com". A bare
 * name ("Ana López") counts only when a name was asked for (`expectingName`) or comes with a phone/e-mail.
 */
export function contactIn(text: string, understood: Understanding['contact'], expectingName: boolean): KnownContact {
  const phone = understood.phone && understood.phone.replace(/\D/g, '').length <= 15 ? understood.phone : undefined;
  const email = understood.email && understood.email.length <= 254 ? understood.email : undefined;
  const cue = STRONG_NAME_CUE.exec(text) ?? (expectingName || phone || email ? WEAK_NAME_CUE.exec(text) : null);
  let name = cue?.[1] ? nameWords(cue[1]) : undefined;
  // "do you take insurance?", "¿tienen aparcamiento?": a question asked while the name is awaited is no name.
  if (!name && (expectingName || phone || email) && !(phone || email ? false : looksLikeQuestion(text))) {
    // "Grace Ryan, grace@example.com", "Hugh Nolan 086 111 2222", "ana lopez" (when asked): a part of the message
    // that is nothing but one to four words of letters (capitalised, unless a name was asked for).
    const parts = text
      .replace(/[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, ',')
      .replace(/(?:\+|00)?\d[\d\s().-]{5,}\d/g, ',')
      .split(/[,;:.!¡¿?\n]/)
      .map((p) => p.trim().split(/\s+/).filter(Boolean))
      .filter((ws) => ws.length >= 1 && ws.length <= 4 && ws.every((w) => /^[\p{L}'’-]+$/u.test(w) && (expectingName || /^\p{Lu}/u.test(w))));
    const last = parts[parts.length - 1];
    if (last) name = nameWords(last.join(' '));
  }
  return { ...(name ? { name } : {}), ...(phone ? { phone } : {}), ...(email ? { email } : {}) };
}

// ---- formatting ------------------------------------------------------------------------------------------

const pad = (n: number): string => String(n).padStart(2, '0');

function addMinutes(hhmm: string, minutes: number): string {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  const total = Math.min(23 * 60 + 59, Math.max(0, h * 60 + m + minutes));
  return `${pad(Math.floor(total / 60))}:${pad(total % 60)}`;
}

/** The local day after YYYY-MM-DD. */
function nextDay(date: string): string {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** The local date and time of an instant in the business's zone. */
function localOf(iso: string, timezone: string): { date: string; time: string } {
  const w = wallClock(new Date(iso), timezone);
  return { date: `${w.year}-${pad(w.month)}-${pad(w.day)}`, time: `${pad(w.hour)}:${pad(w.minute)}` };
}

/** "Thu 10 Dec, 15:00" / "jue, 10 dic, 15:00", in the business's time zone. */
export function formatSlotTime(iso: string, timezone: string, lang: ReplyLanguage): string {
  return new Intl.DateTimeFormat(dialogText(lang).locale, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: timezone })
    .format(new Date(iso))
    .replace(/[\u00a0\u202f]/g, ' ');
}

function formatDay(date: string, lang: ReplyLanguage): string {
  return new Intl.DateTimeFormat(dialogText(lang).locale, { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).format(new Date(`${date}T12:00:00Z`));
}

/** The quick-reply text that picks a slot exactly (`slot:<staffId>:<start to the minute>`). */
export function slotValue(slot: Pick<Slot, 'staffId' | 'start'>): string {
  return `slot:${slot.staffId}:${new Date(slot.start).toISOString().slice(0, 16)}Z`;
}

const label = (text: string): string => (text.length <= LABEL_MAX ? text : `${text.slice(0, LABEL_MAX - 1)}…`);

// ---- the dialog ----------------------------------------------------------------------------------------

/** Everything one turn needs, read once. */
class Turn {
  readonly s: ReturnType<typeof dialogText>;
  readonly lang: ReplyLanguage;
  readonly timezone: string;
  private settingsRead: Promise<BookingSettings> | undefined;

  constructor(
    readonly deps: BookingDeps,
    readonly turn: DialogTurn,
    /** The customer's contact details known so far (earlier turns and this one). */
    public contact: KnownContact,
  ) {
    this.lang = turn.understanding.lang;
    this.s = dialogText(this.lang);
    this.timezone = turn.catalogue.business.timezone;
  }

  get now(): Date {
    return this.deps.clock.now();
  }

  settings(): Promise<BookingSettings> {
    if (!this.settingsRead) this.settingsRead = bookingSettingsOf(this.deps, this.turn.tenantId);
    return this.settingsRead;
  }

  service(id: string | undefined): Service | undefined {
    return this.turn.catalogue.services.find((sv) => sv.id === id);
  }

  staff(id: string | undefined): StaffMember | undefined {
    return this.turn.catalogue.staff.find((m) => m.id === id);
  }

  /** The service's name in the reply language (its id when the catalogue no longer has it). */
  serviceName(id: string): string {
    const service = this.service(id);
    return service ? serviceNameIn(service, this.lang) : id;
  }

  when(iso: string): string {
    return formatSlotTime(iso, this.timezone, this.lang);
  }

  money(cents: number, currency: string): string {
    return formatMoney(cents, currency, this.s.locale);
  }

  /** A service's price: "€80", or "free" for one that costs nothing. */
  price(cents: number, currency: string): string {
    return formatPrice(cents, currency, this.s.locale);
  }

  /**
   * "Check-up & clean with Marta Ruiz, Thu 10 Dec, 15:00 (45 minutes), €80."; with the party when one was said:
   * "Dinner table for 4 with Main dining room, …" / "Mesa para cenar para 4 personas con …".
   */
  summary(slot: Pick<Slot, 'serviceId' | 'staffId' | 'start'>, partySize?: number): string {
    const service = this.service(slot.serviceId);
    const staff = this.staff(slot.staffId);
    const name = partySize !== undefined ? this.s.forParty(this.serviceName(slot.serviceId), partySize) : this.serviceName(slot.serviceId);
    return this.s.summary(name, staff?.name ?? slot.staffId, this.when(slot.start), service?.durationMinutes ?? 0, service ? this.price(service.priceCents, service.currency) : '');
  }

  bookingLine(b: Booking): string {
    const status = b.status === 'awaiting_payment' ? this.s.awaitingPayment : b.status === 'held' ? this.s.held : '';
    return this.s.bookingLine(this.serviceFor(b), this.when(b.start), this.staff(b.staffId)?.name ?? b.staffId, status);
  }

  shortBooking(b: Booking): string {
    return `${this.serviceFor(b)}, ${this.when(b.start)}`;
  }

  /** "Dinner table for 4" when the booking says how many people, else the service's name. */
  serviceFor(b: Pick<Booking, 'serviceId' | 'partySize'>): string {
    return b.partySize !== undefined ? this.s.forParty(this.serviceName(b.serviceId), b.partySize) : this.serviceName(b.serviceId);
  }

  reply(text: readonly (string | undefined)[], quickReplies: readonly QuickReply[], booking: BookingDraft | undefined, extra: { offersPerson?: boolean } = {}): DialogOutcome {
    return {
      handled: true,
      text: text.filter((t): t is string => t !== undefined && t.length > 0).join('\n'),
      quickReplies: quickReplies.slice(0, 6),
      ...(booking ? { booking } : {}),
      ...(Object.keys(this.contact).length > 0 ? { contact: this.contact } : {}),
      ...(extra.offersPerson ? { offersPerson: true } : {}),
    };
  }

  personReplies(): QuickReply[] {
    return [
      { label: this.s.yes, text: this.s.talkToPersonText },
      { label: this.s.noThanks, text: this.s.noThanks },
    ];
  }

  /** Phone or e-mail known: bookings may be looked up. */
  reachable(): boolean {
    return this.contact.phone !== undefined || this.contact.email !== undefined;
  }

  /**
   * The customer's active upcoming bookings, found by the phone and the e-mail they gave (each is a key of its
   * own) and by the phone their channel verified, and kept only when this chat may see them (`mayManage`).
   */
  async upcoming(): Promise<Booking[]> {
    const verified = this.turn.identity ? verifiedPhoneOf(this.turn.identity) : undefined;
    const keys = [
      ...new Set(
        [
          this.contact.phone ? customerKeyOf({ phone: this.contact.phone }) : undefined,
          this.contact.email ? customerKeyOf({ email: this.contact.email }) : undefined,
          verified ? customerKeyOf({ phone: verified }) : undefined,
        ].filter((k): k is string => k !== undefined),
      ),
    ];
    const lists = await Promise.all(keys.map((k) => upcomingBookings(this.deps, this.turn.tenantId, k)));
    const byId = new Map(lists.flat().map((b) => [b.bookingId, b] as const));
    const found = [...byId.values()];
    // Bookings made in one conversation need one read of it.
    const identities = new Map<string, Promise<string | undefined>>();
    const identityOf = (conversationId: string): Promise<string | undefined> => {
      let identity = identities.get(conversationId);
      if (!identity) {
        identity = this.conversationIdentityOf(conversationId);
        identities.set(conversationId, identity);
      }
      return identity;
    };
    const allowed = await Promise.all(found.map((b) => this.mayManage(b, verified, identityOf)));
    return found.filter((_, i) => allowed[i]).sort((a, b) => a.start.localeCompare(b.start));
  }

  /**
   * Whether this chat may see and change a booking. Anyone can type someone else's phone number or e-mail, so
   * the details given find bookings but do not prove whose they are: the booking must have been made in this
   * conversation, or in another conversation of the same identity (the same widget visitor, WhatsApp number or
   * Messenger user), or be under the phone number a phone channel verified. Others stay with the business
   * (a call, or a person in the chat).
   */
  private async mayManage(b: Booking, verified: string | undefined, identityOf: (conversationId: string) => Promise<string | undefined>): Promise<boolean> {
    if (verified && b.customerKey === customerKeyOf({ phone: verified })) return true;
    if (!b.conversationId) return false;
    if (b.conversationId === this.turn.conversationId) return true;
    if (!this.turn.identity) return false;
    return (await identityOf(b.conversationId)) === this.turn.identity;
  }

  /** Who wrote in a conversation (undefined when it cannot be read here). */
  private async conversationIdentityOf(conversationId: string): Promise<string | undefined> {
    const made = await this.deps.conversations?.getConversation(this.turn.tenantId, conversationId);
    return made ? conversationIdentity(made) : undefined;
  }
}

/** Runs one turn of the booking conversation (or declines it: `handled: false`). */
export async function bookingTurn(deps: BookingDeps, turn: DialogTurn): Promise<DialogOutcome> {
  const draft = turn.context.booking;
  const u = turn.understanding;
  const text = turn.text.trim();
  const expectingName = draft?.step === 'contact' && draft.mode === 'book' && draft.name === undefined && turn.context.contact?.name === undefined;
  // A clicked quick reply is a value, not words: its digits are no phone number.
  const machine = SLOT_VALUE.test(text) || BOOKING_VALUE.test(text) || (draft?.step === 'pick' && isOfferedLabel(deps, turn, draft, text));
  const written = machine ? {} : contactIn(text, u.contact, expectingName);
  // "087 555 0101" at a Dublin clinic: the +353 number a text or WhatsApp message comes from (core/phone.ts).
  const said = contactInCountry(written, turn.catalogue.business);
  const contact: KnownContact = { ...turn.context.contact, ...said };
  const t = new Turn(deps, turn, contact);
  const keepDraft = (d: BookingDraft | undefined): DialogOutcome => ({ handled: false, ...(d ? { booking: d } : {}), ...(Object.keys(contact).length > 0 ? { contact } : {}) });

  if (!draft) {
    const mode = modeOf(u.intent) ?? (asksForSlot(text, u) ? 'book' : undefined);
    if (!mode) return keepDraft(undefined);
    return advance(t, withEntities(t, { mode, step: 'service' }));
  }

  let d: BookingDraft = stripPaused(draft);
  // "For 4 please", "somos 5", "actually we are 6": the party, said in a later message, changes the draft and is kept.
  const party = d.mode === 'book' && !machine ? partySizeIn(withoutNames(turn.catalogue, text), { alone: true }) : undefined;
  if (party !== undefined && party !== d.partySize) {
    d = { ...d, partySize: party };
    // Asked "Shall I book it?": the question again, with the new party (never a yes read into it).
    if (d.step === 'confirm' || (!hasEntities(u) && !said.name && !said.phone && !said.email)) return advance(t, d);
  }
  const confirmingCancel = d.mode === 'cancel' && d.step === 'confirm';
  if (ABANDON.test(text) && !confirmingCancel) return t.reply([t.s.abandoned], [], undefined);
  // "Actually any stylist is fine", "con quien esté libre": the staff preference goes, the rest of the draft stays.
  if ((d.mode === 'book' || d.mode === 'reschedule') && d.staffId !== undefined && u.staff === undefined && ANY_STAFF.test(text)) {
    const { staffId: _anyone, chosen: _c, offered: _o, ...rest } = d;
    return advance(t, withEntities(t, { ...rest, step: d.mode === 'book' && rest.serviceId ? 'pick' : rest.step === 'confirm' ? 'pick' : rest.step }));
  }
  if (u.intent === 'human' || u.intent === 'complaint') return keepDraft(undefined);
  // "yes" to the person this dialog offered (no booking found, too late to change): the concierge hands over.
  if (turn.context.pendingOffer === 'handoff' && YES.test(text) && d.step === 'contact') return keepDraft(undefined);
  if (draft.paused) {
    if (turn.context.pendingOffer === 'handoff' && (u.intent === 'affirm' || YES.test(text))) return keepDraft(d);
    if (NO.test(text) && !hasEntities(u)) return t.reply([t.s.abandoned], [], undefined);
    if (u.intent === 'affirm' || YES.test(text)) return advance(t, d);
  }

  // The answer to the question last asked.
  const answered = await answerStep(t, d, text);
  if (answered) return answered;

  // New details change the draft ("actually make it Friday", "with Dr X instead", "no, a whitening").
  const mode = modeOf(u.intent);
  if (mode && mode !== d.mode && !(d.mode === 'reschedule' && mode === 'book')) return advance(t, withEntities(t, { mode, step: 'service' }));
  if ((d.mode === 'book' || d.mode === 'reschedule') && hasEntities(u)) {
    const changed = withEntities(t, d);
    return advance(t, { ...changed, chosen: undefined, offered: undefined });
  }
  if (mode) return advance(t, d);
  if (u.intent === 'deny' || NO.test(text)) return t.reply([d.mode === 'book' ? t.s.abandoned : t.s.keptIt], [], undefined);
  if (u.intent === 'affirm') return advance(t, d);
  if (said.phone || said.email || said.name) return advance(t, d);
  // A look-up, cancellation or change still waiting for the contact is not worth resuming after something else.
  return keepDraft(d.step === 'contact' && d.mode !== 'book' ? undefined : d);
}

/** No preference for who does it: "any stylist", "anyone is fine", "whoever is free", "con quien sea", "me da igual quién". */
const ANY_STAFF =
  /\b(?:any (?:stylist|therapist|barber|hairdresser|colou?rist|beautician|dentist|doctor|hygienist|member of (?:the )?(?:staff|team)|of them|one|body)|any(?:one|body)(?:'s| is| will| would)? (?:fine|ok|okay|do|good)|whoever(?:'s| is)? (?:free|available)|no preference|(?:don'?t|do not) mind who|(?:doesn'?t|does not) matter who|cualquier (?:estilista|peluquer[oa]|terapeuta|barbero|persona|profesional)|cualquiera (?:me )?(?:vale|sirve|est[aá] bien)|(?:con )?quien (?:sea|est[eé] libre)|me da igual (?:con )?qui[eé]n|sin preferencia)\b/i;

/**
 * Words that ask for a time: "can I get / have / come…", "are you free", "any availability", "¿puedo reservar…?", "¿tienen
 * hueco…?". Not "can I" alone ("can I bring my dog for dinner?", "can I pay by card tonight?"), nor "free" or "libre" of
 * something ("gluten free options for lunch", "free of charge", "libre de gluten"): a question about the meal, not a table.
 */
const AVAILABILITY = new RegExp(
  String.raw`(?<![\p{L}])(?:(?:can|could|may) (?:i|we) (?:book|get|have|make|reserve|come|pop|grab|see|squeeze|fit)|(?:can|could) you (?:fit|squeeze|book|see|take|get|do)|book|appointment|slot|` +
    String.raw`(?<!(?:gluten|dairy|sugar|nut|lactose|alcohol|meat|egg|wheat|soy|fat|caffeine|smoke|scent|fragrance|cruelty|ammonia|peanut|duty|tax|fee|charge|hands)[- ])free(?! of)|` +
    String.raw`availab\p{L}*|come in|fit me|see (?:dr|doctor)|cita|reserv\p{L}*|hueco|libre(?! de)|disponib\p{L}*|` +
    String.raw`(?:puedo|podemos|podr[ií]a|podr[ií]amos) (?:reservar|pedir|ir|venir|tener|coger|conseguir|hacer|pasar)|(?:pueden|podr[ií]an|puede) (?:atender|darme|darnos|hacerme|reservar|verme|vernos|recibirme|ponerme|meterme|cogerme))(?![\p{L}])`,
  'iu',
);

/**
 * "Can Marta do my whitening on Friday?": classified as a question, but it names a service and a day or time and asks
 * for it. So does a request that is no question at all, only the service and the time: "Dinner table for 4 tonight",
 * "Balayage Saturday at 11" (a restaurant's or a salon's customers name what they want, not "book" or "appointment").
 */
function asksForSlot(text: string, u: Understanding): boolean {
  if (u.intent !== 'question' && u.intent !== 'out_of_scope') return false;
  const timed = u.when !== undefined && (u.when.date !== undefined || u.when.start !== undefined);
  return u.service !== undefined && timed && (u.staff !== undefined || AVAILABILITY.test(text) || !looksLikeQuestion(text));
}

/**
 * The message without those of the business's own names of services and staff that read as a party: a service called
 * "Table for 2", a room called "Table for 6" (in a clicked quick reply, too) says nothing about how many people the
 * customer is.
 */
function withoutNames(catalogue: TenantCatalogue, text: string): string {
  const names = [...catalogue.services.flatMap((s) => [s.name, ...Object.values(s.names ?? {})]), ...catalogue.staff.map((m) => m.name)]
    .filter((n): n is string => typeof n === 'string' && partySizeIn(n) !== undefined)
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const name of names) out = out.replace(new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), ' ');
  return out;
}

/** "yesterday" / "ayer": the date parser reads past days forward (a week on); a past day must stay past to be refused honestly. */
function pastDay(text: string, now: Date, timezone: string): string | undefined {
  const back = /\b(?:the day before yesterday|anteayer|antes de ayer)\b/i.test(text) ? 2 : /\b(?:yesterday|ayer)\b/i.test(text) ? 1 : 0;
  if (back === 0) return undefined;
  const today = wallClock(now, timezone);
  const d = new Date(Date.UTC(today.year, today.month - 1, today.day - back));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/**
 * Today's weekday named alone ("mejor el viernes", "Friday would be better", asked on a Friday; parseWhen's
 * `weekdayAlone`) while a later day is being discussed: the customer means next week's, as they would say "today" /
 * "hoy" for today. Read alone, such a weekday is today (parseWhen).
 */
function weekdayAfterToday(t: Turn, d: BookingDraft, when: WhenEntity): string | undefined {
  const today = localOf(t.now.toISOString(), t.timezone).date;
  if (when.date !== today || !when.weekdayAlone) return undefined;
  const discussed = d.date ?? (d.offered?.[0] ? localOf(d.offered[0].start, t.timezone).date : undefined);
  if (discussed === undefined || discussed <= today) return undefined;
  return addDays(today, 7);
}

function stripPaused(d: BookingDraft): BookingDraft {
  const { paused: _paused, ...rest } = d;
  return rest;
}

function hasEntities(u: Understanding): boolean {
  return u.service !== undefined || u.staff !== undefined || (u.when !== undefined && (u.when.date !== undefined || u.when.start !== undefined));
}

/** The window asked for: "after 2" → 14:00–close; "at 3" → 15:00–16:00; "around 3" → 14:00–16:00. */
function windowOf(when: WhenEntity): { after?: string; before?: string } {
  if (when.start === undefined) return {};
  if (when.end !== undefined) return { after: when.start, before: when.end };
  if (when.approximate) return { after: addMinutes(when.start, -60), before: addMinutes(when.start, 60) };
  return { after: when.start, before: addMinutes(when.start, 60) };
}

/** The draft with what this message names: service, staff, day and time. */
function withEntities(t: Turn, d: BookingDraft): BookingDraft {
  const u = t.turn.understanding;
  let next: BookingDraft = { ...d };
  if (u.service && next.mode === 'book') next = { ...next, serviceId: u.service.id };
  if (u.staff) next = { ...next, staffId: u.staff.id };
  else if (u.service && next.staffId && !t.staff(next.staffId)?.serviceIds.includes(u.service.id)) {
    const { staffId: _dropped, ...rest } = next;
    next = rest;
  }
  const when = u.when;
  if (when) {
    const date = when.date ? (pastDay(t.turn.text, t.now, t.timezone) ?? weekdayAfterToday(t, d, when) ?? when.date) : undefined;
    if (date) {
      const { week: _week, ...rest } = next;
      next = when.week ? { ...rest, date, week: true } : { ...rest, date };
    }
    if (when.start !== undefined) {
      const { after: _a, before: _b, ...rest } = next;
      next = { ...rest, ...windowOf(when) };
    }
  }
  // "A table for 6 at 7", "at 3pm": a time without a day is today's when it is still ahead, else tomorrow's (a time
  // with no day was searched from now on, whatever the hour asked). A move's own day is the booking's (change()).
  if (next.mode === 'book' && next.date === undefined && when?.start !== undefined && when.date === undefined) {
    const now = localOf(t.now.toISOString(), t.timezone);
    next = { ...next, date: when.start > now.time ? now.date : nextDay(now.date) };
  }
  // "A table for 4", "somos 5": how many people it is for (a bare "for 4" only as a message of its own, bookingTurn).
  const party = next.mode === 'book' ? partySizeIn(withoutNames(t.turn.catalogue, t.turn.text)) : undefined;
  if (party !== undefined) next = { ...next, partySize: party };
  if (next.mode === 'book' && !next.serviceId && next.staffId) {
    const only = t.staff(next.staffId)?.serviceIds;
    if (only && only.length === 1) next = { ...next, serviceId: only[0] };
  }
  return next;
}

/** Reads the message as the answer to the step's question; undefined when it is not one. */
async function answerStep(t: Turn, d: BookingDraft, text: string): Promise<DialogOutcome | undefined> {
  const u = t.turn.understanding;
  switch (d.step) {
    case 'service': {
      if (d.mode !== 'book') return undefined;
      const services = t.turn.catalogue.services;
      const n = u.service ? undefined : position(text, Math.min(services.length, 6));
      const service = u.service ? t.service(u.service.id) : n ? services[n - 1] : undefined;
      if (!service) return undefined;
      return advance(t, withEntities(t, { ...d, serviceId: service.id }));
    }
    case 'pick': {
      const slot = pickSlot(t, d, text);
      if (!slot) return otherSlots(t, d, text);
      return advance(t, { ...d, chosen: slot, offered: undefined, step: d.mode === 'book' ? 'contact' : 'confirm' });
    }
    case 'contact': {
      if (d.mode === 'book' && t.contact.name && t.reachable()) return advance(t, d);
      if (d.mode !== 'book' && t.reachable()) return advance(t, d);
      const said = contactIn(text, u.contact, d.mode === 'book' && !t.contact.name);
      if (said.name || said.phone || said.email) return advance(t, d);
      return undefined;
    }
    case 'choose_booking': {
      const choices = d.choices ?? [];
      const value = BOOKING_VALUE.exec(text)?.[1];
      let chosen = value && choices.includes(value) ? value : undefined;
      if (!chosen) chosen = (await t.upcoming()).find((b) => choices.includes(b.bookingId) && sameWords(label(t.shortBooking(b)), text))?.bookingId;
      const n = chosen ? undefined : position(text, choices.length);
      if (n) chosen = choices[n - 1];
      if (!chosen && u.when?.date) {
        const mine = (await t.upcoming()).filter((b) => choices.includes(b.bookingId) && localOf(b.start, t.timezone).date === u.when?.date);
        if (mine.length === 1) chosen = mine[0]?.bookingId;
      }
      if (!chosen) return undefined;
      const { choices: _c, ...rest } = d;
      // "move my Thursday one to Friday": the rest of the message is the new time.
      return advance(t, { ...rest, targetBookingId: chosen, step: 'confirm' });
    }
    case 'confirm': {
      if (hasEntities(u) && d.mode !== 'cancel') return undefined; // a change of mind: handled by the caller
      const yes =
        u.intent === 'affirm' || YES.test(text) || YES_EMOJI.test(text) || (d.mode === 'cancel' && /^\s*(?:cancel(?: it)?|canc[eé]l(?:a|ela)|anular|an[uú]lala)\b/i.test(text));
      if (yes) return commit(t, d);
      if (u.intent === 'deny' || NO.test(text) || NO_EMOJI.test(text)) return t.reply([d.mode === 'book' ? t.s.abandoned : t.s.keptIt], [], undefined);
      // "thanks" / "gracias" to "Shall I book it?" is no answer yet: the question again (nothing booked behind their back).
      if (u.intent === 'thanks' && d.mode === 'book') {
        return t.reply([t.s.welcomeShallIBook], [{ label: t.s.yesBook, text: t.s.yesBookText }, { label: t.s.no, text: t.s.no }], d);
      }
      // Nothing in words (another emoji, punctuation): no answer either, and nothing the knowledge base could answer.
      if (d.mode === 'book' && !/[\p{L}\p{N}]/u.test(text)) {
        return t.reply([t.s.shallIBook], [{ label: t.s.yesBook, text: t.s.yesBookText }, { label: t.s.no, text: t.s.no }], d);
      }
      return undefined;
    }
  }
}

const NONE_OF_THOSE =
  /^\s*(?:(?:no|nope|nah)[\s,.!]*)?(?:none(?: of (?:those|them|these))?(?: (?:suit|work)s?(?: me)?)?|neither(?: of (?:those|them))?|not (?:those|any of (?:those|them))|they don'?t suit(?: me)?|ningun[oa](?: de (?:esas|esos|ellas|ellos))?(?: me (?:va|viene) bien)?|no me (?:va|viene)n? bien(?: ningun[oa])?)?[\s.!]*$/i;
const LATER = /\b(?:later|after that|más tarde|mas tarde|m[aá]s adelante)\b/i;
const EARLIER = /\b(?:earlier|sooner|más temprano|mas temprano|más pronto|mas pronto|antes)\b/i;

/**
 * Not a pick: "later" / "más tarde" and "earlier" move the times offered; "no" / "none of those" / "ninguna" keep
 * the draft and ask for another day or time (a receptionist does not hang up on "none of those suit me").
 */
async function otherSlots(t: Turn, d: BookingDraft, text: string): Promise<DialogOutcome | undefined> {
  const u = t.turn.understanding;
  if (hasEntities(u)) return undefined;
  const offered = d.offered ?? [];
  const first = offered[0];
  const last = offered[offered.length - 1];
  const { after: _a, before: _b, chosen: _c, ...rest } = d;
  const shifted = async (next: BookingDraft, day: string, none: (day: string) => string, otherwise: BookingDraft): Promise<DialogOutcome> => {
    const service = t.service(next.serviceId);
    if (!service) return offer(t, next);
    const found = await findSlots(t.deps, t.turn.tenantId, slotRequestOf(next, service.id));
    // Nothing left that side of the day: said so (not "closed"), and the next times offered instead.
    if (found.slots.length > 0) return offer(t, next, [], found);
    return offer(t, otherwise, [none(t.s.onDay(formatDay(day, t.lang)))]);
  };
  if (last && LATER.test(text) && !EARLIER.test(text)) {
    const at = localOf(last.start, t.timezone);
    const { date: _d, ...undated } = rest;
    return shifted({ ...rest, date: at.date, after: addMinutes(at.time, 1) }, at.date, t.s.nothingLater, { ...undated, date: nextDay(at.date) });
  }
  if (first && EARLIER.test(text) && !LATER.test(text)) {
    const at = localOf(first.start, t.timezone);
    const { date: _d, ...undated } = rest;
    return shifted({ ...rest, date: at.date, before: at.time }, at.date, t.s.nothingEarlier, undated);
  }
  if (NONE_OF_THOSE.test(text) && /\S/.test(text) && !/^\s*no\s*,?\s*(?:thanks|thank you|gracias)\b/i.test(text)) {
    return t.reply([t.s.otherTime], [], { ...d, step: 'pick' });
  }
  return undefined;
}

/** The slot the customer picked from those offered: exact quick reply, position, or time ("the 3pm one", "Thursday at 3"). */
function pickSlot(t: Turn, d: BookingDraft, text: string): Slot | undefined {
  const offered = d.offered ?? [];
  const exact = SLOT_VALUE.exec(text);
  if (exact) {
    const [, staffId, start] = exact;
    const at = Date.parse(start ?? '');
    const hit = offered.find((s) => s.staffId === staffId && Date.parse(s.start) === at);
    if (hit) return hit;
    // An older message's quick reply: still a well-formed slot; bookSlot re-checks it.
    const serviceId = d.serviceId;
    const service = t.service(serviceId);
    if (!service || !staffId || Number.isNaN(at) || !t.staff(staffId)?.serviceIds.includes(service.id)) return undefined;
    return { serviceId: service.id, staffId, start: new Date(at).toISOString(), end: new Date(at + service.durationMinutes * 60_000).toISOString() };
  }
  if (offered.length === 0) return undefined;
  const clicked = clickedSlot(t, offered, text);
  if (clicked) return clicked;
  const n = position(text, offered.length);
  if (n) return offered[n - 1];
  const when = t.turn.understanding.when;
  if (!when) return undefined;
  const matches = offered.filter((s) => {
    const local = localOf(s.start, t.timezone);
    if (when.date && local.date !== when.date && !isRelativeToday(text)) return false;
    if (when.start !== undefined && local.time !== when.start) return false;
    return when.start !== undefined || when.date !== undefined;
  });
  const staffId = t.turn.understanding.staff?.id;
  const narrowed = staffId ? matches.filter((s) => s.staffId === staffId) : matches;
  return narrowed.length >= 1 && (narrowed.length === 1 || when.start !== undefined) ? narrowed[0] : undefined;
}

/** chrono reads "one" / "the 3pm one" without a day as today: only a real day name counts as a date. */
function isRelativeToday(text: string): boolean {
  return !/\b(?:mon|tue|wed|thu|fri|sat|sun|lun|mar|mi[eé]|jue|vie|s[aá]b|dom|today|tomorrow|hoy|ma[nñ]ana|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?[a-z]{3,})/i.test(text);
}

/** Moves the draft on to its next question (or does what it is for). */
async function advance(t: Turn, d: BookingDraft): Promise<DialogOutcome> {
  switch (d.mode) {
    case 'lookup':
      return lookup(t, d);
    case 'cancel':
    case 'reschedule':
      return change(t, d);
    case 'book':
      break;
  }
  if (!d.serviceId || !t.service(d.serviceId)) return askService(t, { ...d, step: 'service' });
  const tooLarge = groupTooLarge(t, d);
  if (tooLarge) return tooLarge;
  if (!d.chosen) return offer(t, d);
  if (!t.contact.name || !t.reachable()) {
    const text = !t.contact.name && !t.reachable() ? t.s.askContact : !t.contact.name ? t.s.askName : t.s.askPhone(t.contact.name);
    return t.reply([text], [], { ...d, step: 'contact' });
  }
  return confirmBooking(t, { ...d, step: 'confirm' });
}

/**
 * A party bigger than the service takes online (`maxPartySize`, else PARTY_SIZE_MAX): said plainly, and a person
 * offered (a "yes" hands over), instead of a booking. The draft goes: a person arranges the group.
 */
function groupTooLarge(t: Turn, d: BookingDraft): DialogOutcome | undefined {
  const service = t.service(d.serviceId);
  if (!service || d.partySize === undefined) return undefined;
  const max = service.maxPartySize ?? PARTY_SIZE_MAX;
  if (d.partySize <= max) return undefined;
  return t.reply([t.s.groupTooLarge(max, serviceNameIn(service, t.lang))], t.personReplies(), undefined, { offersPerson: true });
}

function askService(t: Turn, d: BookingDraft): DialogOutcome {
  const services = t.turn.catalogue.services;
  const phone = t.turn.catalogue.business.phone;
  const lines = services.slice(0, 8).map((sv) => `- ${t.s.serviceLine(serviceNameIn(sv, t.lang), t.price(sv.priceCents, sv.currency), sv.durationMinutes)}`);
  return t.reply([t.s.whichService, ...lines, t.s.orCall(phone)], services.slice(0, 6).map((sv) => ({ label: label(serviceNameIn(sv, t.lang)), text: serviceNameIn(sv, t.lang) })), d);
}

/** What a slot's quick reply shows and, when clicked, sends: words a person can read in the history and on SMS. */
function slotLabel(t: Turn, slot: Slot): string {
  return label(`${t.when(slot.start)} · ${t.staff(slot.staffId)?.name ?? slot.staffId}`);
}

function slotReplies(t: Turn, slots: readonly Slot[]): QuickReply[] {
  return slots.map((slot) => ({ label: slotLabel(t, slot), text: slotLabel(t, slot) }));
}

const sameWords = (a: string, b: string): boolean => a.normalize('NFC').trim().toLowerCase() === b.normalize('NFC').trim().toLowerCase();

/** The offered slot whose quick-reply label (in either reply language: the click may read as another language) is `text`. */
function clickedSlot(t: Turn, offered: readonly Slot[], text: string): Slot | undefined {
  for (const lang of ['en', 'es'] as const) {
    const as = lang === t.lang ? t : new Turn(t.deps, { ...t.turn, understanding: { ...t.turn.understanding, lang } }, t.contact);
    const hit = offered.find((slot) => sameWords(slotLabel(as, slot), text));
    if (hit) return hit;
  }
  return undefined;
}

function isOfferedLabel(deps: BookingDeps, turn: DialogTurn, draft: BookingDraft, text: string): boolean {
  return clickedSlot(new Turn(deps, turn, turn.context.contact ?? {}), draft.offered ?? [], text) !== undefined;
}

function slotLines(t: Turn, slots: readonly Slot[]): string[] {
  return slots.map((slot, i) => t.s.slotLine(i + 1, t.when(slot.start), t.staff(slot.staffId)?.name ?? slot.staffId));
}

/** `openThatDay`: the asked day has free times outside the hours asked for (the alternatives are on it). */
async function problemText(t: Turn, d: BookingDraft, problem: SlotProblem, openThatDay = false): Promise<string> {
  const s = t.s;
  switch (problem) {
    case 'unknown_service':
      return s.problem.unknown_service;
    case 'unknown_staff':
      return s.problem.unknown_staff;
    case 'staff_does_not_do_service':
      return s.problem.staff_does_not_do_service(t.staff(d.staffId)?.name ?? '', d.serviceId ? t.serviceName(d.serviceId) : '');
    case 'past':
      return s.problem.past;
    case 'closed': {
      const day = d.date ? s.onDay(formatDay(d.date, t.lang)) : s.closedThen;
      // "Balayage (3 hours) on Saturday at 6pm", open till 20:00: open then, but the service would end after closing.
      const close = openThatDay ? closingBefore(t, d) : undefined;
      const service = t.service(d.serviceId);
      if (close !== undefined && service) return s.problem.endsAfterClose(serviceNameIn(service, t.lang), service.durationMinutes, day, close);
      // "Monday at 7am" on a Monday that opens at 8:30: closed at that time, not all day.
      return s.problem.closed(openThatDay && d.date ? s.atThatTime(day) : day);
    }
    case 'beyond_horizon':
      return s.problem.beyond_horizon((await t.settings()).maxDaysAhead);
    case 'fully_booked': {
      const day = d.date ? s.onDay(formatDay(d.date, t.lang)) : s.closedThen;
      // Only the hours asked for are taken ("next Friday at 11"): the day itself may well have room.
      return s.problem.fully_booked((d.after || d.before) && d.date ? s.atThatTime(day) : day);
    }
  }
}

/**
 * The closing time ("20:00") of the opening period the asked start falls in, when the business is open then but the
 * service would end after it: a service longer than what is left of the period, not a closed business.
 */
function closingBefore(t: Turn, d: BookingDraft): string | undefined {
  const service = t.service(d.serviceId);
  if (!service || !d.date || !d.after) return undefined;
  const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const weekday = (['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const)[new Date(`${d.date}T12:00:00Z`).getUTCDay()];
  const start = minutes(d.after);
  const period = t.turn.catalogue.hours.find((h) => h.day === weekday && minutes(h.open) <= start && start < (h.close === '23:59' ? 24 * 60 : minutes(h.close)));
  if (!period) return undefined;
  return start + service.durationMinutes > (period.close === '23:59' ? 24 * 60 : minutes(period.close)) ? period.close : undefined;
}

/** Free slots for the draft (findSlots); when none match, why not and the nearest alternatives. */
/** The free-slot request for a draft's service, staff, day and hours. */
function slotRequestOf(d: BookingDraft, serviceId: string): SlotRequest {
  return {
    serviceId,
    ...(d.staffId ? { staffId: d.staffId } : {}),
    ...(d.date ? { date: d.date } : {}),
    ...(d.after ? { after: d.after } : {}),
    ...(d.before ? { before: d.before } : {}),
    limit: SLOTS_OFFERED,
  };
}

async function offer(t: Turn, asked: BookingDraft, intro: readonly string[] = [], known?: Awaited<ReturnType<typeof findSlots>>): Promise<DialogOutcome> {
  let d = asked;
  const service = t.service(d.serviceId);
  if (!service) return askService(t, { ...d, step: 'service' });
  // "on 31/02", "el 31 de febrero": no day of the calendar. Said so, and asked again, rather than offering today's times.
  const unread = t.turn.understanding.when?.unreadDate;
  if (unread !== undefined && known === undefined) return t.reply([...intro, t.s.unknownDate(unread)], [], { ...d, step: 'pick', offered: [] });
  let found = known ?? (await findSlots(t.deps, t.turn.tenantId, slotRequestOf(d, service.id)));
  // "Next week" whose Monday has nothing (in the time asked for): the first day of that week that has.
  if (found.slots.length === 0 && d.week === true && d.date !== undefined && (found.problem === 'closed' || found.problem === 'fully_booked')) {
    for (let day = 1; day < 7; day++) {
      const date = addDays(d.date, day);
      const that = await findSlots(t.deps, t.turn.tenantId, slotRequestOf({ ...d, date }, service.id));
      if (that.slots.length > 0) {
        found = that;
        d = { ...d, date };
        break;
      }
    }
  }
  const about =
    d.mode === 'book'
      ? [t.s.serviceLine(serviceNameIn(service, t.lang), t.price(service.priceCents, service.currency), service.durationMinutes), service.depositCents > 0 ? t.s.depositNote(t.money(service.depositCents, service.currency)) : undefined]
      : [];
  if (found.slots.length > 0) {
    const slots = found.slots.slice(0, SLOTS_OFFERED);
    return t.reply([...intro, ...about, t.s.freeTimes(slots.length), ...slotLines(t, slots), t.s.pickOne], slotReplies(t, slots), { ...d, step: 'pick', offered: slots });
  }
  const problem = found.problem ?? 'fully_booked';
  if (problem === 'unknown_service') return askService(t, { ...d, step: 'service' });
  const openThatDay = d.date !== undefined && found.alternatives.some((s) => localOf(s.start, t.timezone).date === d.date);
  // "Move it to Thursday at 10" when it already is then: said so, not "nothing free at that time".
  const own = problem === 'fully_booked' ? await ownTimeAsked(t, d) : undefined;
  const why = own ? t.s.alreadyAt(t.when(own.start)) : await problemText(t, d, problem, openThatDay);
  // A staff member who doesn't do the service: the alternatives are with those who do, so the preference goes.
  let next: BookingDraft = d;
  if (problem === 'staff_does_not_do_service' || problem === 'unknown_staff') {
    const { staffId: _dropped, ...rest } = d;
    next = rest;
  }
  const alternatives = found.alternatives.slice(0, SLOTS_OFFERED);
  if (alternatives.length === 0) {
    return t.reply([...intro, why, t.s.nothingFree(t.turn.catalogue.business.phone)], [{ label: t.s.talkToPerson, text: t.s.talkToPersonText }], { ...next, step: 'pick', offered: [] });
  }
  const heading = problem === 'staff_does_not_do_service' ? t.s.nearestWithOthers : t.s.nearest;
  return t.reply([...intro, why, ...about, heading, ...slotLines(t, alternatives), t.s.pickOne], slotReplies(t, alternatives), { ...next, step: 'pick', offered: alternatives });
}

/**
 * The booking being moved, when the time asked for is the one it already has: its day, and its start at the hour
 * asked ("at 10") or within the hours asked ("between 9 and 12"), with the same staff member or none named.
 */
async function ownTimeAsked(t: Turn, d: BookingDraft): Promise<Booking | undefined> {
  if (d.mode !== 'reschedule' || !d.targetBookingId || !d.date || !d.after) return undefined;
  const target = await t.deps.bookings.getBooking(t.turn.tenantId, d.targetBookingId);
  if (!target || target.serviceId !== d.serviceId || (d.staffId !== undefined && d.staffId !== target.staffId)) return undefined;
  const at = localOf(target.start, t.timezone);
  if (at.date !== d.date) return undefined;
  return (d.before ? at.time >= d.after && at.time < d.before : at.time === d.after) ? target : undefined;
}

/**
 * The cancellation policy as it applies to a time: free up to the notice, or — for a time closer than that —
 * that it cannot be cancelled or changed here once booked (the chat would refuse it: service.ts tooLate).
 */
function policyFor(t: Turn, start: string, noticeHours: number): string {
  return tooCloseToChange(t, start, noticeHours) ? t.s.policyTooClose(noticeHours, t.turn.catalogue.business.phone) : t.s.policy(noticeHours);
}

function tooCloseToChange(t: Turn, start: string, noticeHours: number): boolean {
  return withinNotice(start, noticeHours, t.now);
}

async function confirmBooking(t: Turn, d: BookingDraft): Promise<DialogOutcome> {
  const slot = d.chosen;
  const service = t.service(slot?.serviceId);
  if (!slot || !service) return advance(t, { ...d, chosen: undefined });
  const settings = await t.settings();
  return t.reply(
    [
      `${t.s.confirmIntro} ${t.summary(slot, d.partySize)}`,
      service.depositCents > 0 ? t.s.depositDue(t.money(service.depositCents, service.currency)) : undefined,
      policyFor(t, slot.start, settings.cancellationNoticeHours),
      t.s.shallIBook,
    ],
    [
      { label: t.s.yesBook, text: t.s.yesBookText },
      { label: t.s.no, text: t.s.no },
    ],
    d,
  );
}

/** The customer said yes: book, cancel or move. */
async function commit(t: Turn, d: BookingDraft): Promise<DialogOutcome> {
  if (d.mode === 'book') return book(t, d);
  if (d.mode === 'cancel') return cancel(t, d);
  if (d.mode === 'reschedule') return move(t, d);
  return advance(t, d);
}

async function book(t: Turn, d: BookingDraft): Promise<DialogOutcome> {
  const slot = d.chosen;
  const name = t.contact.name;
  if (!slot || !name || !t.reachable()) return advance(t, d);
  const result = await bookSlot(t.deps, {
    tenantId: t.turn.tenantId,
    slot,
    customer: { name, ...(t.contact.phone ? { phone: t.contact.phone } : {}), ...(t.contact.email ? { email: t.contact.email } : {}) },
    ...(d.partySize !== undefined ? { partySize: d.partySize } : {}),
    ...(t.turn.conversationId ? { conversationId: t.turn.conversationId } : {}),
    channel: t.turn.channel,
    lang: t.lang,
    source: 'concierge',
  });
  if (result.ok) {
    const b = result.booking;
    const settings = await t.settings();
    const after = b.depositCents > 0 ? t.s.paymentLinkComing(t.money(b.depositCents, b.currency), settings.paymentTimeoutMinutes) : t.s.bookedConfirmation;
    return t.reply([t.s.booked(t.summary(b, b.partySize)), after], [], undefined);
  }
  const retry: BookingDraft = { ...d, chosen: undefined };
  if (result.reason === 'taken') {
    const alternatives = result.alternatives.slice(0, SLOTS_OFFERED);
    if (alternatives.length === 0) return offer(t, retry, [t.s.taken]);
    return t.reply([t.s.taken, t.s.nearest, ...slotLines(t, alternatives), t.s.pickOne], slotReplies(t, alternatives), { ...retry, step: 'pick', offered: alternatives });
  }
  return offer(t, retry, [await problemText(t, d, result.problem)]);
}

/**
 * No booking this chat may manage: the same words whether the details have none or only someone else's (or the
 * customer's own, made on another device), with a person offered, who can check who is asking.
 */
function noneFound(t: Turn, keep: BookingDraft | undefined): DialogOutcome {
  return t.reply([t.s.noUpcoming, t.s.orCall(t.turn.catalogue.business.phone), t.s.askTeam], t.personReplies(), keep, { offersPerson: true });
}

function tooLate(t: Turn, hours: number): DialogOutcome {
  return t.reply([t.s.tooLate(hours)], t.personReplies(), undefined, { offersPerson: true });
}

/** Cancel and reschedule: whose booking, which one, in time for the policy, then the confirmation. */
async function change(t: Turn, d: BookingDraft): Promise<DialogOutcome> {
  const settings = await t.settings();
  if (!t.reachable()) {
    return t.reply([t.s.askLookupContact, t.s.policy(settings.cancellationNoticeHours), t.s.orCall(t.turn.catalogue.business.phone)], [], { ...d, step: 'contact' });
  }
  const mine = await t.upcoming();
  let target = mine.find((b) => b.bookingId === d.targetBookingId);
  if (!target) {
    if (mine.length === 0) return noneFound(t, undefined);
    if (mine.length > 1) {
      const choices = mine.slice(0, MAX_BOOKING_CHOICES);
      return t.reply(
        [t.s.whichBooking(d.mode === 'cancel' ? 'cancel' : 'reschedule'), ...choices.map((b) => t.bookingLine(b))],
        choices.map((b) => ({ label: label(t.shortBooking(b)), text: label(t.shortBooking(b)) })),
        { ...d, step: 'choose_booking', choices: choices.map((b) => b.bookingId) },
      );
    }
    target = mine[0];
  }
  if (!target || !activeStatuses.includes(target.status)) return t.reply([t.s.notActive], [], undefined);
  const noticeMs = settings.cancellationNoticeHours * 3600_000;
  if (Date.parse(target.start) - t.now.getTime() < noticeMs) return tooLate(t, settings.cancellationNoticeHours);
  // "Can I move it to 9pm?": a time without a day is on the booking's own day.
  const sameDay = d.date === undefined && (d.after !== undefined || d.before !== undefined) ? { date: localOf(target.start, t.timezone).date } : {};
  const withTarget: BookingDraft = { ...d, ...sameDay, targetBookingId: target.bookingId, serviceId: target.serviceId, ...(d.staffId ? {} : { staffId: target.staffId }) };
  if (d.mode === 'cancel') {
    const refundable = target.payment.status === 'paid' && target.depositCents > 0;
    return t.reply(
      [
        t.s.confirmCancel(t.shortBooking(target)),
        refundable ? (settings.refundDepositOnCancel ? t.s.refunded(t.money(target.depositCents, target.currency)) : t.s.notRefunded) : undefined,
      ],
      [
        { label: t.s.yesCancel, text: t.s.yesBookText },
        { label: t.s.no, text: t.s.no },
      ],
      { ...withTarget, step: 'confirm' },
    );
  }
  // "When would you like to move … to?" once: a new day or time asked for while picking just gets its times.
  const asked = d.step === 'pick' && d.targetBookingId === target.bookingId;
  if (!d.chosen) return offer(t, withTarget, asked ? [] : [t.s.rescheduleWhen(t.shortBooking(target))]);
  // The time it already has (offered when its hold has run out): nothing to move, said now rather than asked about.
  if (isSameSlot(target, d.chosen)) return t.reply([t.s.alreadyThen(t.when(target.start))], [], undefined);
  // Moved closer than the notice: it cannot be changed here again (said before, not found out later).
  const notice = (await t.settings()).cancellationNoticeHours;
  const tooClose = tooCloseToChange(t, d.chosen.start, notice) ? t.s.policyTooClose(notice, t.turn.catalogue.business.phone) : undefined;
  return t.reply(
    [t.s.confirmMove(t.when(target.start), t.when(d.chosen.start)), t.summary(d.chosen, target.partySize), tooClose],
    [
      { label: t.s.yesMove, text: t.s.yesBookText },
      { label: t.s.no, text: t.s.no },
    ],
    { ...withTarget, step: 'confirm' },
  );
}

async function cancel(t: Turn, d: BookingDraft): Promise<DialogOutcome> {
  if (!d.targetBookingId) return change(t, d);
  const result = await cancelBooking(t.deps, { tenantId: t.turn.tenantId, bookingId: d.targetBookingId, actor: 'customer', reason: 'cancelled by the customer in the conversation' });
  if (result.ok) {
    const b = result.booking;
    return t.reply([t.s.cancelled(t.shortBooking(b)), result.refunded ? t.s.refunded(t.money(b.depositCents, b.currency)) : undefined], [], undefined);
  }
  if (result.reason === 'too_late') return tooLate(t, (await t.settings()).cancellationNoticeHours);
  return t.reply([t.s.notActive], [], undefined);
}

async function move(t: Turn, d: BookingDraft): Promise<DialogOutcome> {
  if (!d.targetBookingId || !d.chosen) return change(t, d);
  const result = await rescheduleBooking(t.deps, { tenantId: t.turn.tenantId, bookingId: d.targetBookingId, slot: d.chosen, actor: 'customer' });
  if (result.ok) return t.reply([t.s.moved(t.summary(result.booking, result.booking.partySize))], [], undefined);
  const retry: BookingDraft = { ...d, chosen: undefined };
  switch (result.reason) {
    case 'too_late':
      return tooLate(t, (await t.settings()).cancellationNoticeHours);
    case 'unchanged':
      return t.reply([t.s.alreadyThen(t.when(d.chosen.start))], [], undefined);
    case 'taken': {
      const alternatives = (result.alternatives ?? []).slice(0, SLOTS_OFFERED);
      if (alternatives.length === 0) return offer(t, retry, [t.s.taken]);
      return t.reply([t.s.taken, t.s.nearest, ...slotLines(t, alternatives), t.s.pickOne], slotReplies(t, alternatives), { ...retry, step: 'pick', offered: alternatives });
    }
    case 'invalid':
      return offer(t, retry, result.problem ? [await problemText(t, d, result.problem)] : []);
    default:
      return t.reply([t.s.notActive], [], undefined);
  }
}

/** "When is my appointment?": only with the phone or e-mail the bookings were made with. */
async function lookup(t: Turn, d: BookingDraft): Promise<DialogOutcome> {
  if (!t.reachable()) return t.reply([t.s.askLookupContact], [], { ...d, step: 'contact' });
  const mine = await t.upcoming();
  // Still asking: a mistyped number may be corrected in the next message.
  if (mine.length === 0) return noneFound(t, { ...d, step: 'contact' });
  return t.reply([t.s.upcoming(mine.length), ...mine.slice(0, 5).map((b) => t.bookingLine(b))], [], undefined);
}

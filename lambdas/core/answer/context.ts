/**
 * The answering policy's per-conversation state, stored on the conversation
 * record. Kept apart from the policy (answer/concierge.ts) so the store and
 * every handler can read it without loading the NLU.
 */
import { z } from 'zod';

const idText = z.string().min(1).max(64);
const instant = z.iso.datetime({ offset: true });
/** A slot as the booking draft keeps it (see core/booking/ports.ts `Slot`). */
export const draftSlotSchema = z.strictObject({ serviceId: idText, staffId: idText, start: instant, end: instant });

/** Free slots offered at a time (quick replies), and bookings offered to choose from. */
export const MAX_OFFERED_SLOTS = 6;
export const MAX_BOOKING_CHOICES = 5;

/**
 * The booking conversation in progress (core/booking/dialog.ts): what is being done (`mode`), the
 * question last asked (`step`), and what the customer has said so far.
 */
export const bookingDraftSchema = z.object({
  mode: z.enum(['book', 'reschedule', 'cancel', 'lookup']),
  /** service: which service; pick: which offered slot; contact: name and phone/e-mail; confirm: yes/no; choose_booking: which of their bookings. */
  step: z.enum(['service', 'pick', 'contact', 'confirm', 'choose_booking']),
  serviceId: idText.optional(),
  staffId: idText.optional(),
  /** The day asked for (YYYY-MM-DD, business time zone) and the window (HH:MM). */
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
  /** `date` is the Monday of a week asked for as a whole ("next week"): any day of it will do. */
  week: z.literal(true).optional(),
  after: z.string().regex(/^\d{2}:\d{2}$/).optional(),
  before: z.string().regex(/^\d{2}:\d{2}$/).optional(),
  /** How many people the booking is for, as the customer said it ("a table for 4", "somos 5"); absent: not said. */
  partySize: z.number().int().min(1).max(999).optional(),
  /** The slots last offered, in the order shown (so "the second" and "2" can be read). */
  offered: z.array(draftSlotSchema).max(MAX_OFFERED_SLOTS).optional(),
  chosen: draftSlotSchema.optional(),
  name: z.string().max(120).optional(),
  phone: z.string().max(32).optional(),
  email: z.string().max(254).optional(),
  /** The booking made by this draft, while its outcome is still pending. */
  bookingId: idText.optional(),
  /** The booking being cancelled or moved. */
  targetBookingId: idText.optional(),
  /** The customer's bookings offered to choose from, in the order shown. */
  choices: z.array(idText).max(MAX_BOOKING_CHOICES).optional(),
  /** The last reply answered something else and asked whether to carry on with the booking. */
  paused: z.boolean().optional(),
});
export type BookingDraft = Readonly<z.infer<typeof bookingDraftSchema>>;

/** Contact details the customer gave in this conversation (for later bookings and look-ups). */
export const knownContactSchema = z.object({
  name: z.string().max(120).optional(),
  phone: z.string().max(32).optional(),
  email: z.string().max(254).optional(),
});
export type KnownContact = Readonly<z.infer<typeof knownContactSchema>>;

/** Per-conversation state the policy keeps between turns (stored on the conversation record; parsed when read back). */
export const conversationContextSchema = z.object({
  /** Questions in a row the concierge could not answer. */
  unansweredStreak: z.number().int().min(0).max(1000).optional(),
  /** The service the conversation is about, for follow-ups ("how much is it?"). */
  lastServiceId: z.string().max(64).optional(),
  /** The last answered question (as searched), for follow-ups without a service. */
  lastTopic: z.string().max(300).optional(),
  /** What the last bot reply offered, so a "yes" / "no" can be understood. */
  pendingOffer: z.literal('handoff').optional(),
  /** The language of the conversation so far (short replies such as "ok" keep it). */
  lang: z.enum(['en', 'es']).optional(),
  /** The booking conversation in progress, if any. */
  booking: bookingDraftSchema.optional(),
  /** The customer's contact details, once given. */
  contact: knownContactSchema.optional(),
});
export type ConversationContext = Readonly<z.infer<typeof conversationContextSchema>>;

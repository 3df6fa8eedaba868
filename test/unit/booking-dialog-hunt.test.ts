/**
 * Conversational bugs found by driving whole conversations through the booking dialog; the harness below is that of
 * booking-dialog.test.ts. The booking dialog (core/booking/dialog.ts) as a state machine, turn by turn through answerQuestion, with a
 * real BookingDeps: the booking use cases (core/booking/service.ts) over the DynamoDB adapters on Amazon's
 * DynamoDB Local, the catalogue of the demo clinic (local-cloud/seed/demo-kb.json, Europe/Dublin). Only what
 * stands for the outside world is faked: Payments (Stripe), Calendar and the event bus record what they get.
 *
 * The clock: Friday 27 March 2026, 10:00 in Dublin (GMT); Irish summer time starts on Sunday, 29 March, so
 * "next Thursday" (2 April) is at UTC+1: 14:00 local is 13:00Z — the replies must show local times.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTable, startDynamoDbLocal, type DynamoDbLocalHandle } from '../../local-cloud/dynamodb-local';
import { DynamoBookingStore } from '../../lambdas/adapters/dynamo/booking-store';
import { DynamoStore } from '../../lambdas/adapters/dynamo/store';
import { ExtractiveAnswerer } from '../../lambdas/adapters/llm/extractive';
import { Bm25Index } from '../../lambdas/core/answer/bm25';
import { answerQuestion, type Answer, type AnswerDeps, type ConversationContext } from '../../lambdas/core/answer/concierge';
import { conversationContextSchema } from '../../lambdas/core/answer/context';
import { contactIn } from '../../lambdas/core/booking/dialog';
import type { Booking, Calendar, CalendarEvent, Payments, Slot } from '../../lambdas/core/booking/ports';
import { bookSlot, type BookingDeps } from '../../lambdas/core/booking/service';
import { passagesOf, provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema, type KnowledgeBase } from '../../lambdas/core/knowledge-base';
import { CachedCatalogue } from '../../lambdas/core/nlu/catalogue';
import { wallClock } from '../../lambdas/core/nlu/time';
import type { ConciergeEvent, EventPublisher, KnowledgeIndex } from '../../lambdas/core/ports';
import { newWidgetKey } from '../../lambdas/core/widget-key';

const TABLE = 'booking-dialog-hunt-test';
/** Friday 27 March 2026, 10:00 in Dublin. */
const NOW = Date.parse('2026-03-27T10:00:00.000Z');
let nowMs = NOW;
const clock = { now: () => new Date(nowMs) };

let ddb: DynamoDbLocalHandle;
let db: DynamoDBDocumentClient;
let store: DynamoStore;
let bookings: DynamoBookingStore;
let catalogue: CachedCatalogue;

const kb: KnowledgeBase = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '..', '..', 'local-cloud', 'seed', 'demo-kb.json'), 'utf8')));
const bm25 = new Bm25Index(passagesOf(kb));
const index: KnowledgeIndex = { search: async (_tenant, query, k) => bm25.search(query, k) };

/** Stands for Stripe: records refunds. */
class RecordingPayments implements Payments {
  readonly provider = 'stripe';
  readonly refunds: string[] = [];
  createCheckout(): Promise<{ checkoutId: string; url: string }> {
    return Promise.reject(new Error('the dialog never creates checkouts (the workflow does)'));
  }
  async refund(input: { bookingId: string }): Promise<{ refundId: string }> {
    this.refunds.push(input.bookingId);
    return { refundId: `re_${input.bookingId}` };
  }
}

/** Stands for the business's calendar. */
class RecordingCalendar implements Calendar {
  readonly provider = 'google';
  readonly deleted: string[] = [];
  async upsertEvent(event: CalendarEvent): Promise<{ eventId: string }> {
    return { eventId: `evt-${event.bookingId}` };
  }
  async deleteEvent(input: { eventId: string }): Promise<void> {
    this.deleted.push(input.eventId);
  }
}

/** Stands for EventBridge. */
class RecordingEvents implements EventPublisher {
  readonly events: ConciergeEvent[] = [];
  async publish(events: readonly ConciergeEvent[]): Promise<void> {
    this.events.push(...events);
  }
}

interface World {
  readonly tenantId: string;
  readonly booking: BookingDeps;
  readonly answer: AnswerDeps;
  readonly events: RecordingEvents;
  readonly payments: RecordingPayments;
}

let tenantCounter = 0;
async function world(): Promise<World> {
  const tenantId = `hunt-${++tenantCounter}`;
  await provisionTenant(store, { tenantId, widgetKey: newWidgetKey(tenantId), allowedOrigins: ['https://harbourdental.example'], kb: { ...kb, business: { ...kb.business, slug: tenantId } } });
  const events = new RecordingEvents();
  const payments = new RecordingPayments();
  const booking: BookingDeps = { bookings, catalogue, payments, calendar: new RecordingCalendar(), events, clock, conversations: store };
  return { tenantId, booking, answer: { index, model: new ExtractiveAnswerer(), catalogue, now: () => clock.now(), booking }, events, payments };
}

/**
 * One customer's conversation: each turn carries the context of the last, stored and read back as the store does.
 * `identity` is who the channel says writes (a widget visitor by default).
 */
function conversation(w: World, conversationId = 'conv-dialog-1', identity = 'web:visitor-1', channel: Booking['channel'] = 'web') {
  let context: ConversationContext = {};
  const answers: Answer[] = [];
  return {
    answers,
    get context(): ConversationContext {
      return context;
    },
    async say(question: string): Promise<Answer> {
      const a = await answerQuestion(w.answer, { tenantId: w.tenantId, businessName: kb.business.name, question, context, conversationId, channel, identity });
      // What the conversation store keeps must parse back (bounded sizes, no stray fields).
      context = conversationContextSchema.parse(JSON.parse(JSON.stringify(a.context)));
      answers.push(a);
      return a;
    },
  };
}

const local = (iso: string): { date: string; time: string } => {
  const c = wallClock(new Date(iso), 'Europe/Dublin');
  const pad = (n: number): string => String(n).padStart(2, '0');
  return { date: `${c.year}-${pad(c.month)}-${pad(c.day)}`, time: `${pad(c.hour)}:${pad(c.minute)}` };
};
const offered = (a: Answer): readonly Slot[] => a.context.booking?.offered ?? [];

/** A booking made by the concierge, in the conversation `conversationId` (the default one of `conversation`). */
async function bookDirectly(w: World, slot: Slot, customer: { name: string; phone: string }, conversationId = 'conv-dialog-1'): Promise<Booking> {
  const result = await bookSlot(w.booking, { tenantId: w.tenantId, slot, customer, channel: 'web', lang: 'en', source: 'concierge', conversationId });
  if (!result.ok) throw new Error(`not booked: ${JSON.stringify(result)}`);
  return result.booking;
}

beforeAll(async () => {
  ddb = await startDynamoDbLocal({ port: 0 });
  const client = new DynamoDBClient({ endpoint: ddb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await ensureTable(client, TABLE);
  db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  store = new DynamoStore(db, TABLE, clock);
  bookings = new DynamoBookingStore(db, TABLE, clock);
  catalogue = new CachedCatalogue(store, () => nowMs);
}, 120_000);

afterAll(async () => {
  db?.destroy();
  await ddb?.stop();
});

afterEach(() => {
  nowMs = NOW;
});

const marta = (start: string): Slot => ({ serviceId: 'checkup-clean', staffId: 'marta-ruiz', start, end: new Date(Date.parse(start) + 45 * 60_000).toISOString() });

describe('a question while the name is awaited', () => {
  it('answers "do you take insurance?" instead of taking it for the name, then carries on', async () => {
    const w = await world();
    const c = conversation(w);
    await c.say('Book a check-up next Thursday');
    const ask = await c.say('1');
    expect(ask.text).toMatch(/What name and phone number/);
    const faq = await c.say('do you take insurance?');
    expect(faq.text).not.toContain('Thanks, do you take insurance');
    expect(faq.context.contact?.name).toBeUndefined();
    expect(faq.kind).toBe('answer');
    expect(faq.text).toMatch(/Shall we continue with your booking\?$/);
    const back = await c.say('yes');
    expect(back.text).toBe('Great. What name and phone number (or e-mail) should I put the booking under?');
    const confirm = await c.say('Ana Lopez 087 123 4567');
    expect(confirm.context.contact).toEqual({ name: 'Ana Lopez', phone: '+353871234567' });
  });

  it('in Spanish: "¿tienen aparcamiento?" is no name', async () => {
    const w = await world();
    const c = conversation(w);
    await c.say('Quiero una limpieza el jueves');
    await c.say('1');
    const faq = await c.say('¿tienen aparcamiento?');
    expect(faq.text).not.toContain('Gracias, tienen aparcamiento');
    expect(faq.context.contact?.name).toBeUndefined();
    expect(faq.text).toMatch(/¿Seguimos con su reserva\?$/);
  });

  it('contactIn keeps bare names but not questions', () => {
    expect(contactIn('do you take insurance?', {}, true)).toEqual({});
    expect(contactIn('¿tienen aparcamiento?', {}, true)).toEqual({});
    expect(contactIn('Ana López', {}, true)).toEqual({ name: 'Ana López' });
    // A name that starts like a question word is still a name.
    expect(contactIn('Will Byrne', {}, true)).toEqual({ name: 'Will Byrne' });
  });
});

describe('"none of those" to the offered times', () => {
  it('keeps the booking and asks for another day or time, then offers it', async () => {
    const w = await world();
    const c = conversation(w);
    await c.say('Book a check-up next Thursday');
    const none = await c.say('none of those');
    expect(none.text).toBe('No problem. What other day or time would suit you better?');
    expect(none.context.booking).toEqual(expect.objectContaining({ mode: 'book', step: 'pick', serviceId: 'checkup-clean' }));
    const friday = await c.say('next Friday');
    expect(offered(friday).length).toBeGreaterThan(0);
    for (const s of offered(friday)) expect(local(s.start).date).toBe('2026-04-03');
  });

  it.each(['no', 'no, ninguna'])('"%s" does not drop the booking', async (text) => {
    const w = await world();
    const c = conversation(w);
    const lang = text === 'no' ? 'en' : 'es';
    await c.say(lang === 'en' ? 'Book a check-up next Thursday' : 'Quiero una limpieza el jueves');
    const a = await c.say(text);
    expect(a.context.booking).toEqual(expect.objectContaining({ mode: 'book', step: 'pick', serviceId: 'checkup-clean' }));
    expect(a.text).toBe(lang === 'en' ? 'No problem. What other day or time would suit you better?' : 'De acuerdo. ¿Qué otro día u hora le vendría mejor?');
  });
});

describe('"later" / "más tarde" / "earlier"', () => {
  it('"¿algo más tarde?" offers later times that day, not the late-arrival FAQ', async () => {
    const w = await world();
    const c = conversation(w);
    const first = await c.say('Quiero una limpieza el jueves a las 9');
    const lastOffered = local((offered(first).at(-1) as Slot).start);
    const later = await c.say('¿algo más tarde?');
    expect(later.kind).toBe('booking');
    expect(later.text).toContain('Estas horas están libres:');
    expect(later.text).not.toContain('late');
    expect(offered(later).length).toBeGreaterThan(0);
    for (const s of offered(later)) {
      expect(local(s.start).date).toBe('2026-04-02');
      expect(local(s.start).time > lastOffered.time).toBe(true);
    }
  });

  it('"later" past the last time of the day says so and offers the next day; "earlier" goes back', async () => {
    const w = await world();
    const c = conversation(w);
    await c.say('Book a check-up next Thursday');
    const later = await c.say('later');
    expect(later.kind).toBe('booking');
    expect(later.text).toMatch(/^There's nothing later on Thursday, 2 April\./);
    expect(later.text).not.toContain('closed');
    expect(offered(later).length).toBeGreaterThan(0);
    for (const s of offered(later)) expect(local(s.start).date).toBe('2026-04-03');
    const earlier = await c.say('anything earlier?');
    expect(earlier.kind).toBe('booking');
    expect(earlier.text).not.toContain('closed');
    for (const s of offered(earlier)) expect(Date.parse(s.start)).toBeLessThan(Date.parse((offered(later)[0] as Slot).start));
  });
});

describe('rescheduling to a time that is taken', () => {
  it('says the time is taken, not that the whole day is full, and the confirmation reads cleanly', async () => {
    const w = await world();
    await bookDirectly(w, marta('2026-04-02T09:00:00.000Z'), { name: 'James Power', phone: '+353859876543' });
    // Someone else has Marta at 11:00 on Friday 3 April.
    await bookDirectly(w, marta('2026-04-03T10:00:00.000Z'), { name: 'Other', phone: '+353850000000' }, 'other-conv');
    const c = conversation(w);
    await c.say('I want to move my appointment, 085 987 6543');
    const taken = await c.say('next Friday at 11');
    expect(taken.text).toContain("Sorry, there's nothing free at that time on Friday, 3 April.");
    expect(taken.text).not.toContain("there's nothing free on Friday");
    expect(offered(taken).every((s) => local(s.start).date === '2026-04-03')).toBe(true);
    await c.say('1');
    const done = await c.say('yes');
    expect(done.text).toBe("Done! Your appointment is now Check-up & clean with Marta Ruiz, Fri, 3 Apr, 12:00 (45 minutes), €80. You'll get a new confirmation shortly.");
  });

  it('in Spanish', async () => {
    const w = await world();
    await bookDirectly(w, marta('2026-04-02T09:00:00.000Z'), { name: 'James Power', phone: '+353859876543' });
    await bookDirectly(w, marta('2026-04-03T10:00:00.000Z'), { name: 'Other', phone: '+353850000000' }, 'other-conv');
    const c = conversation(w);
    await c.say('quiero cambiar mi cita, 085 987 6543');
    const taken = await c.say('el viernes que viene a las 11');
    expect(taken.text).toContain('Lo siento, no queda nada libre a esa hora el viernes, 3 de abril.');
    await c.say('1');
    const done = await c.say('sí');
    expect(done.text).toBe('¡Hecho! Su cita es ahora Check-up & clean con Marta Ruiz, vie, 3 abr, 12:00 (45 minutos), 80 €. Recibirá una nueva confirmación en breve.');
  });
});

describe('"thanks" at the confirmation', () => {
  it.each([
    ['Book a check-up next Thursday', 'Ana, 087 123 4567', 'thanks', "You're welcome! Shall I go ahead and book it?", 'yes', /^Done! I've booked Check-up & clean/],
    ['Quiero una limpieza el jueves', 'Soy Ana, 087 123 4567', 'gracias', '¡De nada! ¿Se la reservo entonces?', 'sí', /^¡Hecho! He reservado Check-up & clean/],
  ])('%s … "%s": asks again instead of "anything else?" + "shall we continue?"', async (start, contact, thanks, again, yes, done) => {
    const w = await world();
    const c = conversation(w);
    await c.say(start);
    await c.say('1');
    const confirm = await c.say(contact);
    expect(confirm.context.booking?.step).toBe('confirm');
    const a = await c.say(thanks);
    expect(a.text).toBe(again);
    expect(a.kind).toBe('booking');
    expect(a.context.booking).toEqual(expect.objectContaining({ step: 'confirm' }));
    expect(a.context.booking?.paused).toBeUndefined();
    expect(a.quickReplies).toHaveLength(2);
    const booked = await c.say(yes);
    expect(booked.text).toMatch(done);
  });
});

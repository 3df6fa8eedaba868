/**
 * The booking dialog (core/booking/dialog.ts) as a state machine, turn by turn through answerQuestion, with a
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
import { contactIn, slotValue } from '../../lambdas/core/booking/dialog';
import type { Booking, Calendar, CalendarEvent, Payments, Slot } from '../../lambdas/core/booking/ports';
import { bookSlot, customerKeyOf, type BookingDeps } from '../../lambdas/core/booking/service';
import { passagesOf, provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema, type KnowledgeBase } from '../../lambdas/core/knowledge-base';
import { CachedCatalogue } from '../../lambdas/core/nlu/catalogue';
import { wallClock } from '../../lambdas/core/nlu/time';
import type { ConciergeEvent, EventPublisher, KnowledgeIndex } from '../../lambdas/core/ports';
import { newWidgetKey } from '../../lambdas/core/widget-key';

const TABLE = 'booking-dialog-test';
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
async function world(hours: KnowledgeBase['hours'] = kb.hours, services: KnowledgeBase['services'] = kb.services, staff: KnowledgeBase['staff'] = kb.staff): Promise<World> {
  const tenantId = `dialog-${++tenantCounter}`;
  await provisionTenant(store, { tenantId, widgetKey: newWidgetKey(tenantId), allowedOrigins: ['https://harbourdental.example'], kb: { ...kb, hours, services, staff, business: { ...kb.business, slug: tenantId } } });
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
const customerBookings = (w: World, phone: string): Promise<Booking[]> => bookings.listCustomerBookings(w.tenantId, customerKeyOf({ phone }) ?? '');

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

describe('booking in one go', () => {
  it('offers real free slots in local time, takes name and phone from one message, states the terms and books', async () => {
    const w = await world();
    const c = conversation(w);
    const first = await c.say("Can I get a cleaning next Thursday after 2? I'm Ana, 600 123 456");
    expect(first).toEqual(expect.objectContaining({ kind: 'booking', intent: 'book', answered: true, handoffRequested: false }));
    expect(first.text).toContain('Check-up & clean: €80, 45 minutes');
    const slots = offered(first);
    expect(slots.length).toBeGreaterThan(0);
    expect(slots.length).toBeLessThanOrEqual(3);
    for (const slot of slots) {
      expect(local(slot.start).date).toBe('2026-04-02');
      expect(local(slot.start).time >= '14:00').toBe(true);
      expect(slot.serviceId).toBe('checkup-clean');
    }
    // Quick replies: human labels in Dublin time (summer time: UTC+1), machine-readable values.
    // A click sends the label itself: the history, the inbox and SMS show words, not ids.
    expect(first.quickReplies?.map((q) => q.text)).toEqual(first.quickReplies?.map((q) => q.label));
    expect(first.quickReplies).toHaveLength(slots.length);
    expect(slots.map((s) => slotValue(s))).toHaveLength(slots.length);
    const firstSlot = slots[0] as Slot;
    expect(first.quickReplies?.[0]?.label).toContain(`Thu, 2 Apr, ${local(firstSlot.start).time}`);
    expect(first.text).toContain(`1. Thu, 2 Apr, ${local(firstSlot.start).time}`);
    expect(first.context.contact).toEqual({ name: 'Ana', phone: '600123456' });
    for (const q of first.quickReplies ?? []) {
      expect(q.label.length).toBeLessThanOrEqual(80);
      expect(q.text.length).toBeLessThanOrEqual(500);
    }

    // Clicking the quick reply: contact already known, so straight to the terms.
    const confirm = await c.say(first.quickReplies?.[0]?.text ?? '');
    expect(confirm.context.booking).toEqual(expect.objectContaining({ step: 'confirm', chosen: firstSlot }));
    expect(confirm.context.contact).toEqual({ name: 'Ana', phone: '600123456' });
    expect(confirm.text).toMatch(/Check-up & clean with (Dr Niamh Gallagher|Marta Ruiz), Thu, 2 Apr, \d\d:\d\d \(45 minutes\), €80\./);
    expect(confirm.text).toContain('up to 24 hours before');
    expect(confirm.text).toContain('Shall I book it?');
    expect(confirm.text).not.toContain('deposit');
    expect(confirm.quickReplies?.map((q) => q.label)).toEqual(['Yes, book it', 'No']);
    expect(await customerBookings(w, '600123456')).toEqual([]);

    const done = await c.say('yes');
    expect(done.text).toMatch(/^Done! I've booked Check-up & clean/);
    expect(done.text).toContain("You'll get a confirmation shortly.");
    expect(done.context.booking).toBeUndefined();
    const [booking] = await customerBookings(w, '600123456');
    expect(booking).toEqual(
      expect.objectContaining({ serviceId: 'checkup-clean', start: firstSlot.start, status: 'held', conversationId: 'conv-dialog-1', channel: 'web', lang: 'en', source: 'concierge' }),
    );
    expect(booking?.customer).toEqual({ name: 'Ana', phone: '600123456' });
    expect(w.events.events).toContainEqual(expect.objectContaining({ type: 'booking.requested', tenantId: w.tenantId, detail: expect.objectContaining({ bookingId: booking?.bookingId }) }));
  });
});

describe("the services by their names in the customer's language", () => {
  it('offers them in Spanish as quick replies, and a tapped one is chosen', async () => {
    const w = await world();
    const c = conversation(w);
    const ask = await c.say('Quiero pedir una cita');
    expect(ask.text).toMatch(/^¿Qué servicio quiere reservar\?/);
    expect(ask.text).toContain('- Blanqueamiento dental: 350 €, 90 minutos');
    expect(ask.quickReplies?.map((q) => q.label)).toEqual(['Revisión y limpieza', 'Blanqueamiento dental', 'Cita de urgencia', 'Consulta de alineadores invisibles (Invisalign)']);
    const tapped = await c.say(ask.quickReplies?.[3]?.text ?? '');
    expect(tapped.context.booking?.serviceId).toBe('aligner-consultation');
    expect(tapped.text).toContain('Consulta de alineadores invisibles (Invisalign): 75 €');
  });
});

describe('a service that costs nothing', () => {
  it('is offered, summed up and confirmed as free, not as "€0" (a free first consultation, a restaurant table)', async () => {
    const services = kb.services.map((sv) => (sv.id === 'checkup-clean' ? { ...sv, priceCents: 0 } : sv));
    const w = await world(kb.hours, services);
    const c = conversation(w);
    const ask = await c.say("I'd like to make a booking");
    expect(ask.text).toContain('- Check-up & clean: free, 45 minutes.');
    const first = await c.say("Can I get a cleaning next Thursday after 2? I'm Ana, 600 123 456");
    expect(first.text).toContain('Check-up & clean: free, 45 minutes.');
    const confirm = await c.say('1');
    expect(confirm.text).toMatch(/\(45 minutes\), free\./);
    const es = await conversation(w, 'conv-dialog-free-es').say('¿Puedo pedir una limpieza el jueves que viene después de las 2?');
    expect(es.text).toContain('Revisión y limpieza: gratis, 45 minutos.');
    for (const a of [ask, first, confirm, es]) expect(a.text).not.toMatch(/€0\b|\b0 €/);
  });
});

/** A restaurant: lunch and dinner tables in one dining room, open for lunch and dinner Monday to Saturday. */
const tables: KnowledgeBase['services'] = [
  { id: 'table-lunch', name: 'Table for lunch', names: { es: 'Mesa para comer' }, durationMinutes: 90, priceCents: 0, currency: 'EUR', depositCents: 0, description: 'A table at lunch.' },
  { id: 'table-dinner', name: 'Dinner table', names: { es: 'Mesa para cenar' }, durationMinutes: 120, priceCents: 0, currency: 'EUR', depositCents: 0, description: 'A table at dinner.', maxPartySize: 8 },
];
const rooms: KnowledgeBase['staff'] = [{ id: 'main-room', name: 'Main dining room', role: 'Dining room', serviceIds: ['table-lunch', 'table-dinner'] }];
const hours = (['mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const).flatMap((day) => [
  { day, open: '12:00', close: '15:00' },
  { day, open: '18:00', close: '22:30' },
]);

describe('a request that only names the service and the time', () => {
  it('"Dinner table for 4 tonight" at a restaurant offers tonight\'s tables (was: "I\'m not sure", then a handoff)', async () => {
    const w = await world(hours, tables, rooms);
    const a = await conversation(w).say('Dinner table for 4 tonight');
    expect(a.kind).toBe('booking');
    expect(a.text).toContain('Dinner table: free, 120 minutes.');
    expect(offered(a).length).toBeGreaterThan(0);
    // Tonight: Friday 27 March, from 18:00 in Dublin.
    for (const slot of offered(a)) expect(local(slot.start).date).toBe('2026-03-27');
    for (const slot of offered(a)) expect(local(slot.start).time >= '18:00').toBe(true);
  });
});

describe('a question about the meal, not a table', () => {
  it('"can I bring my dog for dinner?", "gluten free options for dinner?" are questions, not bookings (was: tables offered)', async () => {
    const w = await world(hours, tables, rooms);
    let n = 0;
    const kindOf = async (text: string): Promise<[string, string]> => [text, (await conversation(w, `meal-${++n}`).say(text)).kind];
    for (const q of ['Do you have gluten free options for dinner?', 'Can I bring my dog for dinner?', 'can I pay by card for dinner tonight?', '¿puedo llevar a mi perro para cenar?', '¿tenéis menú sin gluten para comer?']) {
      expect(await kindOf(q)).not.toEqual([q, 'booking']);
    }
    // Asking for a table still gets one offered.
    for (const q of ['Can I get a dinner table tonight?', 'Are you free for dinner tomorrow?', '¿Tienen hueco para cenar mañana?']) {
      expect(await kindOf(q)).toEqual([q, 'booking']);
    }
  });
});

describe('how many people a booking is for (docs/decisions.md 114)', () => {

  it('"a dinner table for 4 on Saturday at 8pm": the party is kept through the turns, said in the confirmation and stored (was: dropped)', async () => {
    const w = await world(hours, tables, rooms);
    const c = conversation(w);
    const first = await c.say("Can I book a dinner table for 4 on Saturday at 8pm? I'm Ana, 600 123 456");
    expect(first.kind).toBe('booking');
    expect(first.context.booking).toEqual(expect.objectContaining({ mode: 'book', serviceId: 'table-dinner', partySize: 4, date: '2026-03-28' }));
    const confirm = await c.say('1');
    expect(confirm.context.booking).toEqual(expect.objectContaining({ step: 'confirm', partySize: 4 }));
    expect(confirm.text).toContain('To confirm: Dinner table for 4 with Main dining room, Sat, 28 Mar, 20:00');
    const done = await c.say('yes');
    expect(done.text).toMatch(/^Done! I've booked Dinner table for 4 with Main dining room, Sat, 28 Mar, 20:00/);
    const [booking] = await customerBookings(w, '600123456');
    expect(booking).toEqual(expect.objectContaining({ serviceId: 'table-dinner', partySize: 4, status: 'held' }));
    // Looked up, and asked to cancel: the booking is named with its party.
    expect((await c.say('When is my booking?')).text).toContain('- Dinner table for 4, Sat, 28 Mar, 20:00 with Main dining room');
    expect((await c.say('I want to cancel my booking')).text).toContain('Cancel Dinner table for 4, Sat, 28 Mar, 20:00?');
  });

  it('given in a later message ("for 6 please", "somos 3"), it changes the draft; asked at the confirmation, the question comes again with it', async () => {
    const w = await world(hours, tables, rooms);
    const c = conversation(w);
    const first = await c.say("Can I book a dinner table on Saturday at 8pm? I'm Ana, 600 123 456");
    expect(first.context.booking?.partySize).toBeUndefined();
    const later = await c.say('for 6 please');
    expect(later.kind).toBe('booking');
    expect(later.context.booking).toEqual(expect.objectContaining({ step: 'pick', partySize: 6 }));
    const confirm = await c.say('1');
    expect(confirm.text).toContain('Dinner table for 6 with');
    const changed = await c.say('actually we are 5');
    expect(changed.context.booking).toEqual(expect.objectContaining({ step: 'confirm', partySize: 5 }));
    expect(changed.text).toContain('To confirm: Dinner table for 5 with');
    expect(changed.text).toContain('Shall I book it?');
    expect(await customerBookings(w, '600123456')).toEqual([]);
    await c.say('yes');
    expect((await customerBookings(w, '600123456'))[0]?.partySize).toBe(5);

    // Spanish: "para 4 personas" in the question and the confirmation.
    const es = conversation(w, 'conv-dialog-party-es');
    const pedido = await es.say('Quiero reservar una mesa para cenar el sábado a las 21:00. Me llamo Lucía, 600 555 777');
    expect(pedido.context.booking?.partySize).toBeUndefined();
    expect((await es.say('somos 3')).context.booking?.partySize).toBe(3);
    const confirmar = await es.say('1');
    expect(confirmar.text).toContain('Para confirmar: Mesa para cenar para 3 personas con Main dining room');
    const hecho = await es.say('sí');
    expect(hecho.text).toMatch(/^¡Hecho! He reservado Mesa para cenar para 3 personas/);
    expect((await customerBookings(w, '600555777'))[0]?.partySize).toBe(3);
  });

  it('a room or service named with a number ("Table for 10") says nothing about the party: a clicked time keeps the one said', async () => {
    const w = await world(hours, tables, [{ id: 'big-table', name: 'Table for 10', role: 'Dining room', serviceIds: ['table-lunch', 'table-dinner'] }]);
    const c = conversation(w);
    const first = await c.say("Can I book a dinner table for 4 on Saturday at 8pm? I'm Ana, 600 123 456");
    expect(first.quickReplies?.[0]?.text).toContain('Table for 10');
    const confirm = await c.say(first.quickReplies?.[0]?.text ?? '');
    expect(confirm.context.booking).toEqual(expect.objectContaining({ step: 'confirm', partySize: 4 }));
    expect(confirm.text).toContain('To confirm: Dinner table for 4 with Table for 10, Sat, 28 Mar, 20:00');
  });

  it("a group bigger than the service's maxPartySize is told the limit and offered a person, not booked", async () => {
    const w = await world(hours, tables, rooms);
    const c = conversation(w);
    const big = await c.say('a dinner table for 10 on Saturday at 8pm please');
    expect(big.text).toBe(
      'We take bookings online for groups of up to 8 (Dinner table). For a bigger group, a member of the team will gladly arrange it with you. Shall I ask one of them?',
    );
    expect(big).toEqual(expect.objectContaining({ kind: 'booking', handoffOffered: true, handoffRequested: false }));
    expect(big.context.booking).toBeUndefined();
    expect(await c.say('yes')).toEqual(expect.objectContaining({ handoffRequested: true, kind: 'handoff' }));
    // Up to the limit, the times are offered; lunch declares no limit.
    expect(offered(await conversation(w, 'conv-dialog-party-8').say('a dinner table for 8 on Saturday at 8pm please')).length).toBeGreaterThan(0);
    expect(offered(await conversation(w, 'conv-dialog-party-lunch').say('Mesa para comer para 10 personas el sábado a las 13:00')).length).toBeGreaterThan(0);
    const es = await conversation(w, 'conv-dialog-party-es-big').say('Una mesa para cenar para 12 personas el sábado a las 21:00');
    expect(es.text).toMatch(/^Por aquí aceptamos reservas para grupos de hasta 8 personas \(Mesa para cenar\)/);
  });
});

describe('no preference for who does it', () => {
  it.each([
    ['actually anyone is fine', 'en'],
    ['whoever is free', 'en'],
    ['me da igual quién', 'es'],
    ['con quien esté libre', 'es'],
  ])('"%s" drops the staff member asked for and offers anyone\'s times (was: "I\'m not sure")', async (words) => {
    const w = await world();
    const c = conversation(w);
    const first = await c.say('Can I get a check-up and clean with Marta Ruiz next Thursday at 3?');
    expect(first.context.booking?.staffId).toBe('marta-ruiz');
    const anyone = await c.say(words);
    expect(anyone.kind).toBe('booking');
    expect(anyone.context.booking).toEqual(expect.objectContaining({ mode: 'book', step: 'pick', serviceId: 'checkup-clean', date: '2026-04-02' }));
    expect(anyone.context.booking?.staffId).toBeUndefined();
    expect(offered(anyone).length).toBeGreaterThan(0);
  });
});

describe('a time without a day', () => {
  it('"a check-up at 3pm" is today at 3 while that is ahead, tomorrow\'s otherwise (was: the next free times from now)', async () => {
    const w = await world();
    // Friday 27 March, 10:00: 3pm is still ahead.
    const today = await conversation(w).say('Can I book a check-up at 3pm?');
    expect(offered(today).length).toBeGreaterThan(0);
    for (const s of offered(today)) expect(local(s.start)).toEqual({ date: '2026-03-27', time: expect.stringMatching(/^15:/) });
    // 9am has passed: Saturday the 28th opens at 09:00.
    const tomorrow = await conversation(w, 'conv-dialog-9am').say('Can I book a check-up at 9am?');
    for (const s of offered(tomorrow)) expect(local(s.start).date).toBe('2026-03-28');
  });
});

describe('slot filling over several turns', () => {
  it('asks for the service with quick replies, then the time, the slot ("the second"), the name and the phone', async () => {
    const w = await world();
    const c = conversation(w);
    const ask = await c.say("I'd like to make an appointment");
    expect(ask.text).toMatch(/^Which service would you like to book\?/);
    expect(ask.text).toContain('+353 1 555 0142');
    expect(ask.quickReplies?.map((q) => q.label)).toEqual(kb.services.map((s) => s.name));
    expect(ask.context.booking).toEqual(expect.objectContaining({ mode: 'book', step: 'service' }));

    const slots = await c.say('a check-up and clean');
    expect(slots.context.booking?.serviceId).toBe('checkup-clean');
    expect(offered(slots).length).toBe(3);

    const thursday = await c.say('Thursday at 3');
    expect(offered(thursday).map((s) => local(s.start))).toContainEqual({ date: '2026-04-02', time: '15:00' });

    const second = offered(thursday)[1] as Slot;
    const name = await c.say('the second');
    expect(name.context.booking).toEqual(expect.objectContaining({ step: 'contact', chosen: second }));
    expect(name.text).toMatch(/name and phone number/);

    const phone = await c.say('My name is Brian Kelly');
    expect(phone.text).toContain('Thanks, Brian Kelly. What phone number or e-mail');
    const confirm = await c.say('085 555 1212');
    expect(confirm.context.booking?.step).toBe('confirm');
    await c.say('yes please');
    // Typed the Irish way at an Irish business: kept as the +353 number a text or WhatsApp message comes from.
    const [booking] = await customerBookings(w, '+353855551212');
    expect(booking).toEqual(expect.objectContaining({ start: second.start, customer: { name: 'Brian Kelly', phone: '+353855551212' } }));
  });

  it('reads "the 3pm one" and a bare number as picks among the offered slots', async () => {
    const w = await world();
    const c = conversation(w);
    const first = await c.say('Book a check-up next Thursday at 3pm');
    const times = offered(first).map((s) => local(s.start).time);
    expect(times[0]).toBe('15:00');
    const pick = await c.say('the 3pm one');
    expect(local(pick.context.booking?.chosen?.start ?? '').time).toBe('15:00');

    const c2 = conversation(w, 'conv-dialog-2');
    const again = await c2.say('Book a check-up next Thursday after 2');
    const byNumber = await c2.say('2');
    expect(byNumber.context.booking?.chosen).toEqual(offered(again)[1]);
  });
});

describe('changing one’s mind', () => {
  it('updates the draft with a new day, a new dentist and a new service, and re-offers each time', async () => {
    const w = await world();
    const c = conversation(w);
    await c.say('Book a check-up next Thursday at 3pm');
    const friday = await c.say('actually make it next Friday');
    expect(offered(friday).length).toBeGreaterThan(0);
    for (const s of offered(friday)) expect(local(s.start).date).toBe('2026-04-03');
    const niamh = await c.say('with Dr Gallagher instead');
    expect(niamh.context.booking?.staffId).toBe('niamh-gallagher');
    for (const s of offered(niamh)) expect(s.staffId).toBe('niamh-gallagher');
    const whitening = await c.say('no, a whitening');
    expect(whitening.context.booking).toEqual(expect.objectContaining({ serviceId: 'teeth-whitening', staffId: 'niamh-gallagher', date: '2026-04-03', step: 'pick' }));
    expect(whitening.text).toContain('Teeth whitening: €350, 90 minutes');
    for (const s of offered(whitening)) expect(s.serviceId).toBe('teeth-whitening');
  });
});

describe('"next week" as a whole', () => {
  it('at a business closed on Mondays offers the first free times of the week, without saying Monday is closed', async () => {
    const w = await world(kb.hours.filter((h) => h.day !== 'mon'));
    const c = conversation(w);
    const week = await c.say('Can I book a check-up next week?');
    expect(week.text).not.toMatch(/closed|Monday/i);
    expect(week.text).toContain('These times are free:');
    expect(offered(week).length).toBeGreaterThan(0);
    for (const s of offered(week)) expect(local(s.start).date).toBe('2026-03-31'); // Tuesday, the week's first open day
    // With a time: the week's first day with free times in it (the nearest times at any hour were offered).
    const later = await conversation(w).say('Can I book a check-up next week after 4pm?');
    expect(later.text).not.toMatch(/closed|Monday/i);
    expect(offered(later).length).toBeGreaterThan(0);
    for (const s of offered(later)) expect(local(s.start).time >= '16:00').toBe(true);
    // A day named afterwards is that day, and its own problems are said.
    const monday = await c.say('what about Monday 6 April?');
    expect(monday.context.booking?.week).toBeUndefined();
    expect(monday.text).toMatch(/closed/i);
  });
});

describe("today's weekday named while a later day is on offer", () => {
  // Friday 27 March: Thursday 2 April is offered; "Friday" then means 3 April, not today (they would say "today").
  it('"mejor el viernes" offers Friday 3 April', async () => {
    const w = await world();
    const c = conversation(w);
    await c.say('¿Puedo pedir una limpieza el jueves que viene?');
    const friday = await c.say('mejor el viernes');
    expect(offered(friday).length).toBeGreaterThan(0);
    for (const s of offered(friday)) expect(local(s.start).date).toBe('2026-04-03');
  });

  it('"Friday would suit better" too, while "this Friday, today" is today', async () => {
    const w = await world();
    const c = conversation(w);
    await c.say('Book a check-up next Thursday');
    const friday = await c.say('Friday would suit better');
    for (const s of offered(friday)) expect(local(s.start).date).toBe('2026-04-03');
    expect(friday.context.booking?.date).toBe('2026-04-03');
    const today = await c.say('actually this Friday, today');
    expect(today.context.booking?.date).toBe('2026-03-27');
  });

  it('a date written out that falls today is today ("Friday 27th", "el 27", "27/3")', async () => {
    for (const text of ['Friday 27th would suit better', 'mejor el 27', 'could I do 27/3?']) {
      const w = await world();
      const c = conversation(w);
      await c.say('Book a check-up next Thursday');
      expect((await c.say(text)).context.booking?.date).toBe('2026-03-27'); // was pushed to 3 April
    }
  });
});

describe('a question in the middle of a booking', () => {
  it('answers it from the knowledge base, asks whether to continue, and carries on with the draft', async () => {
    const w = await world();
    const c = conversation(w);
    const first = await c.say('Can I get a cleaning next Thursday after 2?');
    const faq = await c.say('do you have parking?');
    expect(faq.kind).toBe('answer');
    expect(faq.sources[0]?.id).toBe('parking');
    expect(faq.text).toMatch(/Shall we continue with your booking\?$/);
    expect(faq.context.booking).toEqual(expect.objectContaining({ paused: true, serviceId: 'checkup-clean', date: '2026-04-02' }));
    const back = await c.say('yes');
    expect(back.kind).toBe('booking');
    expect(back.context.booking?.paused).toBeUndefined();
    expect(offered(back)).toEqual(offered(first));
  });
});

describe('abandoning', () => {
  it.each(['never mind', 'stop', 'cancel', 'olvídalo'])('"%s" drops the draft', async (text) => {
    const w = await world();
    const c = conversation(w);
    await c.say('Book a check-up next Thursday at 3pm');
    const a = await c.say(text);
    expect(a.context.booking).toBeUndefined();
    expect(a.kind).toBe('booking');
    expect(a.text).toMatch(/left the booking|dejo la reserva/);
  });
});

describe('a slot taken meanwhile', () => {
  it('says so and offers the alternatives as quick replies; nothing is booked for this customer', async () => {
    const w = await world();
    const c = conversation(w);
    const first = await c.say("Book a check-up next Thursday at 3pm, I'm Cara, cara@example.com");
    const wanted = offered(first)[0] as Slot;
    await c.say('1');
    // Someone else books the very slot while this customer reads the terms.
    await bookDirectly(w, wanted, { name: 'Someone Else', phone: '+353 87 000 0000' });
    const taken = await c.say('yes');
    expect(taken.text).toMatch(/^Sorry, that time was just taken/);
    expect(taken.context.booking).toEqual(expect.objectContaining({ step: 'pick' }));
    expect(taken.context.booking?.chosen).toBeUndefined();
    const alternatives = offered(taken);
    expect(alternatives.length).toBeGreaterThan(0);
    expect(alternatives).not.toContainEqual(wanted);
    expect(taken.quickReplies?.map((q) => q.text)).toEqual(taken.quickReplies?.map((q) => q.label));
    expect(taken.quickReplies).toHaveLength(alternatives.length);
    expect(await bookings.listCustomerBookings(w.tenantId, 'email:cara@example.com')).toEqual([]);
  });
});

describe('a deposit', () => {
  it('states the deposit before booking and says the payment link is coming after', async () => {
    const w = await world();
    const c = conversation(w);
    const first = await c.say('I would like teeth whitening next Friday at 2pm. Grace Ryan, grace@example.com');
    expect(first.text).toContain('A €50 deposit secures the booking.');
    const confirm = await c.say('the first one');
    expect(confirm.text).toContain("A €50 deposit is due to secure it: I'll send you a payment link.");
    const done = await c.say('yes');
    expect(done.text).toContain('A payment link for the €50 deposit is on its way');
    expect(done.text).toContain('within 30 minutes');
    const [booking] = await bookings.listCustomerBookings(w.tenantId, 'email:grace@example.com');
    expect(booking).toEqual(expect.objectContaining({ serviceId: 'teeth-whitening', depositCents: 5000 }));
  });
});

describe('"when is my appointment?"', () => {
  it('asks for the phone or e-mail first and shows only the bookings made with it', async () => {
    const w = await world();
    const slot: Slot = { serviceId: 'checkup-clean', staffId: 'marta-ruiz', start: '2026-04-02T09:00:00.000Z', end: '2026-04-02T09:45:00.000Z' };
    // Dana booked in an earlier chat on this browser; today's is another conversation of the same widget visitor.
    const earlier = await store.startConversation(w.tenantId, 'visitor-dana', 'en', 'web');
    await bookDirectly(w, slot, { name: 'Dana Lee', phone: '+353 86 123 4567' }, earlier.conversationId);
    const c = conversation(w, 'conv-dialog-1', 'web:visitor-dana');
    const ask = await c.say('When is my appointment?');
    expect(ask.text).toMatch(/What phone number or e-mail did you book with\?/);
    expect(ask.text).not.toContain('2 Apr');
    const wrong = await c.say('+353 86 999 9999');
    expect(wrong.text).toMatch(/can't find any upcoming bookings/);
    expect(wrong.text).not.toContain('2 Apr');
    const c2 = conversation(w, 'conv-dialog-2', 'web:visitor-dana');
    await c2.say('When is my appointment?');
    const right = await c2.say('it is +353 86 123 4567');
    expect(right.text).toContain('Your upcoming booking:');
    expect(right.text).toContain('Check-up & clean, Thu, 2 Apr, 10:00 with Marta Ruiz');
  });

  it("does not show, cancel or move someone else's booking for their phone number typed in another browser", async () => {
    const w = await world();
    const slot: Slot = { serviceId: 'checkup-clean', staffId: 'marta-ruiz', start: '2026-04-02T09:00:00.000Z', end: '2026-04-02T09:45:00.000Z' };
    const hers = await store.startConversation(w.tenantId, 'visitor-dana', 'en', 'web');
    const booking = await bookDirectly(w, slot, { name: 'Dana Lee', phone: '+353 86 123 4567' }, hers.conversationId);
    const stranger = conversation(w, 'conv-stranger', 'web:visitor-mallory');
    for (const attempt of ['When is my appointment? My number is +353 86 123 4567', 'cancel my appointment, my number is +353 86 123 4567', 'move my appointment to Friday, +353 86 123 4567']) {
      const a = await stranger.say(attempt);
      expect(a.text).toContain("I can't find any upcoming bookings made from this chat with those details");
      expect(a.text).not.toMatch(/2 Apr|Marta|Check-up/);
      expect(a.context.booking?.targetBookingId).toBeUndefined();
      await stranger.say('never mind');
    }
    // The same words for a number with no booking at all: nothing tells the two apart.
    const nobody = conversation(w, 'conv-nobody', 'web:visitor-mallory');
    expect((await nobody.say('When is my appointment? My number is +353 86 000 0000')).text).toBe(
      (await conversation(w, 'conv-stranger-2', 'web:visitor-mallory').say('When is my appointment? My number is +353 86 123 4567')).text,
    );
    expect((await bookings.getBooking(w.tenantId, booking.bookingId))?.status).toBe('held');
    // A person is offered instead (who can check who is asking): "yes" hands over.
    const asked = conversation(w, 'conv-stranger-3', 'web:visitor-mallory');
    const offer = await asked.say('when is my appointment? +353 86 123 4567');
    expect(offer).toEqual(expect.objectContaining({ handoffOffered: true, handoffRequested: false }));
    expect(offer.text).toContain('Shall I ask a member of the team to help?');
    expect(offer.quickReplies?.map((q) => q.label)).toEqual(['Yes, please', 'No, thanks']);
    expect(await asked.say('yes')).toEqual(expect.objectContaining({ handoffRequested: true, kind: 'handoff' }));
  });

  it('on WhatsApp, shows the bookings under the number the channel verified, wherever they were made', async () => {
    const w = await world();
    const slot: Slot = { serviceId: 'checkup-clean', staffId: 'marta-ruiz', start: '2026-04-02T09:00:00.000Z', end: '2026-04-02T09:45:00.000Z' };
    const web = await store.startConversation(w.tenantId, 'visitor-dana', 'en', 'web');
    await bookDirectly(w, slot, { name: 'Dana Lee', phone: '+353 86 123 4567' }, web.conversationId);
    const whatsapp = conversation(w, 'conv-whatsapp', 'whatsapp:+353861234567', 'whatsapp');
    const a = await whatsapp.say('when is my appointment? my number is +353 86 123 4567');
    expect(a.text).toContain('Check-up & clean, Thu, 2 Apr, 10:00 with Marta Ruiz');
    // Another WhatsApp number typing hers sees nothing.
    const other = conversation(w, 'conv-whatsapp-2', 'whatsapp:+353879999999', 'whatsapp');
    expect((await other.say('when is my appointment? my number is +353 86 123 4567')).text).toContain("I can't find any upcoming bookings");
  });

  it('uses the contact given earlier in the conversation', async () => {
    const w = await world();
    const c = conversation(w);
    await c.say("Book a check-up next Thursday at 3pm, I'm Eve, 087 444 5555");
    await c.say('1');
    await c.say('yes');
    const mine = await c.say('when is my next appointment?');
    expect(mine.text).toMatch(/Your upcoming booking:\n- Check-up & clean, Thu, 2 Apr, 15:00/);
  });
});

describe('reschedule and cancel', () => {
  const marta = (start: string): Slot => ({ serviceId: 'checkup-clean', staffId: 'marta-ruiz', start, end: new Date(Date.parse(start) + 45 * 60_000).toISOString() });

  it('moves a booking: contact, new slots, confirmation, the old one cancelled', async () => {
    const w = await world();
    const old = await bookDirectly(w, marta('2026-04-02T09:00:00.000Z'), { name: 'Kate Shaw', phone: '086 765 4321' });
    const c = conversation(w);
    const ask = await c.say('can I move my appointment to next Friday at 11am?');
    expect(ask.context.booking).toEqual(expect.objectContaining({ mode: 'reschedule', step: 'contact', date: '2026-04-03' }));
    const slots = await c.say('086 765 4321');
    expect(slots.text).toContain('When would you like to move Check-up & clean, Thu, 2 Apr, 10:00 to?');
    expect(offered(slots).map((s) => local(s.start))).toContainEqual({ date: '2026-04-03', time: '11:00' });
    // Another day while picking: its times, without asking the question again.
    const monday = await c.say('what about Monday?');
    expect(monday.text).not.toContain('When would you like to move');
    expect(monday.text).toMatch(/^These times are free:/);
    for (const s of offered(monday)) expect(local(s.start).date).toBe('2026-03-30');
    const friday = await c.say('no, Friday after all');
    expect(friday.text).not.toContain('When would you like to move');
    const confirm = await c.say('11am');
    expect(confirm.text).toContain('Move your booking from Thu, 2 Apr, 10:00 to Fri, 3 Apr, 11:00?');
    const done = await c.say('yes');
    expect(done.text).toMatch(/^Done! Your booking is now Check-up & clean with Marta Ruiz, Fri, 3 Apr, 11:00/);
    expect((await bookings.getBooking(w.tenantId, old.bookingId))?.status).toBe('cancelled');
    const active = (await customerBookings(w, '+353 86 765 4321')).filter((b) => b.status !== 'cancelled');
    expect(active).toEqual([expect.objectContaining({ rescheduledFrom: old.bookingId, staffId: 'marta-ruiz', start: '2026-04-03T10:00:00.000Z' })]);
  });

  it('asked to move a booking to the time it already has, says so (was: "nothing free at that time") and changes nothing', async () => {
    const w = await world();
    const old = await bookDirectly(w, marta('2026-04-02T09:00:00.000Z'), { name: 'Kate Shaw', phone: '086 765 4321' });
    const c = conversation(w);
    const same = await c.say('can I move my appointment to Thursday 2 April at 10am? my number is 086 765 4321');
    expect(same.text).toContain('Your booking is already at Thu, 2 Apr, 10:00.');
    expect(same.text).not.toContain('nothing free');
    // The nearest other times are still offered, and the booking is untouched.
    expect(offered(same).length).toBeGreaterThan(0);
    expect(offered(same).map((s) => s.start)).not.toContain(old.start);
    expect(w.events.events.map((e) => e.type)).not.toContain('booking.changed');
    expect(await bookings.getBooking(w.tenantId, old.bookingId)).toEqual(old);
    // Another of the times offered goes on as usual.
    const later = await c.say('3pm then');
    expect(later.text).toContain('Move your booking from Thu, 2 Apr, 10:00 to Thu, 2 Apr, 15:00?');
  });

  it('"can I move it to 3pm?": a time without a day is on the booking\'s own day (was: times from now on)', async () => {
    const w = await world();
    await bookDirectly(w, marta('2026-04-02T09:00:00.000Z'), { name: 'Kate Shaw', phone: '086 765 4321' });
    const c = conversation(w);
    const slots = await c.say('can I move my booking to 3pm? my number is 086 765 4321');
    expect(slots.text).toContain('When would you like to move Check-up & clean, Thu, 2 Apr, 10:00 to?');
    expect(offered(slots).length).toBeGreaterThan(0);
    for (const s of offered(slots)) expect(local(s.start).date).toBe('2026-04-02');
    expect(offered(slots).map((s) => local(s.start).time)).toContain('15:00');
  });

  it('cancels in time after the customer picks which booking, and keeps it on "no"', async () => {
    const w = await world();
    const a = await bookDirectly(w, marta('2026-04-02T09:00:00.000Z'), { name: 'James Power', phone: '085 987 6543' });
    const b = await bookDirectly(w, marta('2026-04-06T09:00:00.000Z'), { name: 'James Power', phone: '085 987 6543' });
    const c = conversation(w);
    await c.say('I need to cancel my appointment, my number is 085 987 6543');
    const which = c.answers[0] as Answer;
    expect(which.text).toMatch(/^Which booking would you like to cancel\?/);
    expect(which.quickReplies?.map((q) => q.text)).toEqual(which.quickReplies?.map((q) => q.label));
    expect(which.quickReplies).toHaveLength(2);
    // Clicking the second booking's chip sends its label.
    const confirm = await c.say(which.quickReplies?.[1]?.text ?? '');
    expect(confirm.text).toMatch(/^Cancel Check-up & clean, Mon, 6 Apr, 10:00\?/);
    const keep = await c.say('no');
    expect(keep.text).toMatch(/haven't changed anything/);
    expect((await bookings.getBooking(w.tenantId, b.bookingId))?.status).toBe('held');

    await c.say('cancel my appointment please');
    await c.say('the second');
    const done = await c.say('yes');
    expect(done.text).toContain('Your booking (Check-up & clean, Mon, 6 Apr, 10:00) is cancelled.');
    expect((await bookings.getBooking(w.tenantId, b.bookingId))?.status).toBe('cancelled');
    expect((await bookings.getBooking(w.tenantId, a.bookingId))?.status).toBe('held');
    expect(w.events.events.map((e) => e.type)).toContain('booking.cancelled');
  });

  it('too late for the policy: explains it, offers a person, and "yes" hands over', async () => {
    const w = await world();
    const soon = await bookDirectly(w, marta('2026-03-27T15:00:00.000Z'), { name: 'Liam Daly', phone: '087 000 1111' });
    const c = conversation(w);
    const late = await c.say('please cancel my appointment, 087 000 1111');
    expect(late.text).toContain('up to 24 hours before');
    expect(late.text).toMatch(/Shall I ask a member of the team to help\?/);
    expect(late).toEqual(expect.objectContaining({ handoffOffered: true, handoffRequested: false }));
    expect(late.context.pendingOffer).toBe('handoff');
    expect((await bookings.getBooking(w.tenantId, soon.bookingId))?.status).toBe('held');
    const yes = await c.say('yes please');
    expect(yes).toEqual(expect.objectContaining({ handoffRequested: true, kind: 'handoff' }));
  });
});

describe('a time closer than the cancellation notice', () => {
  it("says before booking that it can't be cancelled or changed here, instead of promising a free cancellation", async () => {
    const w = await world();
    const c = conversation(w);
    const first = await c.say("I'd like a check-up today please, I'm Ana, 600123456");
    expect(offered(first).every((s) => Date.parse(s.start) - NOW < 24 * 3_600_000)).toBe(true);
    const confirm = await c.say(first.quickReplies?.[0]?.text ?? '');
    expect(confirm.context.booking?.step).toBe('confirm');
    expect(confirm.text).toContain("It's less than 24 hours away, so once booked it can't be cancelled or changed here: call us on");
    expect(confirm.text).not.toContain('free of charge'); // was "You can cancel or change it free of charge up to 24 hours before"
  });
});

describe('impossible requests, answered honestly with alternatives', () => {
  it('a closed day', async () => {
    const w = await world();
    const a = await conversation(w).say('Can I come in for a check-up on Sunday?');
    expect(a.text).toContain("We're closed on Sunday, 29 March.");
    expect(a.text).toContain('The nearest free times:');
    expect(offered(a).length).toBeGreaterThan(0);
    expect(a.quickReplies?.length).toBe(offered(a).length);
  });

  it("a time outside the hours of an open day: closed at that time, and that day's nearest free times", async () => {
    const w = await world();
    const a = await conversation(w).say('Can I come in for a check-up on Monday at 7am?');
    expect(a.text).toContain("We're closed at that time on Monday, 30 March."); // was "closed on Monday", then Monday's times
    expect(offered(a).length).toBeGreaterThan(0);
    expect(offered(a).every((s) => s.start.startsWith('2026-03-30'))).toBe(true);
  });

  it('a service longer than what is left of the day: it would end after closing, not "closed" (salon, restaurant)', async () => {
    const w = await world();
    // Thursday 2 April opens until 19:30; teeth whitening takes 90 minutes, so 18:30 would end at 20:00.
    const a = await conversation(w).say('Can I book teeth whitening on Thursday at 6:30pm?');
    expect(a.text).toContain('Teeth whitening takes 90 minutes, so starting at that time on Thursday, 2 April it would end after we close at 19:30.');
    expect(a.text).not.toContain("We're closed");
    expect(offered(a).length).toBeGreaterThan(0);
    const es = await conversation(w, 'conv-dialog-es').say('Quiero reservar un blanqueamiento el jueves a las 18:30');
    expect(es.text).toContain('Blanqueamiento dental dura 90 minutos: si empieza a esa hora el jueves, 2 de abril, terminaría después de que cerremos, a las 19:30.');
    expect(es.text).not.toContain('Estamos cerrados');
  });

  it("a date that is no day of the calendar: says so and asks again, offering nothing (was: today's times)", async () => {
    const w = await world();
    const c = conversation(w);
    const a = await c.say('Can I book a check-up on 31/02?');
    expect(a.text).toContain("I can't find 31/02 in the calendar. Which day would you like?");
    expect(offered(a)).toEqual([]);
    const b = await c.say('Tuesday then');
    expect(offered(b).length).toBeGreaterThan(0);
    expect(offered(b).every((s) => s.start.startsWith('2026-03-31'))).toBe(true);
    const es = await conversation(w).say('Quiero reservar una revisión el 31 de febrero');
    expect(es.text).toContain('No encuentro el 31 de febrero en el calendario.');
  });

  it('"next year" or "in 3 years" is beyond the booking horizon, said so (was: no date, today\'s times offered)', async () => {
    const w = await world();
    for (const text of ['Can I book a check-up next year?', 'a check-up in 3 years please']) {
      const a = await conversation(w).say(text);
      expect(a.text).toMatch(/up to \d+ days ahead/);
    }
  });

  it('29 February, "el año que viene" are beyond the booking horizon, said so (were other days, or today\'s times)', async () => {
    const w = await world();
    expect((await conversation(w).say('Can I book a check-up on 29 feb?')).text).toMatch(/up to \d+ days ahead/);
    expect((await conversation(w).say('Quiero reservar una revisión el año que viene')).text).toMatch(/máximo de \d+ días de antelación/);
  });

  it('a dentist who does not do the service: the alternatives are with one who does', async () => {
    const w = await world();
    const a = await conversation(w).say('Can Marta Ruiz do my teeth whitening next Friday?');
    expect(a.text).toContain("Marta Ruiz doesn't do Teeth whitening.");
    expect(a.text).toContain('Dr Niamh Gallagher');
    expect(offered(a).length).toBeGreaterThan(0);
    for (const s of offered(a)) expect(s.staffId).toBe('niamh-gallagher');
    expect(a.context.booking?.staffId).toBeUndefined();
  });

  it('a time in the past', async () => {
    const w = await world();
    const a = await conversation(w).say('Can I book a check-up for yesterday at 3pm?');
    expect(a.text).toContain('That time has already passed.');
    expect(offered(a).every((s) => Date.parse(s.start) > NOW)).toBe(true);
  });

  it('beyond the booking horizon', async () => {
    const w = await world();
    const a = await conversation(w).say('Can I book a check-up on 30 September?');
    expect(a.text).toContain('We take bookings up to 60 days ahead.');
  });
});

describe('in Spanish', () => {
  it('books "una limpieza el jueves que viene después de las 2" end to end, in Spanish and Dublin time', async () => {
    const w = await world();
    const c = conversation(w);
    const first = await c.say('¿Puedo pedir una limpieza el jueves que viene después de las 2?');
    expect(first.lang).toBe('es');
    expect(first.text).toContain('Revisión y limpieza: 80 €, 45 minutos.');
    expect(first.text).toContain('Estas horas están libres:');
    expect(first.quickReplies?.[0]?.label).toMatch(/^jue, 2 abr, 1[4-8]:\d\d/);
    const contact = await c.say('la primera');
    expect(contact.text).toMatch(/A nombre de quién/);
    const confirm = await c.say('Soy Lucía Fernández, 600 123 456');
    expect(confirm.lang).toBe('es');
    expect(confirm.text).toContain('Para confirmar: Revisión y limpieza con');
    expect(confirm.text).toContain('hasta 24 horas antes');
    expect(confirm.text).toContain('¿La reservo?');
    const done = await c.say('sí');
    expect(done.text).toMatch(/^¡Hecho! He reservado/);
    const [booking] = await customerBookings(w, '600123456');
    expect(booking).toEqual(expect.objectContaining({ lang: 'es', customer: { name: 'Lucía Fernández', phone: '600123456' }, start: offered(first)[0]?.start }));
  });
});

describe('contact details in a message', () => {
  it('reads names with and without cues, and never takes ordinary words for a name', () => {
    const contact = (text: string, expecting = false) => contactIn(text, { ...(text.match(/\d/) ? { phone: text.replace(/[^\d+]/g, '') } : {}) }, expecting);
    expect(contactIn("I'm Ana, 600 123 456", { phone: '600123456' }, false)).toEqual({ name: 'Ana', phone: '600123456' });
    expect(contact('Hugh Nolan 086 111 2222')).toEqual({ name: 'Hugh Nolan', phone: '0861112222' });
    expect(contactIn('Ana López', {}, true)).toEqual({ name: 'Ana López' });
    expect(contactIn('Ana López', {}, false)).toEqual({});
    expect(contactIn("I'm looking for a cleaning", {}, false)).toEqual({});
    expect(contactIn('yes', {}, true)).toEqual({});
    expect(contactIn('My name is Brian Kelly', {}, false)).toEqual({ name: 'Brian Kelly' });
  });
});

// ---- conversational bugs found by driving whole conversations (each test failed before its fix) ----

const martaSlot = (start: string): Slot => ({ serviceId: 'checkup-clean', staffId: 'marta-ruiz', start, end: new Date(Date.parse(start) + 45 * 60_000).toISOString() });

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
    await bookDirectly(w, martaSlot('2026-04-02T09:00:00.000Z'), { name: 'James Power', phone: '+353859876543' });
    // Someone else has Marta at 11:00 on Friday 3 April.
    await bookDirectly(w, martaSlot('2026-04-03T10:00:00.000Z'), { name: 'Other', phone: '+353850000000' }, 'other-conv');
    const c = conversation(w);
    await c.say('I want to move my appointment, 085 987 6543');
    const taken = await c.say('next Friday at 11');
    expect(taken.text).toContain("Sorry, there's nothing free at that time on Friday, 3 April.");
    expect(taken.text).not.toContain("there's nothing free on Friday");
    expect(offered(taken).every((s) => local(s.start).date === '2026-04-03')).toBe(true);
    await c.say('1');
    const done = await c.say('yes');
    expect(done.text).toBe("Done! Your booking is now Check-up & clean with Marta Ruiz, Fri, 3 Apr, 12:00 (45 minutes), €80. You'll get a new confirmation shortly.");
  });

  it('in Spanish', async () => {
    const w = await world();
    await bookDirectly(w, martaSlot('2026-04-02T09:00:00.000Z'), { name: 'James Power', phone: '+353859876543' });
    await bookDirectly(w, martaSlot('2026-04-03T10:00:00.000Z'), { name: 'Other', phone: '+353850000000' }, 'other-conv');
    const c = conversation(w);
    await c.say('quiero cambiar mi cita, 085 987 6543');
    const taken = await c.say('el viernes que viene a las 11');
    expect(taken.text).toContain('Lo siento, no queda nada libre a esa hora el viernes, 3 de abril.');
    await c.say('1');
    const done = await c.say('sí');
    expect(done.text).toBe('¡Hecho! Su reserva es ahora Revisión y limpieza con Marta Ruiz, vie, 3 abr, 12:00 (45 minutos), 80 €. Recibirá una nueva confirmación en breve.');
  });
});

describe('"thanks" at the confirmation', () => {
  it.each([
    ['Book a check-up next Thursday', 'Ana, 087 123 4567', 'thanks', "You're welcome! Shall I go ahead and book it?", 'yes', /^Done! I've booked Check-up & clean/],
    ['Quiero una limpieza el jueves', 'Soy Ana, 087 123 4567', 'gracias', '¡De nada! ¿Se la reservo entonces?', 'sí', /^¡Hecho! He reservado Revisión y limpieza/],
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

describe('an emoji at the confirmation', () => {
  it.each([
    ['👍', /^Done! I've booked/],
    ['👍🏽', /^Done! I've booked/],
    ['✅', /^Done! I've booked/],
    ['👎', /^OK, I've left the booking/],
  ])('%s answers "Shall I book it?" (was an unrelated FAQ, nothing booked)', async (emoji, reply) => {
    const w = await world();
    const c = conversation(w);
    await c.say('Book a check-up next Thursday');
    await c.say('1');
    expect((await c.say('Ana, 087 123 4567')).context.booking?.step).toBe('confirm');
    const a = await c.say(emoji);
    expect(a.kind).toBe('booking');
    expect(a.text).toMatch(reply);
  });

  it('another emoji asks again', async () => {
    const w = await world();
    const c = conversation(w);
    await c.say('Book a check-up next Thursday');
    await c.say('1');
    await c.say('Ana, 087 123 4567');
    const a = await c.say('🤔');
    expect(a.text).toBe('Shall I book it?');
    expect(a.context.booking?.step).toBe('confirm');
    expect((await c.say('yes')).text).toMatch(/^Done! I've booked/);
  });
});

/**
 * A booking staff make (admin UI / REST) for a customer who gave only a phone number: the customer is told by SMS,
 * through the channel sender (no Twilio credentials here, so the channel outbox) — the deposit's payment link, the
 * confirmation (after the payment when a deposit is due) and a cancellation by the business — in the booking's
 * language, never to a number that opted out (STOP), and never instead of e-mail when they gave an address.
 * End to end in the local cloud: local Cognito tokens, the gateway, the bookings handler, the booking workflow on
 * the local Step Functions runner, the bus, the channel sender, DynamoDB Local.
 */
import { z } from 'zod';
import { bookingStore, channelStore, handoffStore, store } from '../../lambdas/adapters/container';
import { zonedToUtc } from '../../lambdas/core/nlu/time';
import { futureWeekday } from '../support/days';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { api, eventually, signIn } from '../support/staff';

let cloud: LocalCloud;
let token = '';
let tenantId = '';
const TZ = 'Europe/Dublin';
const STEP_MS = 60_000;
jest.setTimeout(240_000);

const booking = z.object({
  bookingId: z.string(),
  start: z.string(),
  status: z.string(),
  conversationId: z.string().optional(),
  payment: z.object({ status: z.string(), checkoutUrl: z.string().optional() }),
});
const bookingResult = z.object({ booking });

const at = (day: string, time: string): string => zonedToUtc(day, time, TZ).toISOString();

/** The weekday, day and month of an instant on the business's wall clock, spelt in `locale` (independent of the code under test). */
function dayParts(instant: string, locale: string): { weekday: string; day: string; month: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat(locale, { timeZone: TZ, weekday: 'long', day: 'numeric', month: 'long' }).formatToParts(new Date(instant)).map((p) => [p.type, p.value]),
  );
  return { weekday: parts['weekday'] ?? '?', day: parts['day'] ?? '?', month: parts['month'] ?? '?' };
}

async function createBooking(body: Record<string, unknown>): Promise<z.infer<typeof booking>> {
  const res = await api(cloud, 'POST', '/v1/admin/bookings', token, body);
  expect(res.status).toBe(201);
  return bookingResult.parse(res.body).booking;
}

async function getBooking(bookingId: string): Promise<z.infer<typeof booking>> {
  return bookingResult.parse((await api(cloud, 'GET', `/v1/admin/bookings/${bookingId}`, token)).body).booking;
}

/** SMS in the channel outbox to one number, oldest first. */
async function smsTo(phone: string): Promise<string[]> {
  return (await channelStore().listOutbox(tenantId, { limit: 50, to: phone, channel: 'sms' })).reverse().map((m) => m.text);
}

async function smsSoon(phone: string, what: string, match: (text: string) => boolean): Promise<string> {
  return eventually(async () => (await smsTo(phone)).find(match), what, STEP_MS);
}

function pay(bookingId: string, n: number): void {
  const detail = { tenantId, bookingId, paymentId: `pi_test_sms_${n}`, amountCents: 5000, eventId: `evt_sms_${n}` };
  const out = cloud.bus.putEvents([{ Source: 'concierge', DetailType: 'payment.succeeded', Detail: JSON.stringify(detail), EventBusName: cloud.env['EVENT_BUS_NAME'] ?? '' }]);
  expect(out.FailedEntryCount).toBe(0);
}

async function paid(bookingId: string, n: number): Promise<void> {
  await eventually(async () => ((await getBooking(bookingId)).payment.checkoutUrl ? true : undefined), 'the checkout to be created', STEP_MS);
  await eventually(async () => ((await bookingStore().getPaymentToken(tenantId, bookingId)) ? true : undefined), 'the workflow to wait for the payment', STEP_MS);
  pay(bookingId, n);
  await eventually(async () => ((await getBooking(bookingId)).status === 'confirmed' ? true : undefined), 'the booking to be confirmed', STEP_MS);
}

beforeAll(async () => {
  cloud = await startLocalCloud({ quiet: true });
  tenantId = cloud.demo.tenantId;
  token = await signIn(cloud, 'agent@harbour-dental.example', 'Harbour-Agent-2026!');
}, 240_000);

afterAll(async () => {
  await cloud?.settle();
  await cloud?.stop();
});

describe('a staff booking for a customer who gave only a phone number', () => {
  it('confirms by SMS (service, date and local time, price), to the number in E.164, and not by e-mail', async () => {
    const day = futureWeekday(3);
    const start = at(day, '10:00');
    const created = await createBooking({ serviceId: 'checkup-clean', staffId: 'marta-ruiz', start, customer: { name: 'Aoife Byrne', phone: '+353 87 555 0101' }, lang: 'en' });

    const sms = await smsSoon('+353875550101', 'the confirmation SMS', (t) => t.includes('confirmed'));
    const { weekday, day: dd, month } = dayParts(start, 'en-IE');
    expect(sms).toContain('Harbour Dental Studio'); // who is writing: the first SMS from this number
    expect(sms).toContain('Check-up & clean');
    expect(sms).toContain(`${weekday} ${dd} ${month}`);
    expect(sms).toContain('10:00'); // the business's wall clock, not UTC
    expect(sms).toContain('€80.00');
    expect(sms).toMatch(/STOP/);
    expect(sms.length).toBeLessThanOrEqual(320);

    await cloud.settle();
    expect((await smsTo('+353875550101')).filter((t) => t.includes('confirmed'))).toHaveLength(1);
    expect((await handoffStore().listOutbox(tenantId, 200)).filter((e) => e.bookingId === created.bookingId && !e.to.includes('hello@harbourdental.example'))).toEqual([]);
    // The booking is still a staff booking: it did not become one made in a conversation.
    expect((await getBooking(created.bookingId)).conversationId).toBeUndefined();

    // The text is in the number's SMS conversation (staff see it in the inbox), and the customer's answer joins it.
    const conversationId = await store().getVisitorConversation(tenantId, 'sms:+353875550101');
    if (!conversationId) throw new Error('no SMS conversation for the number');
    expect((await store().getConversation(tenantId, conversationId))?.channel).toBe('sms');
    const reply = { tenantId, channel: 'sms', from: '+353875550101', text: 'Thanks, see you then', media: [], providerMessageId: `SM${'0'.repeat(31)}1` };
    const out = cloud.bus.putEvents([{ Source: 'concierge', DetailType: 'channel.message.received', Detail: JSON.stringify(reply), EventBusName: cloud.env['EVENT_BUS_NAME'] ?? '' }]);
    expect(out.FailedEntryCount).toBe(0);
    const thread = await eventually(async () => {
      const messages = await store().listMessages(tenantId, conversationId, 0, 50);
      return messages.some((m) => m.role === 'customer' && m.text === reply.text) ? messages : undefined;
    }, 'the answer in the same conversation', STEP_MS);
    expect(thread[0]).toMatchObject({ role: 'bot', text: sms });
  });

  it('sends the deposit payment link by SMS, then the confirmation once paid', async () => {
    const start = at(futureWeekday(4), '11:30');
    const created = await createBooking({ serviceId: 'teeth-whitening', staffId: 'niamh-gallagher', start, customer: { name: 'Seán Ó Briain', phone: '+353875550102' }, lang: 'en' });

    const link = await smsSoon('+353875550102', 'the payment link SMS', (t) => t.includes('/checkout/'));
    const awaiting = await getBooking(created.bookingId);
    expect(awaiting.status).toBe('awaiting_payment');
    expect(awaiting.payment.checkoutUrl).toMatch(/^http/);
    expect(link).toContain(awaiting.payment.checkoutUrl);
    expect(link).toContain('€50.00');
    expect(link).toContain('11:30');
    expect(link).toContain(dayParts(start, 'en-IE').weekday);
    expect((await smsTo('+353875550102')).some((t) => t.includes('confirmed'))).toBe(false);

    await paid(created.bookingId, 1);
    const confirmed = await smsSoon('+353875550102', 'the confirmation SMS after the payment', (t) => t.includes('confirmed'));
    expect(confirmed).toContain('Teeth whitening');
    expect(confirmed).toContain('11:30');
    expect(confirmed).toContain('€50.00'); // the deposit received
    await cloud.settle();
    expect(await smsTo('+353875550102')).toHaveLength(2);
  });

  it("writes in the booking's language (Spanish)", async () => {
    const start = at(futureWeekday(5), '16:00');
    await createBooking({ serviceId: 'checkup-clean', staffId: 'marta-ruiz', start, customer: { name: 'Lucía Pérez', phone: '+34 600 555 010' }, lang: 'es' });
    const sms = await smsSoon('+34600555010', 'the Spanish confirmation SMS', (t) => /confirmada/i.test(t));
    const { weekday, day: dd, month } = dayParts(start, 'es-ES');
    expect(sms).toContain(`${weekday} ${dd} de ${month}`);
    expect(sms).toContain('16:00');
    expect(sms).toContain('Revisión y limpieza'); // the service's Spanish name
    expect(sms).not.toMatch(/confirmed|deposit/i);
  });

  it('reads a number typed the local way in the business country: the same customer as on SMS and WhatsApp', async () => {
    // The demo business gives its phone as +353 1 555 0142, so "087 555 0108" is an Irish mobile.
    const created = await createBooking({ serviceId: 'checkup-clean', staffId: 'marta-ruiz', start: at(futureWeekday(9), '09:00'), customer: { name: 'Dara Kelly', phone: '087 555 0108' }, lang: 'en' });
    const saved = z.object({ booking: z.object({ customer: z.object({ phone: z.string() }) }) }).parse((await api(cloud, 'GET', `/v1/admin/bookings/${created.bookingId}`, token)).body);
    expect(saved.booking.customer.phone).toBe('+353875550108');
    await smsSoon('+353875550108', 'the confirmation SMS to the number read as Irish', (t) => t.includes('confirmed'));
    // Found under the key a verified SMS or WhatsApp number has, so that customer's "my bookings" lists it.
    expect((await bookingStore().listCustomerBookings(tenantId, 'phone:+353875550108')).map((b) => b.bookingId)).toEqual([created.bookingId]);
  });

  it('tells the customer by SMS when staff cancel it', async () => {
    const created = await createBooking({ serviceId: 'checkup-clean', staffId: 'marta-ruiz', start: at(futureWeekday(6), '12:00'), customer: { name: 'Ciara Walsh', phone: '+353875550104' }, lang: 'en' });
    await smsSoon('+353875550104', 'the confirmation SMS', (t) => t.includes('confirmed'));
    await cloud.settle();
    expect((await api(cloud, 'POST', `/v1/admin/bookings/${created.bookingId}/cancel`, token, { reason: 'Hygienist off sick' })).status).toBe(200);
    const told = await smsSoon('+353875550104', 'the cancellation SMS', (t) => t.includes('had to cancel'));
    expect(told).toContain("we've had to cancel your Check-up & clean");
    expect(told).not.toContain('Hygienist off sick');
  });
});

describe('what a staff booking does not send by SMS', () => {
  it('an opted-out number (STOP) gets no SMS at all, while another number booked alongside does', async () => {
    const optedOut = '+353875550105';
    const other = '+353875550106';
    await channelStore().putOptOut(tenantId, { address: optedOut, optedOut: true, at: new Date().toISOString(), keyword: 'STOP' });
    const day = futureWeekday(7);
    const quiet = await createBooking({ serviceId: 'teeth-whitening', staffId: 'niamh-gallagher', start: at(day, '09:30'), customer: { name: 'Opted Out', phone: '+353 87 555 0105' }, lang: 'en' });
    const control = await createBooking({ serviceId: 'teeth-whitening', staffId: 'niamh-gallagher', start: at(day, '14:00'), customer: { name: 'Not Opted Out', phone: other }, lang: 'en' });

    await smsSoon(other, 'the payment link SMS to the number that did not opt out', (t) => t.includes('/checkout/'));
    await paid(quiet.bookingId, 2);
    await paid(control.bookingId, 3);
    await smsSoon(other, 'the confirmation SMS to the number that did not opt out', (t) => t.includes('confirmed'));
    await cloud.settle();

    expect(await smsTo(optedOut)).toEqual([]);
    // Nothing was even written for it: no SMS conversation, so no refused delivery either.
    expect(await store().getVisitorConversation(tenantId, `sms:${optedOut}`)).toBeUndefined();
    expect((await getBooking(quiet.bookingId)).status).toBe('confirmed');
    // The staff notice says this customer was not told (and the other one was).
    const notices = (await handoffStore().listOutbox(tenantId, 200)).filter((e) => e.kind === 'booking.confirmed');
    expect(notices.find((e) => e.bookingId === quiet.bookingId)?.text).toContain('The customer has not been told');
    expect(notices.find((e) => e.bookingId === control.bookingId)?.text).not.toContain('not been told');
  });

  it('a customer who gave an e-mail address is e-mailed, not texted, even with a phone number', async () => {
    const start = at(futureWeekday(8), '15:00');
    const created = await createBooking({
      serviceId: 'checkup-clean',
      staffId: 'marta-ruiz',
      start,
      customer: { name: 'Both Ways', phone: '+353875550107', email: 'both@example.com' },
      lang: 'en',
    });
    const email = await eventually(
      async () => (await handoffStore().listOutbox(tenantId, 200)).find((e) => e.bookingId === created.bookingId && e.kind === 'booking.confirmed' && e.to.includes('both@example.com')),
      'the confirmation e-mail',
      STEP_MS,
    );
    expect(email.text).toContain('15:00');
    await cloud.settle();
    expect(await smsTo('+353875550107')).toEqual([]);
    expect(await store().getVisitorConversation(tenantId, 'sms:+353875550107')).toBeUndefined();
  });
});

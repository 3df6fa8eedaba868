/**
 * A booking and a handoff done entirely over simulated WhatsApp, end to end through the local cloud: Twilio
 * webhooks signed with the twilio SDK's own `getExpectedTwilioSignature` over the exact URL, POSTed to the REAL
 * route; the local bus applying the declared rules; handlers/channel-message.ts running the conversation; the
 * real booking and handoff ASL on aws-local-stepfunctions; the channel sender writing every reply into the local
 * channel outbox, where the customer's phone "reads" it. The clock starts at a fixed Monday
 * (CONCIERGE_CLOCK_START, set before the container is imported), so "Thursday" is a known day.
 *
 * - Journey A (booking): a question → numbered slots → "1" → asked only for a name (WhatsApp gave the phone)
 *   → "Ana Lopez" → the terms → "yes" → the booking workflow confirms → the confirmation reaches WhatsApp, and
 *   the booking carries the WhatsApp phone.
 * - Journey B (handoff): "can I talk to a person" → `handoff.requested` on the bus, the handoff ASL starts, the
 *   customer is told to wait; an agent accepts and replies through the staff REST API → the reply reaches
 *   WhatsApp; the bot stays silent; close → the CSAT question on WhatsApp → "5" → recorded.
 * - A replayed webhook (same MessageSid) produces no second reply.
 */
process.env['CONCIERGE_CLOCK_START'] = '2026-12-07T09:00:00Z';

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import twilio from 'twilio';
import { z } from 'zod';
import { bookingStore, channelStore, handoffStore, knowledgeStore, store } from '../../lambdas/adapters/container';
import type { ChannelOutboxMessage } from '../../lambdas/adapters/channels/delivery-store';
import { defaultBookingSettings } from '../../lambdas/core/booking/ports';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema, type KnowledgeBase } from '../../lambdas/core/knowledge-base';
import { newWidgetKey } from '../../lambdas/core/widget-key';
import { twilioForm } from '../../local-cloud/channel-simulator';
import type { PutEventsEntry } from '../../local-cloud/event-bus';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { api, ensureStaff, eventually, signIn, staffSocket } from '../support/staff';

const TENANT = 'wa-journeys';
const PASSWORD = 'WhatsApp-Journeys-2026!';
const AGENT = `agent@${TENANT}.example`;
const STEP_MS = 60_000;

let cloud: LocalCloud;
/** Every entry put on the bus (by any handler), in order. */
const busEntries: PutEventsEntry[] = [];

beforeAll(async () => {
  cloud = await startLocalCloud({ quiet: true, waitScale: 0.02 });
  const putEvents = cloud.bus.putEvents.bind(cloud.bus);
  jest.spyOn(cloud.bus, 'putEvents').mockImplementation((entries) => {
    busEntries.push(...entries);
    return putEvents(entries);
  });
  const demo: KnowledgeBase = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '..', '..', 'local-cloud', 'seed', 'demo-kb.json'), 'utf8')));
  const origin = new URL(cloud.urls.demoSite).origin;
  // The demo's own hours: Monday 09:00 (the fixed clock) is open, and "after 2" means the afternoon.
  await provisionTenant(knowledgeStore(), { tenantId: TENANT, widgetKey: newWidgetKey(TENANT), allowedOrigins: [origin], kb: { ...demo, business: { ...demo.business, slug: TENANT } } });
  await bookingStore().putBookingSettings(TENANT, { ...defaultBookingSettings, minNoticeMinutes: 0, reminderHoursBefore: 0 });
  // A day (29 min at this scale): journey B's accept never races the SLA timer, however slow the machine.
  await handoffStore().putHandoffSettings(TENANT, { slaSeconds: 86_400, cannedReplies: [] });
  await ensureStaff(cloud, [{ email: AGENT, password: PASSWORD, tenantId: TENANT, groups: ['agent'] }]);
}, 240_000);

afterAll(async () => {
  await cloud?.stop();
}, 60_000);

/** A fresh Spanish mobile number per journey. */
const phone = (): string => `+346${String(randomBytes(4).readUInt32BE() % 1e8).padStart(8, '0')}`;

/** Posts Twilio's incoming-message webhook for a WhatsApp message, signed exactly as Twilio signs it. */
async function whatsapp(from: string, text: string, form = twilioForm('whatsapp', from, text)): Promise<Record<string, string>> {
  const url = `${cloud.urls.rest}/v1/webhooks/twilio/${TENANT}`;
  const token = cloud.env['TWILIO_AUTH_TOKEN'];
  if (!token) throw new Error('the local cloud set no Twilio auth token');
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(token, url, form) },
    body: new URLSearchParams(form).toString(),
  });
  expect(response.status).toBe(200);
  expect(await response.text()).toContain('<Response/>');
  return form;
}

/** What the customer's phone has received on WhatsApp, oldest first. */
async function inbox(to: string): Promise<ChannelOutboxMessage[]> {
  const all = await channelStore().listOutbox(TENANT, { limit: 500, channel: 'whatsapp' });
  return all.filter((m) => m.to.endsWith(to)).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.seq - b.seq || a.segment - b.segment);
}

/** Waits for the next WhatsApp message to `to` after the `seen` first ones that matches. */
async function received(to: string, seen: number, match: (m: ChannelOutboxMessage) => boolean = () => true): Promise<ChannelOutboxMessage> {
  return eventually(async () => (await inbox(to)).slice(seen).find(match), `a WhatsApp message to the customer after #${seen}`, STEP_MS);
}

/** Sends a message and returns the reply the customer receives. */
async function say(from: string, text: string, match?: (m: ChannelOutboxMessage) => boolean): Promise<ChannelOutboxMessage> {
  const seen = (await inbox(from)).length;
  await whatsapp(from, text);
  return received(from, seen, match);
}

const conversationOf = async (from: string): Promise<string> => {
  const id = await store().getVisitorConversation(TENANT, `whatsapp:${from}`);
  if (!id) throw new Error(`no conversation for ${from}`);
  return id;
};

describe('WhatsApp journeys through the bus and the real ASL', () => {
  it('A: books a cleaning over WhatsApp, answering the slots by number, and the confirmation reaches the phone', async () => {
    const from = phone();
    const offer = await say(from, 'Can I get a cleaning on Thursday after 2?');
    expect(offer.kind).toBe('reply');
    expect(offer.text).toContain('Check-up & clean');
    // The slots as numbered options (interactive buttons would need approved templates), listed once.
    expect(offer.text).toMatch(/\n1\. Thu, 10 Dec, 1[4-7]:\d\d with /);
    expect(offer.text).toMatch(/\nReply 1(, 2)?( or \d)?\.$/);
    expect(offer.text.match(/^1\. /gm)).toHaveLength(1);
    const firstSlot = /\n1\. (Thu, 10 Dec, 1[4-7]:\d\d)/.exec(offer.text);
    expect(firstSlot).not.toBeNull();

    const ask = await say(from, '1');
    // The phone is known from WhatsApp: only the name is asked for.
    expect(ask.text).toMatch(/name/i);
    expect(ask.text).not.toMatch(/phone/i);
    const conversationId = await conversationOf(from);
    const stored = await store().listMessages(TENANT, conversationId, 0, 50);
    // Stored as typed (what the inbox shows), answered as meant.
    expect(stored.filter((m) => m.role === 'customer').map((m) => m.text)).toEqual(['Can I get a cleaning on Thursday after 2?', '1']);

    const terms = await say(from, 'Ana Lopez');
    expect(terms.text).toMatch(/^To confirm: Check-up & clean with .+, Thu, \d{1,2} Dec, 1\d:\d\d \(45 minutes\), €80\./);
    expect(terms.text).toContain(firstSlot?.[1] ?? '-');
    expect(terms.text).toMatch(/1\. Yes, book it\n2\. No\nReply 1 or 2\./);

    const seenBeforeYes = (await inbox(from)).length;
    await whatsapp(from, 'yes');
    const done = await received(from, seenBeforeYes, (m) => m.kind === 'reply');
    expect(done.text).toMatch(/^Done! I've booked Check-up & clean/);

    const booking = await eventually(async () => {
      const all = await bookingStore().listBookings(TENANT, '2026-12-01T00:00:00Z', '2027-03-01T00:00:00Z');
      return all.find((b) => b.conversationId === conversationId && b.status === 'confirmed');
    }, 'the booking workflow to confirm the booking', STEP_MS);
    expect(booking).toEqual(expect.objectContaining({ serviceId: 'checkup-clean', channel: 'whatsapp', customer: expect.objectContaining({ name: 'Ana Lopez', phone: from }) }));
    // booking.requested → the declared rule → the real booking ASL.
    expect(busEntries.some((e) => e.DetailType === 'booking.requested' && e.Detail?.includes(booking.bookingId))).toBe(true);
    expect(cloud.workflows.listExecutions().some((e) => e.stateMachine === 'booking' && e.input.includes(booking.bookingId))).toBe(true);
    // The workflow's confirmation lands on WhatsApp.
    const confirmation = await received(from, seenBeforeYes, (m) => m.kind === 'booking');
    expect(confirmation.conversationId).toBe(conversationId);
    expect(confirmation.text).toMatch(/confirmed/i);
  });

  it('B: hands a WhatsApp customer to a person, relays the agent, keeps the bot silent and records the CSAT score', async () => {
    // An agent is online in the inbox (else the handoff offers a callback at once).
    const agent = await signIn(cloud, AGENT, PASSWORD);
    const staffInbox = await staffSocket(cloud, agent);
    try {
      await journeyB(agent);
    } finally {
      await staffInbox.close();
    }
  });

  async function journeyB(agent: string): Promise<void> {
    const from = phone();
    const seen0 = (await inbox(from)).length;
    await whatsapp(from, 'can I talk to a person');
    const waiting = await received(from, seen0, (m) => m.kind === 'system' && /asked the team/i.test(m.text));
    const conversationId = await conversationOf(from);
    expect(waiting.conversationId).toBe(conversationId);
    expect(busEntries.some((e) => e.DetailType === 'handoff.requested' && e.Detail?.includes(conversationId))).toBe(true);
    await eventually(async () => cloud.workflows.listExecutions().find((e) => e.stateMachine === 'handoff' && e.input.includes(conversationId)), 'the handoff workflow to start', STEP_MS);
    await eventually(async () => ((await store().getConversation(TENANT, conversationId))?.mode === 'waiting_for_human' ? true : undefined), 'waiting for a person', STEP_MS);

    expect((await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/accept`, agent)).status).toBe(200);
    const seen1 = (await inbox(from)).length;
    expect((await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/messages`, agent, { text: 'Hi, this is Maria at the front desk. How can I help?' })).status).toBe(201);
    const relayed = await received(from, seen1, (m) => m.kind === 'agent');
    expect(relayed.text).toBe('Hi, this is Maria at the front desk. How can I help?');

    // The bot stays silent while a person owns the thread.
    // Everything already on its way to the phone (the accept, the relay) lands first, so "nothing new" below is exact.
    await cloud.settle();
    const botBefore = (await store().listMessages(TENANT, conversationId, 0, 200)).filter((m) => m.role === 'bot').length;
    const seen2 = (await inbox(from)).length;
    await whatsapp(from, 'Do you have parking?');
    await eventually(
      async () => ((await store().listMessages(TENANT, conversationId, 0, 200)).some((m) => m.role === 'customer' && m.text === 'Do you have parking?') ? true : undefined),
      'the customer message to be stored',
      STEP_MS,
    );
    await cloud.settle();
    expect((await store().listMessages(TENANT, conversationId, 0, 200)).filter((m) => m.role === 'bot')).toHaveLength(botBefore);
    expect((await inbox(from)).slice(seen2)).toEqual([]);

    // Close → one CSAT question on WhatsApp → "5" is recorded on this handoff.
    expect((await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/close`, agent)).status).toBe(200);
    const csat = await received(from, seen2, (m) => m.kind === 'csat');
    expect(csat.text).toMatch(/how satisfied/i);
    expect(csat.text).not.toMatch(/Reply 1, 2 or 3/); // the scale is named in the question, not cut to three options
    await cloud.settle(); // the close's own messages have landed: the next one is the answer to "5"
    const seen3 = (await inbox(from)).length;
    await whatsapp(from, '5');
    const thanks = await received(from, seen3);
    expect(thanks.text).toMatch(/thank you/i);
    expect(thanks.conversationId).toBe(conversationId);
    const view = await api(cloud, 'GET', `/v1/admin/inbox/${conversationId}`, agent);
    expect(view.status).toBe(200);
    const handoff = z.object({ handoff: z.object({ status: z.string(), csat: z.object({ score: z.number().optional() }).optional() }).nullable() }).parse(view.body).handoff;
    expect(handoff).toMatchObject({ status: 'closed', csat: { score: 5 } });
    expect(busEntries.some((e) => e.DetailType === 'handoff.csat' && e.Detail?.includes(conversationId))).toBe(true);
  }

  it('answers a replayed webhook (same MessageSid) once', async () => {
    const from = phone();
    const form = await whatsapp(from, 'Do you have parking?');
    const answer = await received(from, 0, (m) => m.kind === 'reply');
    expect(answer.text).toMatch(/park/i);
    await whatsapp(from, 'Do you have parking?', form); // Twilio retrying the same delivery
    await cloud.settle();
    expect((await inbox(from)).filter((m) => m.kind === 'reply')).toHaveLength(1);
    const messages = await store().listMessages(TENANT, await conversationOf(from), 0, 50);
    expect(messages.map((m) => m.role)).toEqual(['customer', 'bot']);
  });
});

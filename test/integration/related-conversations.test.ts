/**
 * One customer, one history: `GET /v1/admin/conversations/{conversationId}/related` through the local cloud. A
 * widget conversation where the customer gave their phone and a WhatsApp conversation from that phone (a webhook
 * signed as Twilio signs it, through the real route and the bus) list each other; the tenant is the token's, so
 * another tenant's staff get 404.
 */
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { z } from 'zod';
import { store } from '../../lambdas/adapters/container';
import { twilioForm } from '../../local-cloud/channel-simulator';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { api, ensureStaff, eventually, signIn } from '../support/staff';
import { demoWidget, widgetCustomer } from '../support/ws-client';

const PASSWORD = 'Related-Test-2026!';
let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud({ quiet: true });
  await ensureStaff(cloud, [{ email: 'agent@related-other.example', password: PASSWORD, tenantId: 'related-other', groups: ['agent'] }]);
}, 240_000);

afterAll(async () => {
  await cloud?.stop();
}, 60_000);

const related = z.object({
  items: z.array(z.strictObject({ conversationId: z.string(), channel: z.string(), mode: z.string(), createdAt: z.string(), lastMessageAt: z.string(), preview: z.string() })),
});

it('lists the same customer’s conversation on the other channel, both ways, and nothing to another tenant', async () => {
  const tenantId = cloud.demo.tenantId;
  const from = `+346${String(randomBytes(4).readUInt32BE() % 1e8).padStart(8, '0')}`;
  const session = await widgetCustomer(demoWidget(cloud), { lang: 'en' });
  await session.ask(`My phone number is ${from}`);
  await session.socket.close();

  const url = `${cloud.urls.rest}/v1/webhooks/twilio/${tenantId}`;
  const form = twilioForm('whatsapp', from, 'Do you have parking?');
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(cloud.env['TWILIO_AUTH_TOKEN'] ?? '', url, form) },
    body: new URLSearchParams(form).toString(),
  });
  expect(response.status).toBe(200);
  const whatsappId = await eventually(() => store().getVisitorConversation(tenantId, `whatsapp:${from}`), 'the WhatsApp conversation', 60_000);
  await cloud.settle();

  const staff = await signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
  const fromWhatsApp = await api(cloud, 'GET', `/v1/admin/conversations/${whatsappId}/related`, staff);
  expect(fromWhatsApp.status).toBe(200);
  expect(related.parse(fromWhatsApp.body).items).toEqual([expect.objectContaining({ conversationId: session.conversationId, channel: 'web', mode: 'bot' })]);
  expect(related.parse(fromWhatsApp.body).items[0]?.preview.length).toBeGreaterThan(0);

  const fromWeb = await api(cloud, 'GET', `/v1/admin/conversations/${session.conversationId}/related`, staff);
  expect(fromWeb.status).toBe(200);
  expect(related.parse(fromWeb.body).items).toEqual([expect.objectContaining({ conversationId: whatsappId, channel: 'whatsapp', preview: expect.stringMatching(/park/i) })]);

  const other = await signIn(cloud, 'agent@related-other.example', PASSWORD);
  expect((await api(cloud, 'GET', `/v1/admin/conversations/${whatsappId}/related`, other)).status).toBe(404);
  expect((await api(cloud, 'GET', '/v1/admin/conversations/not-an-id!/related', staff)).status).toBe(400);
  expect((await api(cloud, 'GET', `/v1/admin/conversations/${whatsappId}/related`)).status).toBe(401);
});

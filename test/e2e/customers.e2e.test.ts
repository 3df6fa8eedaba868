/**
 * The Customers & privacy page in Debian's Chromium against the local cloud: the owner finds a WhatsApp
 * customer by their phone, downloads their data (a JSON file holding their message), erases them with the typed
 * confirmation, and searching again finds nothing. axe-core scans the page. Also: staff open a WhatsApp customer's
 * photo from the inbox.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import twilio from 'twilio';
import { store } from '../../lambdas/adapters/container';
import { twilioForm } from '../../local-cloud/channel-simulator';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { seriousViolations, signInToAdmin } from '../support/admin-e2e';
import { launchChromium } from '../support/browser';
import { eventually } from '../support/staff';

let cloud: LocalCloud;
let browser: Browser;

beforeAll(async () => {
  [cloud, browser] = await Promise.all([startLocalCloud({ quiet: true }), launchChromium()]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
});

async function whatsapp(form: Record<string, string>): Promise<void> {
  const url = `${cloud.urls.rest}/v1/webhooks/twilio/${cloud.demo.tenantId}`;
  const sent = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(cloud.env['TWILIO_AUTH_TOKEN'] ?? '', url, form) },
    body: new URLSearchParams(form).toString(),
  });
  expect(sent.status).toBe(200);
}

it("shows a WhatsApp customer's photo in the inbox as a link staff can open, and a plain-http address as no link", async () => {
  const phone = `+346${String(randomBytes(4).readUInt32BE() % 1e8).padStart(8, '0')}`;
  const photo = `https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM${randomBytes(8).toString('hex')}/Media/ME1`;
  await whatsapp({
    ...twilioForm('whatsapp', phone, 'Is this swelling normal?'),
    NumMedia: '2',
    MediaUrl0: photo,
    MediaContentType0: 'image/jpeg',
    MediaUrl1: 'http://media.example/voice.ogg',
    MediaContentType1: 'audio/ogg',
  });
  const conversationId = await eventually(() => store().getVisitorConversation(cloud.demo.tenantId, `whatsapp:${phone}`), 'the WhatsApp conversation', 60_000);
  await cloud.settle();

  const page = await browser.newPage();
  try {
    await signInToAdmin(page, cloud.urls.admin, cloud.demo.staffEmail, cloud.demo.staffPassword);
    await page.goto(`${cloud.urls.admin}#/inbox/all/${encodeURIComponent(conversationId)}`);
    const message = page.locator('[data-testid="inbox-message"][data-role="customer"]').filter({ hasText: 'Is this swelling normal?' });
    await message.waitFor({ timeout: 30_000 });
    const links = message.getByTestId('message-attachment');
    // The voice note's plain-http address is not kept as a link (its line stays in the text).
    expect(await links.allTextContents()).toEqual(['Open Photo (image/jpeg)']);
    expect(await message.textContent()).toContain('[attachment: audio/ogg]');
    const link = links.first().locator('a');
    expect(await link.getAttribute('href')).toBe(photo);
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await seriousViolations(page)).toEqual([]);
  } finally {
    await page.close();
  }
}, 180_000);

it('finds a customer, downloads their data, erases them with a typed confirmation, and then finds nothing', async () => {
  const phone = `+346${String(randomBytes(4).readUInt32BE() % 1e8).padStart(8, '0')}`;
  const phrase = `parking-${randomBytes(4).toString('hex')}`;
  const url = `${cloud.urls.rest}/v1/webhooks/twilio/${cloud.demo.tenantId}`;
  const form = twilioForm('whatsapp', phone, `Is there ${phrase} near you?`);
  const sent = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(cloud.env['TWILIO_AUTH_TOKEN'] ?? '', url, form) },
    body: new URLSearchParams(form).toString(),
  });
  expect(sent.status).toBe(200);
  await eventually(() => store().getVisitorConversation(cloud.demo.tenantId, `whatsapp:${phone}`), 'the WhatsApp conversation', 60_000);
  await cloud.settle();

  const page = await browser.newPage({ acceptDownloads: true });
  await signInToAdmin(page, cloud.urls.admin, cloud.demo.staffEmail, cloud.demo.staffPassword);
  await page.getByTestId('nav-customers').click();
  await page.getByTestId('customers-page').waitFor();
  await page.getByTestId('retention-days').waitFor();

  await page.getByLabel('Phone, e-mail or channel identity').fill(phone.replace(/^\+34/, '+34 '));
  await page.getByTestId('customer-find').click();
  const summary = page.getByTestId('customer-summary');
  await summary.waitFor();
  expect(await summary.getAttribute('data-customer-key')).toBe(`phone:${phone}`);
  expect(await page.locator('[data-testid="customer-count"][data-store="messages"]').count()).toBe(1);
  expect(await seriousViolations(page)).toEqual([]);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('customer-download').click()]);
  expect(download.suggestedFilename()).toMatch(/^customer-[0-9a-f]{12}\.json$/);
  const exported: unknown = JSON.parse(await readFile(await download.path(), 'utf8'));
  expect(JSON.stringify(exported)).toContain(phrase);
  expect(exported).toMatchObject({ customerKey: `phone:${phone}` });

  await page.getByTestId('customer-erase').click();
  const confirm = page.getByTestId('customer-erase-confirm');
  expect(await confirm.isDisabled()).toBe(true);
  await page.getByLabel('Customer to erase').fill('phone:+34000000000');
  expect(await confirm.isDisabled()).toBe(true);
  await page.getByLabel('Customer to erase').fill(`phone:${phone}`);
  await confirm.click();
  await page.getByTestId('customer-erased').waitFor();
  expect(await store().getVisitorConversation(cloud.demo.tenantId, `whatsapp:${phone}`)).toBeUndefined();

  await page.getByTestId('customer-find').click();
  await page.getByTestId('customer-not-found').waitFor();
  expect(await page.getByTestId('customer-not-found').textContent()).toContain(phone);
  await page.close();
}, 180_000);

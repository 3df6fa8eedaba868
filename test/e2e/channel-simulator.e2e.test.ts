/**
 * The channel simulator in a real browser against the local cloud: a person playing a WhatsApp customer types a
 * question; the page signs the webhook as Twilio would and posts it through the real route; the concierge's answer
 * comes back through the channel sender into the local channel outbox and shows on the page. Text never becomes
 * markup.
 */
import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { launchChromium } from '../support/browser';

const STEP_MS = 45_000;

let cloud: LocalCloud | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  cloud = await startLocalCloud({ quiet: true });
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
}, 60_000);

it('sends a WhatsApp message and shows the concierge’s answer', async () => {
  if (!cloud || !browser) throw new Error('local cloud or browser did not start');
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${cloud.urls.rest}/simulator`);
  /**
   * Sends what is typed and waits for the page's own POST to finish: the transcript polls on its own, so a
   * message can show before the send has returned (and the page then clears the box and sets the status).
   */
  const send = async (): Promise<void> => {
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/api/send'), { timeout: STEP_MS }),
      page.getByRole('button', { name: 'Send' }).click(),
    ]);
    expect(response.status()).toBe(200);
    await page.waitForFunction(() => (document.getElementById('text') as HTMLInputElement | null)?.value === '', undefined, { timeout: STEP_MS });
  };

  await page.getByLabel('Channel').selectOption('whatsapp');
  const phone = `+3461${String(randomBytes(4).readUInt32BE() % 1e7).padStart(7, '0')}`;
  await page.getByLabel('Customer (phone or PSID)').fill(phone);
  await page.getByLabel('Customer (phone or PSID)').dispatchEvent('change');
  await page.getByLabel('Business (tenant id)').waitFor();
  expect(await page.getByLabel('Business (tenant id)').inputValue()).toBe(cloud.demo.tenantId);

  await page.getByRole('textbox', { name: 'Message' }).fill('Do you have parking?');
  await send();

  const transcript = page.getByRole('list', { name: 'Conversation' });
  await transcript.locator('li.msg--in', { hasText: 'Do you have parking?' }).waitFor({ timeout: STEP_MS });
  const answer = transcript.locator('li.msg--out[data-kind="reply"]').first();
  await answer.waitFor({ timeout: STEP_MS });
  expect(await answer.textContent()).toMatch(/park/i);

  // Markup typed by a customer is shown as text, never rendered.
  await page.getByRole('textbox', { name: 'Message' }).fill('<img src=x onerror=alert(1)> thanks');
  await send();
  await transcript.locator('li.msg--in', { hasText: '<img src=x onerror=alert(1)> thanks' }).waitFor({ timeout: STEP_MS });
  expect(await transcript.locator('img').count()).toBe(0);
  expect(await page.getByRole('status').textContent()).toBe('');
  expect(errors).toEqual([]);
  await context.close();
  // Three steps of up to STEP_MS each: jest's default 120 s is too tight for them on a loaded machine.
}, 240_000);

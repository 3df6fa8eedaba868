/**
 * The admin UI in Debian's Chromium against the local cloud: a staff member
 * signs in through Amplify Auth against the local Cognito (the production code
 * path), sees a customer's conversation with its sourced answer, and asks the
 * knowledge base a test question. axe-core scans each page.
 */
import type { Browser, Page } from 'playwright-core';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { launchChromium } from '../support/browser';
import { seriousViolations, signInToAdmin } from '../support/admin-e2e';
import { demoWidget, widgetCustomer } from '../support/ws-client';

let cloud: LocalCloud;
let browser: Browser;

beforeAll(async () => {
  [cloud, browser] = await Promise.all([startLocalCloud({ quiet: true }), launchChromium()]);
  // A customer asks about parking on the demo site's widget connection.
  const customer = await widgetCustomer(demoWidget(cloud));
  await customer.ask('do you have parking?');
  await customer.socket.close();
  // A local cloud, Chromium and a first answer: on a loaded 2-core CI machine this is well past jest's default.
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
});


const signIn = (page: Page, email: string, password: string): Promise<void> => signInToAdmin(page, cloud.urls.admin, email, password);

describe('admin UI', () => {
  it('lets the owner sign in, read the conversation and test a question', async () => {
    const page = await browser.newPage();
    await page.goto(cloud.urls.admin);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    await signIn(page, cloud.demo.staffEmail, cloud.demo.staffPassword);
    await expect(page.getByTestId('header-business-name').textContent()).resolves.toContain('Harbour Dental Studio');

    const item = page.getByTestId('conversation-item').filter({ hasText: /park/i }).first();
    await item.waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await item.click();
    const detail = page.getByTestId('conversation-detail');
    await detail.getByTestId('message').nth(1).waitFor();
    const texts = await detail.getByTestId('message-text').allTextContents();
    expect(texts[0]).toBe('do you have parking?');
    expect(texts[1]?.toLowerCase()).toContain('park');
    await expect(detail.getByTestId('message-sources').first().textContent()).resolves.toMatch(/park/i);

    await page.getByTestId('nav-knowledge').click();
    await page.getByTestId('kb-faqs').waitFor();
    // The seed was indexed before the local cloud said it was ready.
    await page.getByTestId('kb-status').waitFor();
    await expect(page.getByTestId('kb-status').getAttribute('data-state')).resolves.toBe('ready');
    await expect(page.getByTestId('kb-status').textContent()).resolves.toMatch(/Indexing finished\.All \d+ passages are indexed/);
    await page.getByTestId('kb-test-question').fill('Where can I park?');
    await page.getByTestId('kb-test-submit').click();
    await page.getByTestId('kb-test-answer').waitFor();
    await expect(page.getByTestId('kb-test-answer-text').textContent()).resolves.toMatch(/park/i);
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });

  it('does not offer admin-only controls to an agent', async () => {
    const page = await browser.newPage();
    await signIn(page, 'agent@harbour-dental.example', 'Harbour-Agent-2026!');
    await page.getByTestId('nav-knowledge').click();
    await page.getByTestId('kb-faqs').waitFor();
    expect(await page.getByTestId('kb-import').count()).toBe(0);
    await expect(page.getByTestId('header-user-role').textContent()).resolves.toMatch(/agent/i);
    await page.close();
  });
});

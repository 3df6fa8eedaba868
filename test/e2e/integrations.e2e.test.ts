/**
 * The Channels & integrations page in Debian's Chromium against the local cloud: the owner sets Stripe test
 * keys and sees "configured · test · …1234"; after a reload the secrets are nowhere in the DOM nor in any
 * network response; removing asks for confirmation. Agents do not get the page. axe-core scans it.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { launchChromium } from '../support/browser';
import { seriousViolations, signInToAdmin } from '../support/admin-e2e';

let cloud: LocalCloud;
let browser: Browser;
const STEP_MS = 60_000;

beforeAll(async () => {
  [cloud, browser] = await Promise.all([startLocalCloud({ quiet: true }), launchChromium()]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
});


/** Signs in; a first load of the admin app on a loaded machine can take longer than playwright's 30 s default. */
const signIn = (page: Page, email: string, password: string): Promise<void> => {
  page.setDefaultTimeout(STEP_MS);
  return signInToAdmin(page, cloud.urls.admin, email, password, STEP_MS);
};

/**
 * Every response body the page receives from the API, as text. A body is read asynchronously after its
 * response event, so `all()` first waits for every read started so far (the UI can show a response's data
 * before the test process has its body).
 */
function recordResponses(page: Page): { all(): Promise<string[]> } {
  const bodies: string[] = [];
  const reads: Promise<void>[] = [];
  page.on('response', (response) => {
    if (!response.url().startsWith(cloud.urls.rest)) return;
    reads.push(
      response
        .text()
        .then((text) => void bodies.push(text))
        .catch(() => undefined),
    );
  });
  return {
    all: async () => {
      let settled = 0;
      while (settled < reads.length) {
        const upTo = reads.length;
        await Promise.all(reads.slice(settled, upTo));
        settled = upTo;
      }
      return bodies.slice();
    },
  };
}

describe('Channels & integrations', () => {
  it('lets the owner set Stripe keys that are never shown again, and remove them after confirming', async () => {
    const secretKey = `sk_test_51${randomBytes(10).toString('hex')}1234`;
    const webhookSecret = `whsec_${randomBytes(16).toString('hex')}`;
    const page = await browser.newPage();
    const responses = recordResponses(page);
    await signIn(page, cloud.demo.staffEmail, cloud.demo.staffPassword);

    await page.getByTestId('nav-integrations').click();
    const card = page.getByTestId('integration-stripe');
    await card.waitFor();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Channels & integrations');
    await expect(page.getByTestId('integration-stripe-status').textContent()).resolves.toBe('not configured');
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByTestId('integration-stripe-edit').click();
    const keyInput = page.getByLabel('Secret key');
    await expect(keyInput.getAttribute('type')).resolves.toBe('password');
    await expect(keyInput.inputValue()).resolves.toBe('');
    // A wrong value is refused naming the field, and not echoed.
    await keyInput.fill('pk_test_publishable');
    await page.getByLabel('Webhook signing secret').fill(webhookSecret);
    await page.getByTestId('integration-stripe-save').click();
    await expect(page.getByTestId('integration-stripe-error-field').textContent()).resolves.toBe('secretKey');
    expect(await page.getByTestId('integration-stripe-error').textContent()).not.toContain('pk_test_publishable');
    expect(await seriousViolations(page)).toEqual([]);

    await keyInput.fill(secretKey);
    await page.getByTestId('integration-stripe-save').click();
    await page.getByTestId('integration-stripe-status').filter({ hasText: 'configured · test · …1234' }).waitFor();
    await expect(page.getByTestId('integration-stripe-updated').textContent()).resolves.toMatch(/^Updated .+ by /);
    expect(await page.getByTestId('integration-stripe-form').count()).toBe(0);

    await page.reload();
    await page.getByTestId('integration-stripe-status').filter({ hasText: 'configured · test · …1234' }).waitFor();
    await page.getByTestId('integration-stripe-edit').click();
    // The replace form starts empty: nothing to pre-fill it with.
    await expect(page.getByLabel('Secret key').inputValue()).resolves.toBe('');
    const html = await page.content();
    expect(html).not.toContain(secretKey);
    expect(html).not.toContain(webhookSecret);
    const bodies = await responses.all();
    expect(bodies.some((b) => b.includes('"provider":"stripe"'))).toBe(true);
    for (const body of bodies) {
      expect(body).not.toContain(secretKey);
      expect(body).not.toContain(webhookSecret);
    }
    expect(await seriousViolations(page)).toEqual([]);

    // Removing asks first; keeping changes nothing.
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByTestId('integration-stripe-remove').click();
    const dialog = page.getByTestId('integration-stripe-confirm');
    await dialog.waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Keep' }).click();
    await expect(page.getByTestId('integration-stripe-status').textContent()).resolves.toBe('configured · test · …1234');
    await page.getByTestId('integration-stripe-remove').click();
    await page.getByTestId('integration-stripe-confirm-remove').click();
    await page.getByTestId('integration-stripe-status').filter({ hasText: /^not configured$/ }).waitFor();
    await page.close();
  }, 180_000);

  it('is not offered to agents', async () => {
    const page = await browser.newPage();
    await signIn(page, 'agent@harbour-dental.example', 'Harbour-Agent-2026!');
    expect(await page.getByTestId('nav-integrations').count()).toBe(0);
    await page.goto(`${cloud.urls.admin}#/integrations`);
    await page.getByTestId('forbidden').waitFor();
    expect(await page.getByTestId('integrations-page').count()).toBe(0);
    await page.close();
  }, 180_000);
});

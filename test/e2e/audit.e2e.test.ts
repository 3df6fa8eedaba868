/**
 * The admin Audit log page in Debian's Chromium against the local cloud: the owner changes the widget's colour
 * in the UI, opens the Audit log, finds the change (who, action, target) with its before and after, filters by
 * action, and an agent has no Audit log in the nav. axe-core scans the page.
 */
import type { Browser, Page } from 'playwright-core';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { launchChromium } from '../support/browser';
import { seriousViolations, signInToAdmin } from '../support/admin-e2e';

let cloud: LocalCloud;
let browser: Browser;
const STEP_MS = 30_000;

beforeAll(async () => {
  [cloud, browser] = await Promise.all([startLocalCloud({ quiet: true }), launchChromium()]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
});

const signIn = (page: Page, email: string, password: string): Promise<void> => signInToAdmin(page, cloud.urls.admin, email, password, STEP_MS);
const actions = (page: Page): Promise<string[]> => page.getByTestId('audit-action').allTextContents();
/** Waits until the table lists exactly these actions, in this order. */
async function showsActions(page: Page, expected: readonly string[]): Promise<void> {
  await page
    .waitForFunction(
      (want) => JSON.stringify([...document.querySelectorAll('[data-testid="audit-action"]')].map((e) => e.textContent)) === want,
      JSON.stringify(expected),
      { timeout: STEP_MS },
    )
    .catch(async () => expect(await actions(page)).toEqual(expected));
}

describe('admin Audit log page', () => {
  it('shows a change made in the UI with its before and after, and filters by action', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, cloud.demo.staffEmail, cloud.demo.staffPassword);

    // A change through the UI: the widget's colour.
    await page.getByTestId('nav-widget').click();
    await page.getByTestId('widget-form').waitFor({ timeout: STEP_MS });
    const oldColour = await page.getByTestId('widget-colour').inputValue();
    await page.getByLabel('Brand colour', { exact: true }).fill('#5b21b6');
    await page.getByTestId('widget-save').click();
    await page.getByTestId('widget-saved').filter({ hasText: 'Saved.' }).waitFor({ timeout: STEP_MS });

    await page.getByTestId('nav-audit').click();
    await page.getByTestId('audit-table').waitFor({ timeout: STEP_MS });
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Audit log');
    // Newest first: the widget change, then the sign-in.
    await showsActions(page, ['putWidgetSettings', 'login']);
    const row = page.getByTestId('audit-row').filter({ hasText: 'putWidgetSettings' });
    await expect(row.textContent()).resolves.toContain(`${cloud.demo.staffEmail} (admin)`);
    await expect(row.getByTestId('audit-target').textContent()).resolves.toBe('widget');
    await row.getByTestId('audit-expand').click();
    await expect(page.getByTestId('audit-before').textContent()).resolves.toContain(`"colour": "${oldColour}"`);
    await expect(page.getByTestId('audit-after').textContent()).resolves.toContain('"colour": "#5b21b6"');
    expect(await seriousViolations(page)).toEqual([]);

    // Filter by action: only sign-ins, then only widget changes.
    await page.getByTestId('audit-filter-action').fill('login');
    await page.getByTestId('audit-filter-apply').click();
    await showsActions(page, ['login']);
    await page.getByTestId('audit-filter-action').fill('putWidget');
    await page.getByTestId('audit-filter-apply').click();
    await showsActions(page, ['putWidgetSettings']);
    // A filter nothing matches says so.
    await page.getByTestId('audit-filter-action').fill('deleteFaq');
    await page.getByTestId('audit-filter-apply').click();
    await page.getByTestId('audit-empty').waitFor({ timeout: STEP_MS });
    await context.close();
  });

  it('is not offered to agents', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, 'agent@harbour-dental.example', 'Harbour-Agent-2026!');
    await page.getByTestId('nav-inbox').waitFor({ timeout: STEP_MS });
    expect(await page.getByTestId('nav-audit').count()).toBe(0);
    await page.goto(`${cloud.urls.admin}#/audit`);
    await page.getByTestId('forbidden').waitFor({ timeout: STEP_MS });
    await context.close();
  });
});

/**
 * The admin Widget page in Debian's Chromium against the local cloud: the owner changes the colour and the
 * greeting, the preview follows the draft, the save reaches the real widget on the demo site, the embed
 * snippet carries the widget key in the form the loader reads, a colour too light for white text is refused
 * naming the field, and an agent sees the page read-only. axe-core scans the page.
 */
import type { Browser, Page } from 'playwright-core';
import { z } from 'zod';
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

const background = (page: Page, testId: string): Promise<string> => page.getByTestId(testId).evaluate((el) => getComputedStyle(el).backgroundColor);

describe('admin Widget page', () => {
  it('lets the owner change colour and greeting, previews the draft, saves it for the real widget, and copies the snippet', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(cloud.urls.admin).origin });
    const page = await context.newPage();
    await signIn(page, cloud.demo.staffEmail, cloud.demo.staffPassword);
    await page.getByTestId('nav-widget').click();
    await page.getByTestId('widget-form').waitFor({ timeout: STEP_MS });
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Widget');

    // The snippet is the loader's own form: script src, data-tenant = the widget key, async.
    await expect(page.getByTestId('widget-key').textContent()).resolves.toBe(cloud.demo.widgetKey);
    const snippet = await page.getByTestId('widget-snippet').inputValue();
    expect(snippet).toBe(`<script src="${cloud.urls.rest}/widget/loader.js" data-tenant="${cloud.demo.widgetKey}" async></script>`);
    expect(await seriousViolations(page)).toEqual([]);

    // Draft edits show in the preview at once, before saving.
    await page.getByLabel('Brand colour', { exact: true }).fill('#7c2d12');
    await page.getByLabel('Greeting in English').fill('Ahoy! Ask the harbour anything.');
    await page.getByTestId('widget-position-left').check();
    expect(await background(page, 'widget-preview-header')).toBe('rgb(124, 45, 18)');
    expect(await background(page, 'widget-preview-launcher')).toBe('rgb(124, 45, 18)');
    await expect(page.getByTestId('widget-preview-greeting').textContent()).resolves.toBe('Ahoy! Ask the harbour anything.');
    await expect(page.getByTestId('widget-preview').getAttribute('data-position')).resolves.toBe('left');
    await expect(page.getByTestId('widget-contrast').textContent()).resolves.toMatch(/passes WCAG AA/);

    await page.getByTestId('widget-save').click();
    await page.getByTestId('widget-saved').filter({ hasText: 'Saved.' }).waitFor({ timeout: STEP_MS });
    expect(await seriousViolations(page)).toEqual([]);

    // The public widget config serves the saved settings…
    const config = z
      .object({ colour: z.string(), position: z.string(), greeting: z.record(z.string(), z.string()) })
      .parse(await (await fetch(`${cloud.urls.rest}/v1/public/widget/${encodeURIComponent(cloud.demo.widgetKey)}/config`)).json());
    expect(config).toMatchObject({ colour: '#7c2d12', position: 'left', greeting: { en: 'Ahoy! Ask the harbour anything.' } });

    // …and they survive a reload of the admin page.
    await page.reload();
    await page.getByTestId('widget-form').waitFor({ timeout: STEP_MS });
    await expect(page.getByTestId('widget-colour').inputValue()).resolves.toBe('#7c2d12');
    await expect(page.getByTestId('widget-preview-greeting').textContent()).resolves.toBe('Ahoy! Ask the harbour anything.');

    // Copy puts the exact snippet on the clipboard.
    await page.getByTestId('widget-copy').click();
    await page.getByTestId('widget-copied').filter({ hasText: 'Copied' }).waitFor({ timeout: STEP_MS });
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(snippet);

    // A colour too light for white text: the page says so, and the server refuses it naming the field.
    await page.getByLabel('Brand colour', { exact: true }).fill('#ffd700');
    await expect(page.getByTestId('widget-contrast').textContent()).resolves.toMatch(/too light/);
    await page.getByTestId('widget-save').click();
    await page.getByTestId('widget-save-error').waitFor({ timeout: STEP_MS });
    await expect(page.getByTestId('widget-save-error-field').textContent()).resolves.toBe('colour');
    await expect(page.getByTestId('widget-save-error-message').textContent()).resolves.toMatch(/contrast.*4\.5:1/);
    await expect(page.getByTestId('widget-colour').getAttribute('aria-invalid')).resolves.toBe('true');
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();

    // The real widget on the demo site (a fresh browser: nothing cached) draws the saved colour on the left.
    const visitor = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const site = await visitor.newPage();
    await site.goto(cloud.urls.demoSite);
    const launcher = site.locator('[data-concierge-widget] button.cw-launcher');
    await launcher.waitFor({ timeout: STEP_MS });
    expect(await launcher.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(124, 45, 18)');
    expect(await site.locator('[data-concierge-widget] .cw').evaluate((el) => el.classList.contains('cw--left'))).toBe(true);
    await visitor.close();
  });

  it('shows an agent the settings and the snippet, read-only', async () => {
    const page = await browser.newPage();
    await signIn(page, 'agent@harbour-dental.example', 'Harbour-Agent-2026!');
    await page.getByTestId('nav-widget').click();
    await page.getByTestId('widget-form').waitFor({ timeout: STEP_MS });
    expect(await page.getByTestId('widget-save').count()).toBe(0);
    expect(await page.getByTestId('widget-colour').isDisabled()).toBe(true);
    expect(await page.getByTestId('widget-origins').isDisabled()).toBe(true);
    await expect(page.getByTestId('widget-snippet').inputValue()).resolves.toContain(`data-tenant="${cloud.demo.widgetKey}"`);
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });
});

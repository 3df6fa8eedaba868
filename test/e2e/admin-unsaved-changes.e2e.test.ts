/**
 * Unsaved edits in the admin UI, in Debian's Chromium against the local cloud: leaving a page with edits not saved
 * (a nav link, Back, closing the tab) asks first; staying keeps the edits and the address, leaving discards them,
 * and a saved page leaves without asking. On Services & hours, removing a staff member who has time off removes
 * the time off in the same save, so later policy changes still save (it used to be refused 400 a minute later).
 */
import type { Browser, Dialog, Page } from 'playwright-core';
import { z } from 'zod';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { launchChromium } from '../support/browser';
import { signInToAdmin } from '../support/admin-e2e';
import { futureWeekday } from '../support/days';
import { api, signIn as tokenFor } from '../support/staff';

let cloud: LocalCloud;
let browser: Browser;
const STEP_MS = 30_000;
const LEAVE = 'You have unsaved changes. Leave this page?';

beforeAll(async () => {
  [cloud, browser] = await Promise.all([startLocalCloud({ quiet: true }), launchChromium()]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.settle();
  await cloud?.stop();
});

/**
 * Every dialog the page opens, answered from `answers` in order (none left: dismissed, i.e. the user stays), so
 * a dialog nobody expected shows up in `seen` instead of passing unnoticed.
 */
function dialogs(page: Page): { seen: { type: string; message: string }[]; answers: boolean[]; next: (accept: boolean) => Promise<{ type: string; message: string }> } {
  const seen: { type: string; message: string }[] = [];
  const answers: boolean[] = [];
  const waiters: ((d: { type: string; message: string }) => void)[] = [];
  page.on('dialog', (dialog: Dialog) => {
    const entry = { type: dialog.type(), message: dialog.message() };
    seen.push(entry);
    void (answers.shift() === true ? dialog.accept() : dialog.dismiss());
    waiters.shift()?.(entry);
  });
  return {
    seen,
    answers,
    next: (accept) => {
      answers.push(accept);
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}

describe('unsaved changes in the admin UI', () => {
  it('asks before a nav link or Back leaves the Widget page with an edited greeting; staying keeps it, leaving discards it', async () => {
    const page = await browser.newPage();
    const asked = dialogs(page);
    await signInToAdmin(page, cloud.urls.admin, cloud.demo.staffEmail, cloud.demo.staffPassword, STEP_MS);
    await page.getByTestId('nav-widget').click();
    await page.getByTestId('widget-form').waitFor({ timeout: STEP_MS });
    const greeting = page.getByLabel('Greeting in English');
    const saved = await greeting.inputValue();

    // Nothing edited: leaving does not ask.
    await page.getByTestId('nav-inbox').click();
    await page.getByTestId('nav-widget').click();
    await page.getByTestId('widget-form').waitFor({ timeout: STEP_MS });
    expect(asked.seen).toEqual([]);

    await greeting.fill('Ahoy! Not saved yet.');
    // A nav link: asked; the user stays.
    const stay = asked.next(false);
    await page.getByTestId('nav-inbox').click();
    expect(await stay).toEqual({ type: 'confirm', message: LEAVE });
    expect(new URL(page.url()).hash).toBe('#/widget');
    expect(await greeting.inputValue()).toBe('Ahoy! Not saved yet.');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Widget');

    // Back: asked too; staying keeps the page and the address.
    const back = asked.next(false);
    // (Not page.goBack(): it waits for a navigation that staying never finishes.)
    await page.evaluate(() => window.history.back());
    expect((await back).message).toBe(LEAVE);
    await page.waitForFunction(() => window.location.hash === '#/widget');
    expect(await greeting.inputValue()).toBe('Ahoy! Not saved yet.');

    // Leaving when the user says so: the edit is discarded, as they chose.
    const leave = asked.next(true);
    await page.getByTestId('nav-inbox').click();
    await leave;
    await page.waitForFunction(() => window.location.hash.startsWith('#/inbox'));
    await page.getByTestId('nav-widget').click();
    await page.getByTestId('widget-form').waitFor({ timeout: STEP_MS });
    expect(await greeting.inputValue()).toBe(saved);
    expect(asked.seen).toHaveLength(3);

    // Saved edits leave without asking.
    await greeting.fill('Ahoy! Saved this time.');
    await page.getByTestId('widget-save').click();
    await page.getByTestId('widget-saved').filter({ hasText: 'Saved.' }).waitFor({ timeout: STEP_MS });
    await page.getByTestId('nav-inbox').click();
    await page.waitForFunction(() => window.location.hash.startsWith('#/inbox'));
    expect(asked.seen).toHaveLength(3);
    await page.close();
  });

  it('asks before reloading Services & hours with a changed price, and before moving to the calendar', async () => {
    const page = await browser.newPage();
    const asked = dialogs(page);
    await signInToAdmin(page, cloud.urls.admin, cloud.demo.staffEmail, cloud.demo.staffPassword, STEP_MS);
    await page.getByTestId('nav-services').click();
    await page.getByTestId('service-row').first().waitFor({ timeout: STEP_MS });
    const price = page.getByTestId('service-row').first().getByLabel(/^Price of /);
    const before = await price.inputValue();
    await price.click();
    await price.fill('99');
    await page.getByTestId('services-saved').filter({ hasText: 'Unsaved changes.' }).waitFor();

    const calendar = asked.next(false);
    await page.getByTestId('nav-calendar').click();
    expect(await calendar).toEqual({ type: 'confirm', message: LEAVE });
    expect(new URL(page.url()).hash).toBe('#/services');

    // Reloading (or closing the tab): the browser's own "Reload site?" question; staying keeps the page and the edit.
    // (The reload is not awaited: staying means it never finishes.)
    const unload = asked.next(false);
    const stayed = page.reload({ timeout: 5_000 }).catch(() => 'stayed');
    expect((await unload).type).toBe('beforeunload');
    await stayed;
    expect(await price.inputValue()).toBe('99');
    await page.getByTestId('services-saved').filter({ hasText: 'Unsaved changes.' }).waitFor();

    // Reloading when the user says so: the saved price is back.
    const reload = asked.next(true);
    await page.reload();
    expect((await reload).type).toBe('beforeunload');
    await page.getByTestId('service-row').first().waitFor({ timeout: STEP_MS });
    expect(await page.getByTestId('service-row').first().getByLabel(/^Price of /).inputValue()).toBe(before);
    expect(asked.seen).toHaveLength(3);
    await page.close();
  });

  it('asks before Back leaves the calendar with a new booking half filled in; staying keeps it, closing the dialog does not ask', async () => {
    const page = await browser.newPage();
    const asked = dialogs(page);
    await signInToAdmin(page, cloud.urls.admin, cloud.demo.staffEmail, cloud.demo.staffPassword, STEP_MS);
    await page.getByTestId('nav-calendar').click();
    await page.getByTestId('calendar-new-booking').click();
    await page.getByTestId('nb-name').fill('Aoife Byrne');

    // The dialog is modal, so Back (or a typed address) is the way out: asked, and staying keeps the page.
    const back = asked.next(false);
    await page.evaluate(() => window.history.back());
    expect(await back).toEqual({ type: 'confirm', message: LEAVE });
    await page.waitForFunction(() => window.location.hash === '#/calendar');
    expect(await page.getByTestId('nb-name').inputValue()).toBe('Aoife Byrne');

    // Closing the dialog discards it on purpose: then the page leaves without asking.
    await page.keyboard.press('Escape');
    await page.getByTestId('nb-name').waitFor({ state: 'detached' });
    await page.getByTestId('nav-inbox').click();
    await page.getByTestId('inbox-page').waitFor({ timeout: STEP_MS });
    expect(asked.seen).toHaveLength(1);
    await page.close();
  });

  it('removes the time off of a staff member removed on Services & hours, so a later policy change still saves', async () => {
    const token = await tokenFor(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
    const settings = z.object({ minNoticeMinutes: z.number(), exceptions: z.array(z.object({ id: z.string(), staffId: z.string().optional() })) });
    const page = await browser.newPage();
    const asked = dialogs(page);
    await signInToAdmin(page, cloud.urls.admin, cloud.demo.staffEmail, cloud.demo.staffPassword, STEP_MS);
    await page.getByTestId('nav-services').click();
    await page.getByTestId('exception-form').waitFor({ timeout: STEP_MS });

    // Marta gets time off.
    const day = futureWeekday(25);
    await page.getByTestId('exception-from').fill(day);
    await page.getByTestId('exception-who').selectOption({ label: 'Marta Ruiz' });
    await page.getByTestId('exception-reason').fill('Training');
    await page.getByTestId('exception-add').click();
    await page.getByTestId('exception-row').filter({ hasText: 'Training' }).waitFor();
    await page.getByTestId('services-save').click();
    await page.getByTestId('services-saved').filter({ hasText: 'Saved.' }).waitFor({ timeout: STEP_MS });
    expect(settings.parse((await api(cloud, 'GET', '/v1/admin/booking-settings', token)).body).exceptions).toContainEqual(expect.objectContaining({ staffId: 'marta-ruiz' }));

    // Marta leaves: her time off goes with her, in the same save.
    await page.getByRole('button', { name: 'Remove Marta Ruiz' }).click();
    expect(await page.getByTestId('exception-row').filter({ hasText: 'Training' }).count()).toBe(0);
    await page.getByTestId('services-save').click();
    await page.getByTestId('services-saved').filter({ hasText: 'Saved.' }).waitFor({ timeout: STEP_MS });
    const kb = z.object({ staff: z.array(z.object({ id: z.string() })) }).parse((await api(cloud, 'GET', '/v1/admin/knowledge', token)).body);
    expect(kb.staff.map((m) => m.id)).not.toContain('marta-ruiz');
    expect(settings.parse((await api(cloud, 'GET', '/v1/admin/booking-settings', token)).body).exceptions.filter((e) => e.staffId === 'marta-ruiz')).toEqual([]);

    // Later, only the minimum notice changes: saved, not refused.
    await page.getByTestId('policy-minNoticeMinutes').fill('120');
    await page.getByTestId('services-save').click();
    await page.getByTestId('services-saved').filter({ hasText: 'Saved.' }).waitFor({ timeout: STEP_MS });
    expect(await page.getByTestId('services-save-error').count()).toBe(0);
    expect(settings.parse((await api(cloud, 'GET', '/v1/admin/booking-settings', token)).body).minNoticeMinutes).toBe(120);
    expect(asked.seen).toEqual([]);
    await page.close();
  });
});

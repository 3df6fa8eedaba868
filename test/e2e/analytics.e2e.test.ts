/**
 * Analytics end to end, in Debian's Chromium against one local cloud: a visitor asks the demo business's
 * widget one question it answers (and says it helped — the choice survives a reload) and one it cannot; the
 * owner opens Analytics and sees what that activity implies, turns the unanswered question into an FAQ (it
 * leaves the list and is in the knowledge base), and exports the range as CSV. axe-core scans the page.
 */
import { readFile } from 'node:fs/promises';
import type { Browser, Locator, Page } from 'playwright-core';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { DEMO_STAFF } from '../../local-cloud/seed-demo';
import { dayIn } from '../../lambdas/core/analytics/projector';
import { addDays } from '../../lambdas/core/analytics/report';
import { buildWidget } from '../../widget/build';
import { seriousViolations, signInToAdmin } from '../support/admin-e2e';
import { launchChromium } from '../support/browser';
import { api, signIn } from '../support/staff';

const WIDGET = '[data-concierge-widget]';
const STEP_MS = 30_000;
const UNANSWERED = 'Do you sell scuba diving equipment?';
/** The demo business's time zone (local-cloud/seed/demo-kb.json): the browser counts "today" where the business does. */
const TIME_ZONE = 'Europe/Dublin';

let cloud: LocalCloud;
let browser: Browser;

beforeAll(async () => {
  await buildWidget();
  [cloud, browser] = await Promise.all([startLocalCloud({ quiet: true }), launchChromium()]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
}, 60_000);

function widget(page: Page) {
  const root = page.locator(WIDGET);
  return {
    launcher: root.locator('button.cw-launcher'),
    dialog: root.getByRole('dialog'),
    input: root.getByRole('textbox', { name: 'Type your message' }),
    replies: root.locator('li.msg--bot[data-seq]'),
  };
}

async function openWidget(page: Page): Promise<void> {
  const w = widget(page);
  await w.launcher.click({ timeout: STEP_MS });
  await w.input.waitFor({ state: 'visible', timeout: STEP_MS });
}

async function ask(page: Page, text: string): Promise<void> {
  const w = widget(page);
  await w.input.fill(text);
  await w.input.press('Enter');
}

const text = async (l: Locator): Promise<string> => (await l.textContent({ timeout: STEP_MS })) ?? '';

/** Signs the owner in and opens Analytics on its first range ("Last 7 days"); the report element. */
async function openAnalytics(page: Page) {
  await signInToAdmin(page, cloud.urls.admin, cloud.demo.staffEmail, cloud.demo.staffPassword);
  await page.getByTestId('nav-analytics').click();
  const report = page.getByTestId('analytics-report');
  await report.waitFor({ timeout: STEP_MS });
  expect(await page.getByTestId('analytics-preset').inputValue()).toBe('last7');
  return report;
}

describe('analytics', () => {
  it('takes "did this help?" from the widget once, remembers it after a reload, and offers it only on answers', async () => {
    const context = await browser.newContext({ locale: 'en-US', timezoneId: TIME_ZONE });
    const page = await context.newPage();
    try {
      await page.goto(cloud.urls.demoSite);
      await openWidget(page);
      await ask(page, 'do you have parking?');
      const answer = widget(page).replies.filter({ hasText: /park/i }).first();
      await answer.waitFor({ timeout: STEP_MS });
      const group = answer.getByRole('group', { name: 'Was this answer helpful?' });
      const helpful = group.getByRole('button', { name: 'Helpful', exact: true });
      const notHelpful = group.getByRole('button', { name: 'Not helpful', exact: true });
      await helpful.click();
      await group.getByText('Thanks for your feedback').waitFor({ timeout: STEP_MS });
      expect(await helpful.getAttribute('aria-pressed')).toBe('true');
      expect(await helpful.getAttribute('aria-disabled')).toBe('true');
      expect(await notHelpful.getAttribute('aria-disabled')).toBe('true');
      await notHelpful.click({ force: true }); // a second choice is neither shown nor sent
      expect(await notHelpful.getAttribute('aria-pressed')).toBe('false');

      await page.reload();
      await openWidget(page);
      const again = widget(page).replies.filter({ hasText: /park/i }).first();
      await again.waitFor({ timeout: STEP_MS });
      await again.getByText('Thanks for your feedback').waitFor({ timeout: STEP_MS });
      expect(await again.getByRole('button', { name: 'Helpful', exact: true }).getAttribute('aria-pressed')).toBe('true');

      const replies = widget(page).replies;
      const before = await replies.count();
      await ask(page, UNANSWERED);
      await replies.nth(before).waitFor({ timeout: STEP_MS });
      const fallback = replies.nth(before);
      expect(await text(fallback.locator('.bubble'))).not.toMatch(/park/i);
      // A reply that could not answer from the knowledge base asks nothing.
      expect(await fallback.getByRole('group', { name: 'Was this answer helpful?' }).count()).toBe(0);
    } finally {
      await context.close();
    }
    await cloud.settle();
  });

  it('shows the owner what happened, turns the unanswered question into an FAQ, and exports CSV', async () => {
    const context = await browser.newContext({ locale: 'en-US', timezoneId: TIME_ZONE, acceptDownloads: true });
    const page = await context.newPage();
    try {
      await openAnalytics(page);

      // One conversation, two customer messages, the parking answer confirmed by the thumbs-up.
      expect(await text(page.getByTestId('tile-conversations-value'))).toBe('1');
      expect(await text(page.getByTestId('tile-conversations-detail'))).toBe('2 customer messages');
      expect(await text(page.getByTestId('tile-resolution-detail'))).toBe('1 confirmed, 0 assumed');
      expect(await text(page.getByTestId('tile-resolution-value'))).toBe('100%');
      expect(await text(page.getByTestId('tile-handoff-value'))).toBe('0%');
      expect(await text(page.getByTestId('tile-bookings-value'))).toBe('0');
      expect(await text(page.getByTestId('tile-deposits-value'))).toBe('€0.00');
      expect(await text(page.getByTestId('tile-deposits-detail'))).toBe('€0.00 paid, €0.00 refunded');
      expect(await text(page.getByTestId('tile-csat-value'))).toBe('—');
      // A measured duration (not "—"); how long the answer took depends on the machine, so minutes are a duration too.
      expect(await text(page.getByTestId('tile-first-response-value'))).toMatch(/^(\d+(\.\d)? (ms|s)|\d+ min( \d+ s)?)$/);
      // The tiles are a description list: each label names its number.
      expect(await page.getByRole('term').filter({ hasText: 'Conversations' }).count()).toBe(1);
      // The labels say what the numbers are: the concierge's own resolutions, deposits after refunds.
      expect(await page.getByRole('term').filter({ hasText: 'Resolved by the concierge' }).count()).toBe(1);
      expect(await page.getByRole('term').filter({ hasText: 'Deposits, net of refunds' }).count()).toBe(1);
      const topRows = page.getByTestId('analytics-top-row');
      expect(await topRows.count()).toBeGreaterThanOrEqual(1);
      expect(await text(topRows.first())).toMatch(/park/i);
      // Charts come with their numbers as text.
      await page.getByTestId('chart-channels').waitFor({ timeout: STEP_MS });
      expect(await page.getByRole('table', { name: 'Conversations by channel, per day' }).locator('tbody tr').count()).toBe(7);
      expect(await page.getByTestId('chart-channels').locator('svg.recharts-surface').count()).toBeGreaterThan(0);

      const gap = page.getByTestId('analytics-gap').filter({ hasText: UNANSWERED });
      await gap.waitFor({ timeout: STEP_MS });
      expect(await text(gap)).toContain('Asked 1 time');
      expect(await seriousViolations(page)).toEqual([]);

      // An agent sees the same question, without the admin's buttons.
      const agent = DEMO_STAFF[1];
      const agentContext = await browser.newContext({ locale: 'en-US', timezoneId: TIME_ZONE });
      try {
        const agentPage = await agentContext.newPage();
        await signInToAdmin(agentPage, cloud.urls.admin, agent.email, agent.password);
        await agentPage.getByTestId('nav-analytics').click();
        const agentGap = agentPage.getByTestId('analytics-gap').filter({ hasText: UNANSWERED });
        await agentGap.waitFor({ timeout: STEP_MS });
        expect(await agentGap.getByRole('button').count()).toBe(0);
      } finally {
        await agentContext.close();
      }

      await gap.getByTestId('analytics-gap-add').click();
      expect(await gap.getByTestId('analytics-faq-question').inputValue()).toBe(UNANSWERED);
      await gap.getByTestId('analytics-faq-answer').fill('No, we are a dental studio. Try Harbour Dive Centre on the quay.');
      await gap.getByTestId('analytics-faq-save').click();
      await gap.waitFor({ state: 'detached', timeout: STEP_MS });
      expect(await text(page.getByTestId('analytics-gaps-notice'))).toContain(UNANSWERED);

      const token = await signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
      const kb = await api(cloud, 'GET', '/v1/admin/knowledge', token);
      expect(kb.status).toBe(200);
      expect(kb.text).toContain('"id":"do-you-sell-scuba-diving-equipment"');
      expect(kb.text).toContain('Harbour Dive Centre');
      const gaps = await api(cloud, 'GET', '/v1/admin/analytics/gaps', token);
      expect(gaps.text).not.toContain(UNANSWERED);

      const [download] = await Promise.all([page.waitForEvent('download', { timeout: STEP_MS }), page.getByTestId('analytics-export').click()]);
      expect(download.suggestedFilename()).toMatch(/\.csv$/);
      const csv = await readFile(await download.path(), 'utf8');
      const [header = '', ...rows] = csv.trim().split(/\r?\n/);
      expect(header.split(',').slice(0, 2)).toEqual(['day', 'conversations']);
      expect(rows).toHaveLength(7);
    } finally {
      await context.close();
    }
  });

  it("counts the first range in the business's time zone when the browser's day is another one", async () => {
    // One of the two zones 25 hours apart is always on another day than the business.
    const now = new Date();
    const today = dayIn(TIME_ZONE, now);
    const browserZone = ['Pacific/Kiritimati', 'Pacific/Pago_Pago'].find((zone) => dayIn(zone, now) !== today) ?? 'Pacific/Kiritimati';
    const context = await browser.newContext({ locale: 'en-US', timezoneId: browserZone });
    const page = await context.newPage();
    try {
      const report = await openAnalytics(page);
      expect([await report.getAttribute('data-from'), await report.getAttribute('data-to')]).toEqual([addDays(today, -6), today]);
      expect([await page.getByTestId('analytics-from').inputValue(), await page.getByTestId('analytics-to').inputValue()]).toEqual([addDays(today, -6), today]);
      // Later presets count from the business's today too.
      await page.getByTestId('analytics-preset').selectOption('last30');
      await page.locator(`[data-testid="analytics-report"][data-from="${addDays(today, -29)}"]`).waitFor({ timeout: STEP_MS });
      expect(await report.getAttribute('data-to')).toBe(today);
    } finally {
      await context.close();
    }
  });
});

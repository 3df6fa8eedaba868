/**
 * The widget in a real browser against the local cloud: the demo business's
 * site, one script tag, a question answered from the knowledge base with its
 * source, the conversation surviving a reload, text never becoming markup,
 * and no serious accessibility violations inside the widget's shadow root.
 */
import type { AxeResults } from 'axe-core';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { startLocalCloud } from '../../local-cloud/index';
import { buildWidget } from '../../widget/build';
import { launchChromium } from '../support/browser';

type LocalCloud = Awaited<ReturnType<typeof startLocalCloud>>;

const WIDGET = '[data-concierge-widget]';
const STEP_MS = 30_000;

let cloud: LocalCloud | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  await buildWidget();
  cloud = await startLocalCloud({ quiet: true });
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
}, 60_000);

function started(): { cloud: LocalCloud; browser: Browser } {
  if (!cloud || !browser) throw new Error('local cloud or browser did not start');
  return { cloud, browser };
}

async function newVisitor(): Promise<{ context: BrowserContext; page: Page }> {
  const { browser } = started();
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  return { context, page };
}

/** Playwright's CSS locators pierce open shadow roots, so these reach inside the widget. */
function widget(page: Page) {
  const root = page.locator(WIDGET);
  return {
    launcher: root.locator('button.cw-launcher'),
    dialog: root.getByRole('dialog'),
    input: root.getByRole('textbox', { name: 'Type your message' }),
    /** Stored messages (they carry a seq), excluding the local greeting and provisional streams. */
    customer: root.locator('li.msg--customer[data-seq]'),
    replies: root.locator('li.msg--bot[data-seq], li.msg--agent[data-seq]'),
  };
}

async function openWidget(page: Page): Promise<void> {
  const w = widget(page);
  await w.launcher.waitFor({ timeout: STEP_MS });
  await w.launcher.click();
  await w.dialog.waitFor({ state: 'visible', timeout: STEP_MS });
  await w.input.waitFor({ state: 'visible' });
}

async function ask(page: Page, text: string): Promise<void> {
  const w = widget(page);
  await w.input.fill(text);
  await w.input.press('Enter');
}

async function text(l: Locator): Promise<string> {
  return (await l.textContent({ timeout: STEP_MS })) ?? '';
}

/**
 * Waits until the widget's focused element has this id or class name, then asserts it. Focus moves in a
 * render effect, which may run a little after the element shows on a busy machine.
 */
async function expectFocus(page: Page, attribute: 'id' | 'className', value: string): Promise<void> {
  const focused = (): Promise<string | null> =>
    page.evaluate(({ sel, attribute }) => document.querySelector(sel)?.shadowRoot?.activeElement?.[attribute] ?? null, { sel: WIDGET, attribute });
  await page
    .waitForFunction(({ sel, attribute, value }) => document.querySelector(sel)?.shadowRoot?.activeElement?.[attribute] === value, { sel: WIDGET, attribute, value }, { timeout: STEP_MS })
    .catch(() => undefined);
  expect(await focused()).toBe(value);
}

describe('widget on the demo business site', () => {
  it(
    'answers a parking question with a source, and shows the same conversation after a reload',
    async () => {
      const { cloud } = started();
      const { context, page } = await newVisitor();
      try {
        await page.goto(cloud.urls.demoSite);
        expect(await page.locator('script').count()).toBe(1);
        await openWidget(page);
        // Focus moves into the panel on open.
        await expectFocus(page, 'id', 'cw-input');

        await ask(page, 'do you have parking?');
        const w = widget(page);
        const answer = w.replies.filter({ hasText: /park/i }).first();
        await answer.waitFor({ timeout: STEP_MS });
        expect(await text(answer.locator('.bubble'))).toMatch(/park/i);
        const sources = answer.locator('.source');
        expect(await sources.count()).toBeGreaterThan(0);
        expect(await text(sources.first())).toMatch(/^Source: \S/);
        expect(await text(w.customer.first().locator('.bubble'))).toBe('do you have parking?');

        // Escape closes the panel and gives focus back to the launcher.
        await w.input.press('Escape');
        await w.dialog.waitFor({ state: 'hidden' });
        await expectFocus(page, 'className', 'cw-launcher');

        await page.reload();
        await openWidget(page);
        const again = widget(page);
        await again.replies.filter({ hasText: /park/i }).first().waitFor({ timeout: STEP_MS });
        expect(await text(again.customer.first().locator('.bubble'))).toBe('do you have parking?');
        const order = await page.locator(WIDGET).locator('li.msg[data-seq]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));
        expect(order.length).toBeGreaterThanOrEqual(2);
        expect([...order].sort((a, b) => a - b)).toEqual(order);
      } finally {
        await context.close();
      }
    },
    120_000,
  );

  it(
    'renders customer and bot text as text, never as markup',
    async () => {
      const { cloud } = started();
      const { context, page } = await newVisitor();
      try {
        await page.goto(cloud.urls.demoSite);
        await openWidget(page);
        const payload = '<img src=x onerror="window.__xss=1">hello';
        await ask(page, payload);
        const w = widget(page);
        const mine = w.customer.filter({ hasText: 'onerror' }).first();
        await mine.waitFor({ timeout: STEP_MS });
        expect(await text(mine.locator('.bubble'))).toBe(payload);
        // Give any reply time to arrive and any injected handler time to run.
        await w.replies.first().waitFor({ timeout: STEP_MS });
        await page.waitForTimeout(300);
        const xss = await page.evaluate(() => {
          const win: Window & { __xss?: unknown } = window;
          return win.__xss;
        });
        expect(xss).toBeUndefined();
        expect(await page.locator(`${WIDGET} img[src="x"]`).count()).toBe(0);
        expect(await page.locator('img[src="x"]').count()).toBe(0);
      } finally {
        await context.close();
      }
    },
    120_000,
  );

  it(
    'has no serious or critical axe violations in the open widget',
    async () => {
      const { cloud } = started();
      const { context, page } = await newVisitor();
      try {
        await page.goto(cloud.urls.demoSite);
        await openWidget(page);
        await ask(page, 'do you have parking?');
        await widget(page).replies.first().waitFor({ timeout: STEP_MS });
        await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
        const violations = await page.evaluate(async (sel) => {
          const win: Window & { axe?: typeof import('axe-core') } = window;
          if (!win.axe) throw new Error('axe-core did not load');
          // Including the shadow host includes its (open) shadow tree.
          const results: AxeResults = await win.axe.run({ include: [sel] }, { resultTypes: ['violations'] });
          return {
            scanned: results.passes.length + results.violations.length + results.incomplete.length,
            violations: results.violations.map((v) => ({ id: v.id, impact: v.impact ?? null, help: v.help, nodes: v.nodes.map((n) => n.target.join(' >>> ')) })),
          };
        }, WIDGET);
        expect(violations.scanned).toBeGreaterThan(0);
        const serious = violations.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        expect(serious).toEqual([]);
      } finally {
        await context.close();
      }
    },
    120_000,
  );
});

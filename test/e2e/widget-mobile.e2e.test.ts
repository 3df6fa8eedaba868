/**
 * The widget on phones, in Debian Chromium with phone emulation (320×568 and 390×844, touch, mobile viewport)
 * against the local cloud: the demo business's page fits the screen, and the launcher, the message box, the send
 * button and the panel's close button lie on the screen and answer taps — also on a host page that is wider than
 * the phone (a sloppy customer site). There mobile browsers widen the layout viewport that `position: fixed` is
 * relative to, to the page's width (and its height in proportion), so a widget anchored to its right and bottom
 * edges lands off the screen unless it follows the visual viewport (widget/src/loader.ts).
 *
 * "On the screen" is measured against `window.visualViewport` (what the phone shows); element boxes come from
 * getBoundingClientRect, which Chromium gives relative to the layout viewport, as the visual viewport's offsets are.
 */
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { startLocalCloud } from '../../local-cloud/index';
import { buildWidget } from '../../widget/build';
import { launchChromium } from '../support/browser';

type LocalCloud = Awaited<ReturnType<typeof startLocalCloud>>;

const WIDGET = '[data-concierge-widget]';
const STEP_MS = 30_000;
/** How wide the deliberately sloppy host page is. */
const WIDE_PX = 600;

const PHONES = [
  { name: 'iPhone SE (320×568)', width: 320, height: 568 },
  { name: 'iPhone 12 (390×844)', width: 390, height: 844 },
] as const;
type Phone = (typeof PHONES)[number];

interface Box {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

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

async function onPhone(phone: Phone): Promise<{ context: BrowserContext; page: Page }> {
  const { browser } = started();
  const context = await browser.newContext({
    locale: 'en-US',
    viewport: { width: phone.width, height: phone.height },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  return { context, page };
}

/** Playwright's CSS locators pierce open shadow roots, so these reach inside the widget. */
function widget(page: Page) {
  const root = page.locator(WIDGET);
  const dialog = root.getByRole('dialog');
  return {
    launcher: root.locator('button.cw-launcher'),
    dialog,
    input: dialog.getByRole('textbox', { name: 'Type your message' }),
    send: dialog.getByRole('button', { name: 'Send' }),
    close: dialog.getByRole('button', { name: 'Close chat' }),
  };
}

/** The visual viewport (what is on the screen), in the same coordinates as getBoundingClientRect. */
function screen(page: Page): Promise<Box & { scale: number }> {
  return page.evaluate(() => {
    const vv = window.visualViewport;
    if (!vv) throw new Error('no visualViewport');
    return { left: vv.offsetLeft, top: vv.offsetTop, right: vv.offsetLeft + vv.width, bottom: vv.offsetTop + vv.height, scale: vv.scale };
  });
}

function rect(l: Locator): Promise<Box> {
  return l.evaluate((el) => {
    const r = el.getBoundingClientRect();
    return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
  });
}

function inside(box: Box, view: Box): boolean {
  const slack = 0.5; // sub-pixel rounding
  return box.right > box.left && box.bottom > box.top && box.left >= view.left - slack && box.top >= view.top - slack && box.right <= view.right + slack && box.bottom <= view.bottom + slack;
}

/**
 * Asserts the element lies wholly on the screen. The widget follows the visual viewport a frame after it moves,
 * so this waits a little for that before asserting.
 */
async function expectOnScreen(page: Page, l: Locator, what: string): Promise<void> {
  await l.waitFor({ state: 'visible', timeout: STEP_MS });
  let box = await rect(l);
  let view = await screen(page);
  for (let i = 0; i < 20 && !inside(box, view); i++) {
    await page.waitForTimeout(100);
    [box, view] = await Promise.all([rect(l), screen(page)]);
  }
  expect({ what, box, screen: view, onScreen: inside(box, view) }).toEqual({ what, box, screen: view, onScreen: true });
}

/** A finger tap at the middle of the element, in screen coordinates: it lands only if the element is on the screen. */
async function tap(page: Page, l: Locator): Promise<void> {
  const [box, view] = await Promise.all([rect(l), screen(page)]);
  const x = ((box.left + box.right) / 2 - view.left) * view.scale;
  const y = ((box.top + box.bottom) / 2 - view.top) * view.scale;
  await page.touchscreen.tap(x, y);
}

/** Horizontal overflow of the page: how much wider its content is than the phone's layout width. */
function overflow(page: Page): Promise<{ scrollWidth: number; clientWidth: number; innerWidth: number }> {
  return page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth, innerWidth: window.innerWidth }));
}

/** The launcher, then the open panel's message box, send and close buttons, all on the screen and tappable. */
async function expectUsable(page: Page): Promise<void> {
  const w = widget(page);
  await w.launcher.waitFor({ timeout: STEP_MS });
  await expectOnScreen(page, w.launcher, 'launcher');
  await tap(page, w.launcher);
  await w.dialog.waitFor({ state: 'visible', timeout: STEP_MS });
  await expectOnScreen(page, w.input, 'message box');
  await expectOnScreen(page, w.send, 'send button');
  await expectOnScreen(page, w.close, 'close button');
  await expectOnScreen(page, w.dialog, 'panel');
  // The send button works from the screen too: type, tap send, the message shows.
  await w.input.fill('do you have parking?');
  await tap(page, w.send);
  await page.locator(WIDGET).locator('li.msg--customer').filter({ hasText: 'do you have parking?' }).first().waitFor({ timeout: STEP_MS });
  await tap(page, w.close);
  await w.dialog.waitFor({ state: 'hidden', timeout: STEP_MS });
  await expectOnScreen(page, w.launcher, 'launcher after closing');
}

describe.each(PHONES)('widget on a phone: $name', (phone) => {
  it(
    'the demo site fits the screen, and the launcher and the panel controls are on it and answer taps',
    async () => {
      const { cloud } = started();
      const { context, page } = await onPhone(phone);
      try {
        await page.goto(cloud.urls.demoSite);
        await widget(page).launcher.waitFor({ timeout: STEP_MS });
        const o = await overflow(page);
        expect(o).toEqual({ scrollWidth: phone.width, clientWidth: phone.width, innerWidth: phone.width });
        await expectUsable(page);
      } finally {
        await context.close();
      }
    },
    120_000,
  );

  it(
    `stays on the screen on a host page ${WIDE_PX}px wide, also once the visitor pans sideways`,
    async () => {
      const { cloud } = started();
      const { context, page } = await onPhone(phone);
      try {
        // The demo page with a banner wider than any phone, as sloppy customer sites have. (Added by an init script:
        // a page served by route.fulfill would count as a public one, and Chromium would block its requests to loopback.)
        await page.addInitScript((px) => {
          document.addEventListener('DOMContentLoaded', () => {
            const banner = document.createElement('div');
            banner.id = 'too-wide';
            banner.style.cssText = `width:${px}px;padding:8px;background:#fde68a`;
            banner.textContent = `A banner ${px}px wide`;
            document.body.prepend(banner);
          });
        }, WIDE_PX);
        await page.goto(cloud.urls.demoSite);
        await widget(page).launcher.waitFor({ timeout: STEP_MS });
        // The page really does overflow, and the browser widened the layout viewport to it.
        const o = await overflow(page);
        expect(o.scrollWidth).toBeGreaterThanOrEqual(WIDE_PX);
        expect(o.innerWidth).toBeGreaterThanOrEqual(WIDE_PX);
        expect((await screen(page)).right).toBe(phone.width);

        await expectUsable(page);

        // Pan sideways and down (the visual viewport moves inside the wider layout viewport): still on the screen.
        await page.mouse.move(phone.width / 2, phone.height / 3);
        await page.mouse.wheel(150, 300);
        await page.waitForFunction(() => (window.visualViewport?.offsetLeft ?? 0) > 0, undefined, { timeout: STEP_MS });
        await expectUsable(page);
      } finally {
        await context.close();
      }
    },
    120_000,
  );
});

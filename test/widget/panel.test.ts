/**
 * The built widget (loader.js + ui.js) in Chromium on a page of its own, with the test playing the server:
 * every request is answered by `page.route` and the WebSocket by `page.routeWebSocket`, so no local cloud
 * runs. Covers what only a browser shows: focus, the composer, and what is written to storage.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { clientFrame, type ClientFrame, type ServerFrame } from '../../lambdas/core/protocol';
import { buildWidget } from '../../widget/build';
import { launchChromium } from '../support/browser';

const ORIGIN = 'http://site.test';
const KEY = 'pk_test_0001';
const CONV = 'conv_0001';
const STEP_MS = 15_000;

const outDir = mkdtempSync(path.join(tmpdir(), 'concierge-widget-panel-'));
let browser: Browser | undefined;
let context: BrowserContext | undefined;

beforeAll(async () => {
  await buildWidget({ outDir });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  rmSync(outDir, { recursive: true, force: true });
});

afterEach(async () => {
  await context?.close();
  context = undefined;
});

const session = (mode: 'bot' | 'closed' | 'human' = 'bot', conversationId = CONV, lastSeq = 0): ServerFrame => ({ type: 'session', id: `sess_${conversationId}`, conversationId, mode, lastSeq, lang: 'en' });

interface FakeServer {
  readonly page: Page;
  /** Client frames received, in order, each checked against the server's own schema. */
  readonly received: ClientFrame[];
  send(frame: ServerFrame): void;
  /** Waits until a frame with this action has arrived; returns it. */
  waitFor(action: ClientFrame['action']): Promise<ClientFrame>;
}

/** A page with the one-tag embed; the server answers `hello` with `onHello`'s frames. */
async function visit(onHello: () => ServerFrame[], remembered?: Record<string, unknown>): Promise<FakeServer> {
  if (!browser) throw new Error('Chromium did not start');
  context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  // What an earlier page of the site left in localStorage (the conversation pointer).
  if (remembered) await page.addInitScript(({ key, value }) => localStorage.setItem(key, value), { key: `concierge:${KEY}:conversation`, value: JSON.stringify(remembered) });
  const files: Record<string, { body: string; type: string }> = {
    '/': { body: `<!doctype html><html lang="en"><body><script src="/widget/loader.js" data-tenant="${KEY}" async></script></body></html>`, type: 'text/html' },
    '/widget/loader.js': { body: readFileSync(path.join(outDir, 'widget', 'loader.js'), 'utf8'), type: 'text/javascript' },
    '/widget/ui.js': { body: readFileSync(path.join(outDir, 'widget', 'ui.js'), 'utf8'), type: 'text/javascript' },
    '/widget/config.json': { body: JSON.stringify({ wsUrl: 'ws://site.test/ws', apiUrl: `${ORIGIN}/api` }), type: 'application/json' },
    [`/api/v1/public/widget/${KEY}/config`]: {
      body: JSON.stringify({ name: 'Harbour Dental Studio', greeting: { en: 'Hello!' }, colour: '#0f766e', position: 'right', languages: ['en'] }),
      type: 'application/json',
    },
  };
  await page.route(`${ORIGIN}/**`, (route) => {
    const file = files[new URL(route.request().url()).pathname];
    return file ? route.fulfill({ status: 200, contentType: file.type, body: file.body }) : route.fulfill({ status: 404, body: '' });
  });
  const received: ClientFrame[] = [];
  const waiters: (() => void)[] = [];
  let socket: WebSocketRoute | undefined;
  await page.routeWebSocket(/^ws:\/\/site\.test\/ws/, (ws) => {
    socket = ws;
    ws.onMessage((data) => {
      const frame = clientFrame.parse(JSON.parse(String(data)));
      received.push(frame);
      if (frame.action === 'hello') for (const f of onHello()) ws.send(JSON.stringify(f));
      for (const w of waiters.splice(0)) w();
    });
  });
  await page.goto(`${ORIGIN}/`);
  return {
    page,
    received,
    send: (frame) => {
      if (!socket) throw new Error('the widget has not connected');
      socket.send(JSON.stringify(frame));
    },
    waitFor: async (action) => {
      const deadline = Date.now() + STEP_MS;
      for (;;) {
        const found = received.find((f) => f.action === action);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no ${action} frame; got ${received.map((f) => f.action).join(', ')}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
  };
}

const root = (page: Page) => page.locator('[data-concierge-widget]');

async function openChat(server: FakeServer): Promise<void> {
  await root(server.page).locator('button.cw-launcher').click();
  await root(server.page).getByRole('dialog').waitFor({ state: 'visible', timeout: STEP_MS });
  await server.waitFor('hello');
  await root(server.page).locator('.status--ready').waitFor({ timeout: STEP_MS });
}

/** Waits until the element focused inside the widget matches `selector`. */
async function expectFocus(page: Page, selector: string): Promise<void> {
  await page
    .waitForFunction((sel) => document.querySelector('[data-concierge-widget]')?.shadowRoot?.activeElement?.matches(sel) === true, selector, { timeout: 5_000 })
    .catch(async () => {
      const actual = await page.evaluate(() => document.querySelector('[data-concierge-widget]')?.shadowRoot?.activeElement?.outerHTML ?? document.activeElement?.tagName);
      throw new Error(`focus is not on ${selector} but on ${actual ?? 'nothing'}`);
    });
}

describe('the widget panel in Chromium', () => {
  it('writes nothing to storage before the visitor opens the chat', async () => {
    const server = await visit(() => [session()]);
    await root(server.page).locator('button.cw-launcher').waitFor({ timeout: STEP_MS });
    const stored = (): Promise<string[]> => server.page.evaluate(() => [...Object.keys(localStorage), ...Object.keys(sessionStorage)].sort());
    expect(await stored()).toEqual([]);
    await openChat(server);
    expect(await stored()).toEqual(expect.arrayContaining([`concierge:${KEY}:config`, `concierge:${KEY}:visitor`]));
  });

  it('moves focus to the message box after a suggested reply is chosen', async () => {
    const server = await visit(() => [
      { type: 'message', id: 'msg_0001', seq: 1, conversationId: CONV, role: 'bot', text: 'What would you like?', createdAt: '', quickReplies: [{ label: 'Book', text: 'I would like to book' }, { label: 'Prices', text: 'How much is it?' }] },
      session('bot', CONV, 1),
    ]);
    await openChat(server);
    const chip = root(server.page).getByRole('button', { name: 'Book', exact: true });
    await chip.focus();
    await chip.press('Enter');
    await server.waitFor('sendMessage');
    await expectFocus(server.page, '#cw-input');
  });

  it('keeps pasted text whole up to the protocol limit, and says when it is too long instead of cutting it', async () => {
    const server = await visit(() => [session()]);
    await openChat(server);
    const input = root(server.page).getByRole('textbox', { name: 'Type your message' });
    await input.focus();
    await server.page.keyboard.insertText('a'.repeat(1500));
    expect((await input.inputValue()).length).toBe(1500);
    const tooLong = root(server.page).getByText('That message is too long. Please shorten it.');
    expect(await tooLong.count()).toBe(0);
    await server.page.keyboard.insertText('é'.repeat(1500)); // 1,500 + 3,000 bytes: over 4,096
    await tooLong.waitFor({ timeout: STEP_MS });
    expect((await input.inputValue()).length).toBe(3000);
    expect(await root(server.page).getByRole('button', { name: 'Send', exact: true }).isDisabled()).toBe(true);
    await input.press('Enter'); // refused: the text stays, to be shortened
    expect((await input.inputValue()).length).toBe(3000);
    expect(server.received.some((f) => f.action === 'sendMessage')).toBe(false);
  });

  it('disables "New conversation" while a sent message awaits its ack', async () => {
    const server = await visit(() => [session()]);
    await openChat(server);
    const newButton = root(server.page).getByRole('button', { name: 'New conversation', exact: true });
    expect(await newButton.isDisabled()).toBe(false);
    const input = root(server.page).getByRole('textbox', { name: 'Type your message' });
    await input.fill('Do you have parking?');
    await input.press('Enter');
    const sent = await server.waitFor('sendMessage');
    if (sent.action !== 'sendMessage') throw new Error('unreachable');
    expect(await newButton.isDisabled()).toBe(true);
    server.send({ type: 'ack', id: `ack:${sent.clientId}`, clientId: sent.clientId, seq: 1 });
    await server.page.waitForFunction(
      () => document.querySelector('[data-concierge-widget]')?.shadowRoot?.querySelector('button[aria-label="New conversation"]')?.hasAttribute('disabled') === false,
      undefined,
      { timeout: STEP_MS },
    );
  });

  it('in a closed conversation, offers a new one instead of the message box, and keeps the satisfaction buttons', async () => {
    const csat = ['1', '2', '3', '4', '5'].map((n) => ({ label: n, text: n }));
    const server = await visit(() => [
      { type: 'message', id: 'msg_0001', seq: 1, conversationId: CONV, role: 'system', text: 'How did we do?', createdAt: '', quickReplies: csat },
      session('closed', CONV, 1),
    ]);
    await openChat(server);
    const w = root(server.page);
    const start = w.getByRole('button', { name: 'Start a new conversation' });
    await start.waitFor({ timeout: STEP_MS });
    expect(await w.getByRole('textbox', { name: 'Type your message' }).count()).toBe(0);
    expect(await w.locator('.quick-replies button').allTextContents()).toEqual(['1', '2', '3', '4', '5']);
    await start.click();
    await server.waitFor('newConversation');
    server.send(session('bot', 'conv_0002'));
    await w.getByRole('textbox', { name: 'Type your message' }).waitFor({ timeout: STEP_MS });
    expect(await start.count()).toBe(0);
    await expectFocus(server.page, '#cw-input');
  });

  it('on another page, stays connected while a person is awaited, so their reply shows as unread on the launcher', async () => {
    const server = await visit(
      () => [
        { type: 'message', id: 'msg_0001', seq: 1, conversationId: CONV, role: 'customer', text: 'Can I talk to someone?', createdAt: '' },
        { type: 'message', id: 'msg_0002', seq: 2, conversationId: CONV, role: 'system', text: 'A person will be with you shortly.', createdAt: '' },
        session('human', CONV, 2),
      ],
      { conversationId: CONV, lastSeq: 2, withPerson: true },
    );
    // No click: the loader connects by itself.
    expect(await server.waitFor('hello')).toMatchObject({ action: 'hello', conversationId: CONV });
    const badge = root(server.page).locator('.cw-badge');
    expect(await badge.isHidden()).toBe(true); // what the browser had received before is not unread
    server.send({ type: 'message', id: 'msg_0003', seq: 3, conversationId: CONV, role: 'agent', text: 'Hi, Marta here. How can I help?', createdAt: '' });
    await badge.filter({ hasText: '1' }).waitFor({ state: 'visible', timeout: STEP_MS });
  });

  it('keeps a reply that arrived with the panel closed unread on the next page', async () => {
    const server = await visit(
      () => [
        { type: 'message', id: 'msg_0001', seq: 1, conversationId: CONV, role: 'customer', text: 'Can I talk to someone?', createdAt: '' },
        { type: 'message', id: 'msg_0002', seq: 2, conversationId: CONV, role: 'system', text: 'A person will be with you shortly.', createdAt: '' },
        { type: 'message', id: 'msg_0003', seq: 3, conversationId: CONV, role: 'agent', text: 'Hi, Marta here.', createdAt: '' },
        session('human', CONV, 3),
      ],
      // The earlier page received the agent's reply (lastSeq 3) while its panel was closed (seen up to 2).
      { conversationId: CONV, lastSeq: 3, seenSeq: 2, withPerson: true },
    );
    await server.waitFor('hello');
    await root(server.page).locator('.cw-badge').filter({ hasText: '1' }).waitFor({ state: 'visible', timeout: STEP_MS });
  });

  it('does not connect a returning visitor who is not waiting for a person until they open the chat', async () => {
    const server = await visit(() => [session()], { conversationId: CONV, lastSeq: 2 });
    await server.page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('/widget/ui.js')), undefined, { timeout: STEP_MS });
    await server.page.waitForTimeout(1_000);
    expect(server.received).toEqual([]);
    await openChat(server);
  });
});

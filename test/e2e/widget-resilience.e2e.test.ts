/**
 * The widget in Debian Chromium against the real local cloud, when things are
 * not smooth: a hosted model streaming slowly (the partial answer grows in a
 * provisional bubble that the final, sourced message replaces), the browser
 * going offline (messages typed meanwhile are queued, then delivered once and
 * in order), the local cloud restarting on the same data folder and ports (the
 * widget resumes the same conversation and delivers what was typed while the
 * server was down), and a Spanish page (Spanish UI strings, a Spanish answer,
 * no serious axe violations).
 *
 * One local cloud for the whole file, on a data folder under the OS temp dir
 * and fixed ports: the restart test stops and restarts it, and the handlers'
 * composition root keeps its clients (DynamoDB endpoint, @connections
 * endpoint) for the life of the process, so a second cloud must reuse the
 * first one's ports. Answers come from the OpenAI adapter pointed at a local
 * fake speaking OpenAI's streaming wire format.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AxeResults } from 'axe-core';
import type { Browser, BrowserContext, Locator, Page, WebSocketRoute } from 'playwright-core';
import { z } from 'zod';
import { store } from '../../lambdas/adapters/container';
import type { MessageView } from '../../lambdas/core/protocol';
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from '../../local-cloud/index';
import { buildWidget } from '../../widget/build';
import { launchChromium } from '../support/browser';
import { startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai';

const WIDGET = '[data-concierge-widget]';
/** Generous bounds for one step on a busy machine; never asserted as durations. */
const STEP_MS = 60_000;
const RECONNECT_MS = 120_000;

const EN = {
  input: 'Type your message',
  online: 'Replies instantly',
  offline: 'Offline — reconnecting…',
  queued: 'Will send when back online',
};

let cloud: LocalCloud | undefined;
let cloudOptions: LocalCloudOptions | undefined;
let dataDir: string | undefined;
let browser: Browser | undefined;
let fake: FakeOpenAi | undefined;

/** Four distinct free loopback ports, held open together so none is handed out twice. */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no TCP address');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

beforeAll(async () => {
  await buildWidget();
  fake = await startFakeOpenAi();
  // The handlers read their configuration when the composition root first builds the answer path.
  process.env['LLM_PROVIDER'] = 'openai';
  process.env['OPENAI_API_KEY'] = 'sk-test-widget-resilience';
  process.env['OPENAI_BASE_URL'] = fake.baseURL;
  dataDir = mkdtempSync(join(tmpdir(), 'concierge-widget-resilience-'));
  const [gateway, demoSite, dynamodb, cognito] = await freePorts(4);
  cloudOptions = { quiet: true, dataDir, ports: { gateway, demoSite, dynamodb, cognito } };
  cloud = await startLocalCloud(cloudOptions);
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
  await fake?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

function started(): { cloud: LocalCloud; browser: Browser; fake: FakeOpenAi } {
  if (!cloud || !browser || !fake) throw new Error('local cloud, fake OpenAI or browser did not start');
  return { cloud, browser, fake };
}

async function newVisitor(locale = 'en-US', permissions: readonly string[] = []): Promise<{ context: BrowserContext; page: Page }> {
  const { browser } = started();
  const context = await browser.newContext({ locale, permissions: [...permissions], viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  return { context, page };
}

/** Playwright's CSS locators pierce open shadow roots, so these reach inside the widget. */
function widget(page: Page, inputName = EN.input) {
  const root = page.locator(WIDGET);
  return {
    root,
    launcher: root.locator('button.cw-launcher'),
    dialog: root.getByRole('dialog'),
    input: root.getByRole('textbox', { name: inputName }),
    status: root.locator('p.status'),
    /** Stored customer messages (they carry a seq). */
    customer: root.locator('li.msg--customer[data-seq]'),
    /** Customer messages not acknowledged yet. */
    pending: root.locator('li.msg--pending'),
    /** Stored bot replies, excluding the local greeting and provisional streams. */
    replies: root.locator('li.msg--bot[data-seq]'),
    /** Provisional (streaming) replies. */
    streaming: root.locator('li.msg--streaming'),
  };
}

async function openWidget(page: Page, inputName = EN.input): Promise<void> {
  const w = widget(page, inputName);
  await w.launcher.waitFor({ timeout: STEP_MS });
  await w.launcher.click();
  await w.dialog.waitFor({ state: 'visible', timeout: STEP_MS });
  await w.input.waitFor({ state: 'visible', timeout: STEP_MS });
}

async function ask(page: Page, text: string, inputName = EN.input): Promise<void> {
  const w = widget(page, inputName);
  await w.input.fill(text);
  await w.input.press('Enter');
}

async function text(l: Locator): Promise<string> {
  return (await l.textContent({ timeout: STEP_MS })) ?? '';
}

/** Waits (bounded, polling) until `locator` matches exactly `count` elements; fails naming the last count seen. */
async function waitForCount(page: Page, locator: Locator, count: number, timeout = STEP_MS): Promise<void> {
  const deadline = Date.now() + timeout;
  let seen = await locator.count();
  while (seen !== count && Date.now() < deadline) {
    await page.waitForTimeout(100);
    seen = await locator.count();
  }
  expect(seen).toBe(count);
}

/** The stored messages the widget shows, by seq: [role, text]. */
async function shownMessages(page: Page): Promise<{ seq: number; role: string; text: string }[]> {
  return page.locator(WIDGET).locator('li.msg[data-seq]').evaluateAll((els) =>
    els.map((e) => ({
      seq: Number(e.getAttribute('data-seq')),
      role: (/msg--(customer|bot|agent|system)/.exec(e.className) ?? [])[1] ?? '',
      text: e.querySelector('.bubble')?.textContent ?? '',
    })),
  );
}

const pointerSchema = z.object({ conversationId: z.string().min(1), lastSeq: z.number().int() });

/** The conversation the widget remembers in localStorage (`concierge:<key>:conversation`). */
async function rememberedConversation(page: Page): Promise<string> {
  const { cloud } = started();
  const raw = await page.evaluate((key) => window.localStorage.getItem(`concierge:${key}:conversation`), cloud.demo.widgetKey);
  if (!raw) throw new Error('the widget remembers no conversation');
  return pointerSchema.parse(JSON.parse(raw)).conversationId;
}

async function storedMessages(conversationId: string): Promise<MessageView[]> {
  return store().listMessages(started().cloud.demo.tenantId, conversationId, 0);
}

/**
 * Routes the page's WebSockets to `wsBase` through a switch: connected to the real server (from the page, so
 * the Origin is the page's) while on; while cut, open sockets are closed on both sides and new ones refused.
 */
async function webSocketSwitch(page: Page, wsBase: string): Promise<{ cut(): Promise<void>; restore(): void; passed(): number; frames(): string[] }> {
  let off = false;
  let passed = 0;
  const open: WebSocketRoute[] = [];
  const started = Date.now();
  // Every frame through the switch, both ways, to explain a failure.
  const frames: string[] = [];
  const record = (socket: number, arrow: string, message: string | Buffer): void => {
    frames.push(`${String(Date.now() - started).padStart(6)} ms #${socket} ${arrow} ${String(message).slice(0, 160)}`);
  };
  await page.routeWebSocket(
    (url) => url.href.startsWith(wsBase),
    (ws) => {
      if (off) {
        frames.push(`${String(Date.now() - started).padStart(6)} ms refused while offline`);
        void ws.close({ code: 1001, reason: 'offline' }).catch(() => undefined);
        return;
      }
      const socket = ++passed;
      const server = ws.connectToServer();
      ws.onMessage((m) => {
        record(socket, '→', m);
        server.send(m);
      });
      server.onMessage((m) => {
        record(socket, '←', m);
        ws.send(m);
      });
      open.push(ws, server);
    },
  );
  return {
    frames: () => frames.slice(),
    cut: async () => {
      off = true;
      await Promise.all(open.splice(0).map((r) => r.close({ code: 1001, reason: 'offline' }).catch(() => undefined)));
    },
    restore: () => {
      off = false;
    },
    passed: () => passed,
  };
}

/** Splits `sentence` into `n` pieces of about equal length, as a model's deltas. */
function deltas(sentence: string, n: number): string[] {
  const size = Math.ceil(sentence.length / n);
  const out: string[] = [];
  for (let i = 0; i < sentence.length; i += size) out.push(sentence.slice(i, i + size));
  return out;
}

const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();

function systemPromptOf(body: unknown): string {
  const parsed = z.object({ messages: z.array(z.object({ role: z.string(), content: z.unknown() })) }).safeParse(body);
  if (!parsed.success) return '';
  const system = parsed.data.messages.find((m) => m.role === 'system');
  return typeof system?.content === 'string' ? system.content : '';
}

describe('streamed answers in the widget', () => {
  it(
    'grows a provisional bubble with the partial answer, then replaces it with the final sourced message',
    async () => {
      const { cloud, fake } = started();
      const { context, page } = await newVisitor();
      try {
        await page.goto(cloud.urls.demoSite);
        await openWidget(page);
        const w = widget(page);
        await w.status.filter({ hasText: EN.online }).waitFor({ timeout: STEP_MS });

        // Record every provisional bubble's text on each DOM change, with how many final replies existed then.
        await page.evaluate((sel) => {
          const root = document.querySelector(sel)?.shadowRoot;
          if (!root) throw new Error('the widget has no shadow root');
          const win: Window & { __partials?: { text: string; finals: number }[] } = window;
          const seen: { text: string; finals: number }[] = [];
          win.__partials = seen;
          new MutationObserver(() => {
            const finals = root.querySelectorAll('li.msg--bot[data-seq]').length;
            for (const b of Array.from(root.querySelectorAll('li.msg--streaming .bubble'))) seen.push({ text: b.textContent ?? '', finals });
          }).observe(root, { subtree: true, childList: true, characterData: true });
        }, WIDGET);

        const sentence = 'There are six free patient spaces in the small car park behind our building [1].';
        fake.reset();
        fake.script({ kind: 'stream', deltas: deltas(sentence, 20), delayMs: 80 });
        await ask(page, 'do you have parking?');

        const answer = w.replies.first();
        await answer.waitFor({ timeout: STEP_MS });
        const finalText = squash(await text(answer.locator('.bubble')));
        expect(finalText).toContain('six free patient spaces in the small car park behind our building');
        expect(finalText).not.toContain('[1]');
        expect(await text(answer.locator('.source').first())).toMatch(/^Source: \S/);
        expect(fake.requests.length).toBeGreaterThan(0);

        const partials = await page.evaluate(() => {
          const win: Window & { __partials?: { text: string; finals: number }[] } = window;
          return win.__partials ?? [];
        });
        // Partial text was on screen before any final reply, each a strict prefix of the final text, and it grew.
        const early = partials.filter((p) => p.finals === 0).map((p) => squash(p.text)).filter((t) => t.length > 0);
        expect(early.length).toBeGreaterThan(0);
        for (const t of early) expect(finalText.startsWith(t)).toBe(true);
        // (The whole text may also show provisionally, just before the final message replaces it.)
        expect(early.some((t) => t.length < finalText.length)).toBe(true);
        const lengths = [...new Set(early.map((t) => t.length))];
        expect(lengths.length).toBeGreaterThan(1);
        expect([...lengths].sort((a, b) => a - b)).toEqual(lengths);

        // The final message replaced the provisional bubble: one bot bubble answers the question.
        expect(await w.streaming.count()).toBe(0);
        expect(await w.root.locator('li.msg--bot:not(.msg--greeting)').count()).toBe(1);
        expect(await w.replies.count()).toBe(1);
      } finally {
        await context.close();
      }
    },
    180_000,
  );
});

describe('offline queue', () => {
  it(
    'queues two messages typed while the browser is offline and delivers both once, in order, when it is back',
    async () => {
      const { cloud, fake } = started();
      const { context, page } = await newVisitor();
      // Chromium's offline emulation leaves open WebSockets alone, so the widget's socket runs through a
      // switch: passed to the real server while online; cut (both sides) and refused while offline.
      const network = await webSocketSwitch(page, cloud.urls.ws);
      try {
        await page.goto(cloud.urls.demoSite);
        await openWidget(page);
        const w = widget(page);
        // Three cited answers, so each question gets a bot reply (an uncited one is unanswered, and two of those
        // in a row hand the conversation to a person, whose fallback notice is not a bot reply).
        fake.reset();
        fake.script(
          { kind: 'stream', deltas: ['Yes, there are six free patient spaces ', 'in the car park behind our building [1].'] },
          { kind: 'stream', deltas: ['Yes, the patient spaces in the car park ', 'behind our building are free [1].'] },
          { kind: 'stream', deltas: ['Yes. If the car park is full, the Harbour Square ', 'public car park is a 3-minute walk away [1].'] },
        );
        await ask(page, 'do you have parking?');
        await w.replies.first().waitFor({ timeout: STEP_MS });
        const conversationId = await rememberedConversation(page);
        expect(network.passed()).toBeGreaterThan(0);

        await context.setOffline(true);
        await network.cut();
        await w.status.filter({ hasText: EN.offline }).waitFor({ timeout: STEP_MS });
        const first = 'is the car park free?';
        const second = 'can I park there on Saturdays?';
        await ask(page, first);
        await ask(page, second);
        await waitForCount(page, w.pending, 2);
        expect(await w.pending.locator('.bubble').allTextContents()).toEqual([first, second]);
        expect(await w.pending.locator('.meta').allTextContents()).toEqual([EN.queued, EN.queued]);
        expect(await w.customer.count()).toBe(1);

        network.restore();
        // Back online: the page's `online` event makes the widget reconnect without waiting out its back-off.
        await context.setOffline(false);
        await w.status.filter({ hasText: EN.online }).waitFor({ timeout: RECONNECT_MS });
        await waitForCount(page, w.customer, 3);
        await w.pending.first().waitFor({ state: 'detached', timeout: STEP_MS });
        // Both answered: three replies in all.
        await waitForCount(page, w.replies, 3);

        const shown = await shownMessages(page);
        expect(shown.filter((m) => m.role === 'customer').map((m) => m.text)).toEqual(['do you have parking?', first, second]);
        expect([...shown].sort((a, b) => a.seq - b.seq)).toEqual(shown);
        expect(await rememberedConversation(page)).toBe(conversationId);

        const stored = await storedMessages(conversationId);
        expect(stored.filter((m) => m.role === 'customer').map((m) => m.text)).toEqual(['do you have parking?', first, second]);
        const seqOf = (t: string): number => stored.find((m) => m.role === 'customer' && m.text === t)?.seq ?? Number.NaN;
        const botsAfter = (seq: number): number => stored.filter((m) => m.role === 'bot' && m.seq > seq).length;
        expect(seqOf(first)).toBeLessThan(seqOf(second));
        expect(botsAfter(seqOf(first))).toBeGreaterThanOrEqual(2);
        expect(botsAfter(seqOf(second))).toBeGreaterThanOrEqual(1);
      } catch (error) {
        // What went through the widget's sockets, for whoever reads the failure.
        console.log(`widget socket frames:\n${network.frames().join('\n')}`);
        throw error;
      } finally {
        await context.setOffline(false).catch(() => undefined);
        await context.close();
      }
    },
    240_000,
  );
});

describe('Spanish page', () => {
  it(
    'speaks Spanish in its UI, answers a Spanish question in Spanish, and has no serious axe violations',
    async () => {
      const { cloud, fake } = started();
      // The visitor's browser is English: the page's data-lang decides. The page is the demo site's, rewritten by
      // the test, so Chromium counts it as public and asks before it reaches the loopback widget host: granted.
      const { context, page } = await newVisitor('en-US', ['local-network-access']);
      try {
        const url = `${cloud.urls.demoSite}?lang=es`;
        await page.route((u) => u.href === url, async (route) => {
          const original = await route.fetch();
          const html = (await original.text())
            .replace('<html lang="en">', '<html lang="es">')
            .replace(/<script src="([^"]+)" data-tenant=/, '<script src="$1" data-lang="es" data-tenant=');
          await route.fulfill({ response: original, body: html });
        });
        await page.goto(url);
        expect(await page.locator('script[data-lang="es"]').count()).toBe(1);
        expect(await page.locator('html').getAttribute('lang')).toBe('es');
        const input = 'Escribe tu mensaje';
        const w = widget(page, input);
        await w.launcher.waitFor({ timeout: STEP_MS });
        expect(await w.launcher.getAttribute('aria-label')).toBe(`Chatea con ${cloud.demo.businessName}`);
        await openWidget(page, input);
        expect(await w.input.getAttribute('placeholder')).toBe('Haz una pregunta…');
        expect(await w.root.locator('button.send').getAttribute('aria-label')).toBe('Enviar');
        await w.status.filter({ hasText: 'Responde al instante' }).waitFor({ timeout: STEP_MS });
        expect(await w.dialog.getAttribute('lang')).toBe('es');

        fake.reset();
        fake.script({
          kind: 'stream',
          deltas: deltas('Sí, hay seis plazas gratuitas para pacientes en el pequeño aparcamiento detrás del edificio [1].', 8),
          delayMs: 20,
        });
        await ask(page, '¿Tienen aparcamiento para pacientes?', input);
        const answer = w.replies.first();
        await answer.waitFor({ timeout: STEP_MS });
        expect(squash(await text(answer.locator('.bubble')))).toBe('Sí, hay seis plazas gratuitas para pacientes en el pequeño aparcamiento detrás del edificio.');
        expect(await text(answer.locator('.source').first())).toMatch(/^Fuente: \S/);
        // The model was told to reply in Spanish.
        expect(fake.requests.map((r) => systemPromptOf(r.body)).some((p) => p.includes('Reply in Spanish'))).toBe(true);

        await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
        const violations = await page.evaluate(async (sel) => {
          const win: Window & { axe?: typeof import('axe-core') } = window;
          if (!win.axe) throw new Error('axe-core did not load');
          const results: AxeResults = await win.axe.run({ include: [sel] }, { resultTypes: ['violations'] });
          return {
            scanned: results.passes.length + results.violations.length + results.incomplete.length,
            violations: results.violations.map((v) => ({ id: v.id, impact: v.impact ?? null, help: v.help, nodes: v.nodes.map((n) => n.target.join(' >>> ')) })),
          };
        }, WIDGET);
        expect(violations.scanned).toBeGreaterThan(0);
        expect(violations.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
      } finally {
        await context.close();
      }
    },
    180_000,
  );
});

describe('local cloud restart mid-conversation', () => {
  it(
    'shows it is offline, queues what is typed, then resumes the same conversation and delivers the message once',
    async () => {
      const { cloud: first, fake } = started();
      if (!cloudOptions) throw new Error('no local cloud options');
      const { context, page } = await newVisitor();
      try {
        await page.goto(first.urls.demoSite);
        await openWidget(page);
        const w = widget(page);
        fake.reset();
        const question = 'do you have parking?';
        await ask(page, question);
        await w.replies.first().waitFor({ timeout: STEP_MS });
        const conversationId = await rememberedConversation(page);
        const before = await shownMessages(page);

        await first.stop();
        cloud = undefined;
        await w.status.filter({ hasText: EN.offline }).waitFor({ timeout: STEP_MS });

        const queued = 'is the car park step-free?';
        await ask(page, queued);
        await waitForCount(page, w.pending, 1);
        expect(await text(w.pending.locator('.bubble'))).toBe(queued);
        expect(await text(w.pending.locator('.meta'))).toBe(EN.queued);

        cloud = await startLocalCloud(cloudOptions);
        await w.status.filter({ hasText: EN.online }).waitFor({ timeout: RECONNECT_MS });
        await waitForCount(page, w.customer, 2, RECONNECT_MS);
        await w.pending.first().waitFor({ state: 'detached', timeout: STEP_MS });
        await waitForCount(page, w.replies, 2);

        // The same conversation, its history intact and nothing twice.
        expect(await rememberedConversation(page)).toBe(conversationId);
        const shown = await shownMessages(page);
        expect(shown.slice(0, before.length)).toEqual(before);
        expect(shown.filter((m) => m.role === 'customer').map((m) => m.text)).toEqual([question, queued]);
        expect(new Set(shown.map((m) => m.seq)).size).toBe(shown.length);

        const stored = await storedMessages(conversationId);
        expect(stored.filter((m) => m.role === 'customer').map((m) => m.text)).toEqual([question, queued]);
        const queuedSeq = stored.find((m) => m.text === queued)?.seq ?? Number.NaN;
        expect(stored.some((m) => m.role === 'bot' && m.seq > queuedSeq)).toBe(true);
        expect(shown.map((m) => m.seq)).toEqual(stored.map((m) => m.seq));
      } finally {
        await context.close();
      }
    },
    420_000,
  );
});

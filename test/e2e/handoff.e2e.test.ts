/**
 * The human handoff in Debian's Chromium against the local cloud, both sides in the same test:
 * a customer in the widget on the demo business's site asks for a person; an agent signed in to the
 * admin UI sees it arrive live in the inbox, accepts and replies (typing shows both ways); the
 * customer sees "a person joined" and the reply, and the bot says nothing meanwhile; the agent
 * closes and the customer gets the satisfaction question, answers it, and the agent sees the score.
 * axe-core scans every admin page on the way (no serious or critical violations).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { z } from 'zod';
import { handoffStore, store } from '../../lambdas/adapters/container';
import { importKnowledgeBase } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema, type KnowledgeBase } from '../../lambdas/core/knowledge-base';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { buildWidget } from '../../widget/build';
import { launchChromium } from '../support/browser';
import { seriousViolations, signInToAdmin } from '../support/admin-e2e';
import { api, eventually, signIn as apiSignIn } from '../support/staff';

const WIDGET = '[data-concierge-widget]';
const STEP_MS = 30_000;
const AGENT = { email: 'agent@harbour-dental.example', password: 'Harbour-Agent-2026!' };

let cloud: LocalCloud | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  await buildWidget();
  [cloud, browser] = await Promise.all([startLocalCloud({ quiet: true }), launchChromium()]);
  // The demo business is open around the clock here, so the handoff does not depend on when the test runs
  // (outside opening hours it falls back to a callback: test/integration/handoff.test.ts).
  const kb: KnowledgeBase = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '..', '..', 'local-cloud', 'seed', 'demo-kb.json'), 'utf8')));
  const allWeek = (['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const).map((day) => ({ day, open: '00:00', close: '23:59' }));
  await importKnowledgeBase(store(), cloud.demo.tenantId, { ...kb, hours: allWeek });
  await handoffStore().putHandoffSettings(cloud.demo.tenantId, {
    slaSeconds: 600,
    cannedReplies: [{ id: 'hello', title: 'Hello', text: 'Hi, this is Sam from the front desk.' }],
  });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
}, 60_000);

function started(): { cloud: LocalCloud; browser: Browser } {
  if (!cloud || !browser) throw new Error('local cloud or browser did not start');
  return { cloud, browser };
}


async function signIn(page: Page, email: string, password: string): Promise<void> {
  await signInToAdmin(page, started().cloud.urls.admin, email, password, STEP_MS);
}

async function context(): Promise<BrowserContext> {
  const { browser } = started();
  return browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
}

/** A page of the admin UI whose script errors show in the test output. */
async function adminPage(browserContext: BrowserContext): Promise<Page> {
  const page = await browserContext.newPage();
  page.on('pageerror', (err) => console.error('admin page error:', err.message));
  return page;
}

describe('human handoff, customer and agent in the same test', () => {
  it(
    'a customer asks for a person; the agent sees it live, accepts and replies; the bot stays silent; closing asks the CSAT question',
    async () => {
      const { cloud } = started();
      const agentContext = await context();
      const customerContext = await context();
      try {
        // The agent is in the inbox, live.
        const agent = await adminPage(agentContext);
        await signIn(agent, AGENT.email, AGENT.password);
        await agent.getByTestId('nav-inbox').click();
        await agent.getByTestId('inbox-page').waitFor();
        await agent.locator('[data-testid="inbox-live"][data-status="live"]').waitFor({ timeout: STEP_MS });
        await agent.getByTestId('inbox-empty').waitFor({ timeout: STEP_MS });
        expect(await seriousViolations(agent)).toEqual([]);

        // The customer asks for a person in the widget.
        const customer = await customerContext.newPage();
        customer.on('pageerror', (err) => console.error('demo site error:', err.message));
        await customer.goto(cloud.urls.demoSite);
        const w = customer.locator(WIDGET);
        await w.locator('button.cw-launcher').click();
        const input = w.getByRole('textbox', { name: 'Type your message' });
        await input.waitFor({ state: 'visible', timeout: STEP_MS });
        await input.fill('I want to speak to a human');
        await input.press('Enter');
        await w.locator('li.msg--system[data-seq]').filter({ hasText: /asked the team/i }).waitFor({ timeout: STEP_MS });
        const botReplies = await w.locator('li.msg--bot[data-seq]').count();

        // It arrives in the agent's waiting queue without a reload.
        const item = agent.getByTestId('inbox-item').first();
        await item.waitFor({ timeout: STEP_MS });
        expect(await item.getAttribute('data-mode')).toBe('waiting_for_human');
        // The announcement comes with the live "waiting" frame; the list may already show the item from a reload
        // another frame triggered, so wait for it rather than read it at once.
        await agent.getByTestId('inbox-announcement').filter({ hasText: /waiting for a person/i }).waitFor({ timeout: STEP_MS });
        await item.click();
        const detail = agent.getByTestId('inbox-conversation');
        await detail.waitFor();
        await detail.getByTestId('inbox-message').filter({ hasText: 'I want to speak to a human' }).waitFor({ timeout: STEP_MS });
        await detail.getByTestId('inbox-accept').click();
        await agent.locator('[data-testid="inbox-conversation"][data-mode="human"]').waitFor({ timeout: STEP_MS });
        await detail.getByTestId('inbox-composer').waitFor();
        expect(await seriousViolations(agent)).toEqual([]);

        // A reply being written is kept when the agent leaves the conversation and comes back, and over a reload
        // (lib/drafts.ts; the box used to be emptied whenever the pane changed).
        await detail.getByTestId('inbox-reply-input').fill('Let me check the diary for you');
        await agent.getByTestId('nav-team').click();
        await agent.getByTestId('inbox-conversation').waitFor({ state: 'detached' });
        await agent.goBack();
        await expect(agent.getByTestId('inbox-reply-input').inputValue()).resolves.toBe('Let me check the diary for you');
        // A draft another staff member left in this tab, their session having ended without signing out, is dropped.
        const othersDraft = 'concierge.inbox-draft:someone-else@harbour-dental.example:conv-1';
        await agent.evaluate((key) => sessionStorage.setItem(key, 'Your results came back fine'), othersDraft);
        await agent.reload();
        await agent.getByTestId('inbox-reply-input').waitFor({ timeout: STEP_MS });
        await expect(agent.getByTestId('inbox-reply-input').inputValue()).resolves.toBe('Let me check the diary for you');
        await expect(agent.evaluate((key) => sessionStorage.getItem(key), othersDraft)).resolves.toBeNull();
        await agent.locator('[data-testid="inbox-live"][data-status="live"]').waitFor({ timeout: STEP_MS });
        await detail.getByTestId('inbox-reply-input').fill('');

        // The customer is told a person joined.
        await w.locator('li[data-handoff="joined"]').waitFor({ timeout: STEP_MS });
        await expect(w.locator('.status').textContent()).resolves.toMatch(/chatting with a person/i);

        // Typing both ways.
        await input.fill('I need to move my appointment');
        await agent.locator('[data-testid="inbox-customer-typing"][data-on="true"]').waitFor({ timeout: STEP_MS });
        await input.press('Enter');
        await detail.getByTestId('inbox-message').filter({ hasText: 'I need to move my appointment' }).waitFor({ timeout: STEP_MS });
        await detail.getByTestId('inbox-canned').selectOption('hello');
        await expect(detail.getByTestId('inbox-reply-input').inputValue()).resolves.toBe('Hi, this is Sam from the front desk.');
        await detail.getByTestId('inbox-reply-input').pressSequentially(' Which day suits you?', { delay: 5 });
        await w.locator('li.msg--typing').waitFor({ timeout: STEP_MS });
        await detail.getByTestId('inbox-reply-send').click();

        // The customer sees the reply; the bot has said nothing since the handoff.
        const reply = w.locator('li.msg--agent[data-seq]').filter({ hasText: 'Which day suits you?' });
        await reply.waitFor({ timeout: STEP_MS });
        await expect(reply.textContent()).resolves.toContain('Hi, this is Sam from the front desk.');

        // Read receipts both ways: the agent answered the customer's message, so the widget marks it "Seen";
        // the open widget reports the agent's reply read, and the inbox shows "Seen by customer" under it.
        const moveMessage = w.locator('li.msg--customer[data-seq]').filter({ hasText: 'I need to move my appointment' });
        await moveMessage.locator('.meta.seen').filter({ hasText: 'Seen' }).waitFor({ timeout: STEP_MS });
        expect(await w.locator('.meta.seen').count()).toBe(1);
        const agentReply = detail.locator('[data-testid="inbox-message"][data-role="agent"]').filter({ hasText: 'Which day suits you?' });
        await agentReply.getByTestId('inbox-seen').waitFor({ timeout: STEP_MS });
        expect(await detail.getByTestId('inbox-seen').count()).toBe(1);
        await input.fill('Thursday morning please');
        await input.press('Enter');
        await detail.getByTestId('inbox-message').filter({ hasText: 'Thursday morning please' }).waitFor({ timeout: STEP_MS });
        await customer.waitForTimeout(500);
        expect(await w.locator('li.msg--bot[data-seq]').count()).toBe(botReplies);

        // The agent closes; the customer gets the CSAT question in their language, with 1–5.
        await detail.getByTestId('inbox-close').click();
        await agent.locator('[data-testid="inbox-conversation"][data-mode="closed"]').waitFor({ timeout: STEP_MS });
        const question = w.locator('li.msg--system[data-seq]').filter({ hasText: /how satisfied/i });
        await question.waitFor({ timeout: STEP_MS });
        const chips = w.locator('.quick-replies .chip');
        await chips.nth(4).waitFor({ timeout: STEP_MS });
        await expect(chips.allTextContents()).resolves.toEqual(['1', '2', '3', '4', '5']);
        await expect(w.locator('.closed').textContent()).resolves.toMatch(/ended/i);
        await chips.filter({ hasText: '5' }).click();
        await w.locator('li.msg--system[data-seq]').filter({ hasText: /thank you for your feedback/i }).waitFor({ timeout: STEP_MS });
        expect(await w.locator('li.msg--bot[data-seq]').count()).toBe(botReplies);

        // The agent sees the score on the conversation.
        await agent.getByTestId('inbox-csat').filter({ hasText: '5 / 5' }).waitFor({ timeout: STEP_MS });
      } finally {
        await customerContext.close();
        await agentContext.close();
      }
    },
    180_000,
  );

  it(
    'has no serious or critical axe violations on any admin page, and keeps settings from agents',
    async () => {
      const ownerContext = await context();
      const agentContext = await context();
      try {
        const { cloud } = started();
        const owner = await ownerContext.newPage();
        await signIn(owner, cloud.demo.staffEmail, cloud.demo.staffPassword);
        const pages: [string, string][] = [
          ['nav-conversations', 'conversations-page'],
          ['nav-knowledge', 'kb-faqs'],
          ['nav-inbox', 'inbox-page'],
          ['nav-settings', 'settings-sla'],
          ['nav-outbox', 'outbox-page'],
        ];
        for (const [nav, ready] of pages) {
          await owner.getByTestId(nav).click();
          await owner.getByTestId(ready).first().waitFor({ timeout: STEP_MS });
          await owner.waitForLoadState('networkidle');
          expect({ page: nav, violations: await seriousViolations(owner) }).toEqual({ page: nav, violations: [] });
        }
        await owner.getByTestId('nav-inbox').click();
        await owner.getByTestId('inbox-queue-all').click();
        await owner.getByTestId('inbox-item').first().click();
        await owner.getByTestId('inbox-conversation').waitFor();
        await owner.getByTestId('inbox-transitions').waitFor();
        expect(await seriousViolations(owner)).toEqual([]);
        await owner.getByTestId('inbox-queue-callbacks').click();
        await owner.getByTestId('inbox-page').waitFor();
        // Scan the callbacks list itself, not its loading state.
        await owner.getByTestId('followups-empty').or(owner.getByTestId('followup-list')).waitFor({ timeout: STEP_MS });
        expect(await seriousViolations(owner)).toEqual([]);
        // The outbox kept the e-mail to the agent who was online when the customer asked.
        await owner.getByTestId('nav-outbox').click();
        await owner.getByTestId('outbox-item').first().waitFor({ timeout: STEP_MS });
        await expect(owner.getByTestId('outbox-item').first().textContent()).resolves.toContain(AGENT.email);
        // Settings that fail to load say so (not "could not save") and can be loaded again.
        let failSettingsLoad = true;
        await owner.route('**/v1/admin/handoff-settings', async (route) => {
          if (route.request().method() === 'GET' && failSettingsLoad) {
            failSettingsLoad = false;
            await route.abort('failed');
          } else {
            await route.fallback();
          }
        });
        await owner.getByTestId('nav-settings').click();
        const loadError = owner.getByTestId('settings-load-error');
        await loadError.waitFor({ timeout: STEP_MS });
        await expect(loadError.textContent()).resolves.toContain('Could not load the settings');
        await loadError.getByTestId('settings-retry').click();
        await owner.getByTestId('settings-sla').waitFor({ timeout: STEP_MS });
        expect(await owner.getByTestId('settings-load-error').count()).toBe(0);
        await owner.unroute('**/v1/admin/handoff-settings');
        // Admins change the SLA.
        await owner.getByTestId('settings-sla').fill('300');
        await owner.getByTestId('settings-save').click();
        await owner.getByTestId('settings-saved').filter({ hasText: 'Saved.' }).waitFor();

        const agent = await agentContext.newPage();
        await signIn(agent, AGENT.email, AGENT.password);
        expect(await agent.getByTestId('nav-settings').count()).toBe(0);
        expect(await agent.getByTestId('nav-outbox').count()).toBe(0);
        await agent.goto(`${cloud.urls.admin}#/settings`);
        await agent.getByTestId('forbidden').waitFor();
      } finally {
        await ownerContext.close();
        await agentContext.close();
      }
    },
    180_000,
  );

  it(
    'stores a reply once however often it is sent, keeps the open conversation current without the live connection, and ignores frames of the conversation watched before',
    async () => {
      const { cloud } = started();
      const agentContext = await context();
      const customerContext = await context();
      try {
        const agent = await adminPage(agentContext);
        // The agent's live connection passes through here: it can be cut (the inbox is then offline until it is
        // restored), its staffWatch messages held back, and frames put in as if the server had sent them.
        const connections: { page: WebSocketRoute; server: WebSocketRoute }[] = [];
        let cut = false;
        let holdWatch = false;
        const heldWatches: (() => void)[] = [];
        await agent.routeWebSocket(/[?&]key=staff\./, async (ws) => {
          if (cut) return ws.close();
          const server = ws.connectToServer();
          connections.push({ page: ws, server });
          ws.onMessage((message) => {
            if (holdWatch && typeof message === 'string' && message.includes('"staffWatch"')) heldWatches.push(() => server.send(message));
            else server.send(message);
          });
        });
        const cutConnection = async (): Promise<void> => {
          cut = true;
          for (const c of connections.splice(0)) await Promise.all([c.page.close(), c.server.close()]);
          await agent.locator('[data-testid="inbox-live"]:not([data-status="live"])').waitFor({ timeout: STEP_MS });
        };
        const restoreConnection = async (): Promise<void> => {
          cut = false;
          await agent.locator('[data-testid="inbox-live"][data-status="live"]').waitFor({ timeout: STEP_MS });
        };
        await signIn(agent, AGENT.email, AGENT.password);
        await agent.getByTestId('nav-inbox').click();
        await agent.locator('[data-testid="inbox-live"][data-status="live"]').waitFor({ timeout: STEP_MS });

        // A customer asks for a person; the agent accepts.
        const customer = await customerContext.newPage();
        await customer.goto(cloud.urls.demoSite);
        const w = customer.locator(WIDGET);
        await w.locator('button.cw-launcher').click();
        const input = w.getByRole('textbox', { name: 'Type your message' });
        await input.waitFor({ state: 'visible', timeout: STEP_MS });
        const customerSays = async (text: string): Promise<void> => {
          await input.fill(text);
          await input.press('Enter');
          await w.locator('li.msg--customer[data-seq]').filter({ hasText: text }).waitFor({ timeout: STEP_MS });
        };
        await customerSays('Can a person help me, please?');
        await w.locator('li.msg--system[data-seq]').filter({ hasText: /asked the team/i }).waitFor({ timeout: STEP_MS });
        // The only one waiting (the first test's conversation is closed).
        await agent.getByTestId('inbox-item').first().click();
        const detail = agent.getByTestId('inbox-conversation');
        await detail.getByTestId('inbox-message').filter({ hasText: 'Can a person help me, please?' }).waitFor({ timeout: STEP_MS });
        await detail.getByTestId('inbox-accept').click();
        await agent.locator('[data-testid="inbox-conversation"][data-mode="human"]').waitFor({ timeout: STEP_MS });
        const conversationId = await detail.getAttribute('data-conversation-id');
        if (conversationId === null) throw new Error('no conversation id on the open conversation');
        const token = await apiSignIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
        const storedAgentReplies = async (text: string): Promise<number> => {
          const reply = await api(cloud, 'GET', `/v1/admin/inbox/${encodeURIComponent(conversationId)}`, token);
          const { messages } = z.object({ messages: z.array(z.object({ role: z.string(), text: z.string() })) }).parse(reply.body);
          return messages.filter((m) => m.role === 'agent' && m.text === text).length;
        };
        const replies = agent.getByTestId('inbox-reply-input');
        const sends: string[] = [];
        agent.on('request', (r) => {
          if (r.method() === 'POST' && /\/v1\/admin\/inbox\/[^/]+\/messages$/.test(new URL(r.url()).pathname)) sends.push(r.postData() ?? '');
        });
        const MESSAGES = '**/v1/admin/inbox/*/messages';

        // Enter pressed again while the reply is on its way sends nothing more.
        await agent.route(MESSAGES, async (route) => {
          await new Promise((resolve) => setTimeout(resolve, 1500));
          await route.fallback();
        });
        await replies.fill('One moment, I am checking.');
        // The take-over's own request may still be finishing (the composer sends nothing while an action is busy).
        await eventually(async () => ((await agent.getByTestId('inbox-reply-send').isEnabled()) ? true : undefined), 'the composer ready', STEP_MS);
        await replies.press('Enter');
        await agent.getByTestId('inbox-reply-send').filter({ hasText: 'Sending…' }).waitFor({ timeout: STEP_MS });
        await replies.press('Enter');
        await eventually(async () => ((await replies.inputValue()) === '' ? true : undefined), 'the reply sent', STEP_MS);
        await agent.waitForTimeout(2000);
        expect(sends).toHaveLength(1);
        expect(await storedAgentReplies('One moment, I am checking.')).toBe(1);
        await agent.unroute(MESSAGES);

        // Its answer lost (the server stored it), the reply is sent again as the same reply: stored once.
        await agent.route(
          MESSAGES,
          async (route) => {
            await route.fetch();
            await route.abort('failed');
          },
          { times: 1 },
        );
        await replies.fill('Thursday at 10 is free.');
        await agent.getByTestId('inbox-reply-send').click();
        await detail.getByTestId('inbox-conversation-error').waitFor({ timeout: STEP_MS });
        expect(await replies.inputValue()).toBe('Thursday at 10 is free.');
        await agent.getByTestId('inbox-reply-send').click();
        await eventually(async () => ((await replies.inputValue()) === '' ? true : undefined), 'the reply sent again', STEP_MS);
        expect(await storedAgentReplies('Thursday at 10 is free.')).toBe(1);
        expect(JSON.parse(sends[1] ?? '{}')).toEqual(JSON.parse(sends[2] ?? '{}'));
        expect(await w.locator('li.msg--agent[data-seq]').filter({ hasText: 'Thursday at 10 is free.' }).count()).toBe(1);
        await agent.unroute(MESSAGES);

        // A message sent while the live connection is down shows once it is back …
        await cutConnection();
        await customerSays('Sent while the inbox was offline');
        await restoreConnection();
        await detail.getByTestId('inbox-message').filter({ hasText: 'Sent while the inbox was offline' }).waitFor({ timeout: 10_000 });
        // … and, while it stays down, by the fallback polling (every 15 s).
        await cutConnection();
        await customerSays('Sent while the inbox stayed offline');
        await detail.getByTestId('inbox-message').filter({ hasText: 'Sent while the inbox stayed offline' }).waitFor({ timeout: 25_000 });
        expect(await agent.getByTestId('inbox-live').getAttribute('data-status')).not.toBe('live');
        await restoreConnection();

        // Opened again, the conversation is watched anew: until the server confirms, frames of the conversation
        // watched before (typing names none; a state frame's id names it) do not touch it.
        holdWatch = true;
        await agent.getByTestId('inbox-queue-mine').click();
        await agent.getByTestId('inbox-detail-empty').waitFor({ timeout: STEP_MS });
        await agent.locator(`[data-testid="inbox-item"][data-conversation-id="${conversationId}"]`).click();
        await agent.locator('[data-testid="inbox-conversation"][data-mode="human"]').waitFor({ timeout: STEP_MS });
        await eventually(async () => (heldWatches.length > 0 ? true : undefined), 'the watch sent', STEP_MS);
        const live = connections.at(-1)?.page;
        if (!live) throw new Error('no live connection');
        live.send(JSON.stringify({ type: 'typing', on: true, role: 'customer' }));
        live.send(JSON.stringify({ type: 'state', id: 'state:conversation-watched-before:closed:2026-01-01T00:00:00.000Z', mode: 'closed' }));
        await agent.waitForTimeout(500);
        expect(await detail.getAttribute('data-mode')).toBe('human');
        expect(await detail.getByTestId('inbox-customer-typing').getAttribute('data-on')).toBe('false');
        holdWatch = false;
        for (const release of heldWatches.splice(0)) release();
        await agent.waitForTimeout(500);
        await input.fill('Typing after the watch');
        await agent.locator('[data-testid="inbox-customer-typing"][data-on="true"]').waitFor({ timeout: STEP_MS });
      } finally {
        await customerContext.close();
        await agentContext.close();
      }
    },
    180_000,
  );
});

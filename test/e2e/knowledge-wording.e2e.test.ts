/**
 * Teaching the concierge a customer's wording, end to end in Debian's Chromium against the local cloud: a
 * customer asks the demo clinic "is there internet for patients?", which its Wi-Fi FAQ answers in other words,
 * and gets "not sure"; the owner finds the question among Analytics' unanswered questions, adds it to the Wi-Fi
 * FAQ as another wording, and from then on the concierge answers it from that FAQ. axe-core scans the form.
 */
import type { Browser } from 'playwright-core';
import { z } from 'zod';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { seriousViolations, signInToAdmin } from '../support/admin-e2e';
import { launchChromium } from '../support/browser';
import { api, signIn, testQuestion } from '../support/staff';
import { demoWidget, widgetCustomer } from '../support/ws-client';

const QUESTION = 'Is there internet for patients?';
const STEP_MS = 30_000;

let cloud: LocalCloud;
let browser: Browser;
let firstReply: { sources?: unknown[]; text?: string };

beforeAll(async () => {
  [cloud, browser] = await Promise.all([startLocalCloud({ quiet: true }), launchChromium()]);
  const customer = await widgetCustomer(demoWidget(cloud));
  firstReply = z.object({ sources: z.array(z.unknown()).optional(), text: z.string() }).parse(await customer.ask(QUESTION));
  await customer.socket.close();
  // The unanswered question reaches Analytics through the bus (the stats projector).
  await cloud.settle();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
}, 60_000);

describe('teaching a wording from an unanswered question', () => {
  it('adds the question to the FAQ that answers it, and the concierge answers it from then on', async () => {
    expect(firstReply.sources ?? []).toEqual([]);
    expect(firstReply.text).toMatch(/not sure/i);

    const page = await browser.newPage();
    try {
      await signInToAdmin(page, cloud.urls.admin, cloud.demo.staffEmail, cloud.demo.staffPassword);
      await page.getByTestId('nav-analytics').click();
      const gap = page.getByTestId('analytics-gap').filter({ hasText: QUESTION });
      await gap.waitFor({ timeout: STEP_MS });
      await gap.getByTestId('analytics-gap-wording').click();
      const select = gap.getByTestId('analytics-wording-faq');
      await select.waitFor({ timeout: STEP_MS });
      expect(await seriousViolations(page)).toEqual([]);
      await select.selectOption('wifi');
      await gap.getByTestId('analytics-wording-save').click();
      await gap.waitFor({ state: 'detached', timeout: STEP_MS });
      await expect(page.getByTestId('analytics-gaps-notice').textContent()).resolves.toContain('Do you have Wi-Fi?');
    } finally {
      await page.close();
    }

    const token = await signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
    const kb = z.object({ faqs: z.array(z.object({ id: z.string(), question: z.string(), alternatives: z.array(z.string()).optional() })) }).parse((await api(cloud, 'GET', '/v1/admin/knowledge', token)).body);
    expect(kb.faqs.find((f) => f.id === 'wifi')).toEqual(expect.objectContaining({ question: 'Do you have Wi-Fi?', alternatives: [QUESTION] }));
    expect((await api(cloud, 'GET', '/v1/admin/analytics/gaps', token)).text).not.toContain(QUESTION);

    await cloud.settle();
    const asked = await testQuestion(cloud, token, QUESTION);
    expect(asked.answered).toBe(true);
    expect(asked.sources[0]?.id).toBe('wifi');
    expect(asked.text).toContain('Harbour-Guest');
  });
});

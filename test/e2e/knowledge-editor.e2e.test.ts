/**
 * Editing the knowledge base one item at a time, end to end in Debian's Chromium against the local cloud: the
 * owner adds an FAQ (with another wording) on the Knowledge page and the concierge answers from it at once; edits
 * it while a colleague saves the same FAQ through the API, is told (412) instead of overwriting the colleague's
 * change, loads their version and saves again; deletes it; adds and deletes a Markdown document; adds a plain-text
 * document and opens it again as plain text; downloads the knowledge-base file, which imports again as it is.
 * axe-core scans the open editor.
 */
import type { Browser, Page } from 'playwright-core';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { knowledgeBaseSchema } from '../../lambdas/core/knowledge-base';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { seriousViolations, signInToAdmin } from '../support/admin-e2e';
import { launchChromium } from '../support/browser';
import { api, eventually, signIn, testQuestion } from '../support/staff';

const STEP_MS = 30_000;
const FAQ_ID = 'do-you-lend-umbrellas';
const faqItem = z.object({ faq: z.object({ id: z.string(), question: z.string(), answer: z.string(), category: z.string(), alternatives: z.array(z.string()).optional() }), etag: z.string() });

let cloud: LocalCloud;
let browser: Browser;
let page: Page;
let token: string;

beforeAll(async () => {
  [cloud, browser] = await Promise.all([startLocalCloud({ quiet: true }), launchChromium()]);
  token = await signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
  page = await browser.newPage();
  await signInToAdmin(page, cloud.urls.admin, cloud.demo.staffEmail, cloud.demo.staffPassword);
  await page.getByTestId('nav-knowledge').click();
  await page.getByTestId('kb-faqs').waitFor({ timeout: STEP_MS });
}, 240_000);

afterAll(async () => {
  await page?.close();
  await browser?.close();
  await cloud?.stop();
}, 60_000);

const faqRow = () => page.getByTestId('faq-item').filter({ hasText: 'Do you lend umbrellas?' });
const focusedTestId = (): Promise<string | null | undefined> => page.evaluate(() => document.activeElement?.getAttribute('data-testid'));
const notice = () => page.getByTestId('knowledge-notice');

async function readFaq() {
  const reply = await api(cloud, 'GET', `/v1/admin/knowledge/faqs/${FAQ_ID}`, token);
  return reply.status === 200 ? faqItem.parse(reply.body) : undefined;
}

describe('the Knowledge page’s FAQ and document editors', () => {
  it('adds an FAQ with another wording, which the concierge answers from right away', async () => {
    expect(await readFaq()).toBeUndefined();
    await page.getByTestId('faq-new').click();
    const editor = page.getByTestId('faq-editor');
    await editor.getByTestId('faq-editor-question').fill('Do you lend umbrellas?');
    await editor.getByTestId('faq-editor-answer').fill('Yes: borrow one at reception and bring it back on your next visit.');
    await editor.getByTestId('faq-editor-category').fill('Visiting');
    // A wording too short to search by is named, and the FAQ cannot be saved with it.
    await editor.getByTestId('faq-editor-wordings').fill('Can I borrow an umbrella?\nok');
    await expect(editor.getByTestId('faq-editor-wordings-error').textContent()).resolves.toBe('Each wording needs 3 to 500 characters.');
    expect(await editor.getByTestId('faq-editor-save').isDisabled()).toBe(true);
    await editor.getByTestId('faq-editor-wordings').fill('Can I borrow an umbrella?\n\nDo you lend umbrellas?');
    expect(await editor.getByTestId('faq-editor-wordings-error').count()).toBe(0);
    // While it is open, no other editor can be opened over what was typed (that would throw it away).
    expect(await page.getByTestId('kb-item-edit').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="kb-item-edit"]:enabled').count()).toBe(0);
    expect(await page.getByTestId('document-new').isDisabled()).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await editor.getByTestId('faq-editor-save').click();
    await editor.waitFor({ state: 'detached', timeout: STEP_MS });
    await expect(notice().textContent()).resolves.toContain('Added the FAQ “Do you lend umbrellas?”');
    // Keyboard focus is back on the button that opened the editor.
    await eventually(async () => ((await focusedTestId()) === 'faq-new' ? true : undefined), 'focus back on New FAQ', STEP_MS);
    await faqRow().waitFor({ timeout: STEP_MS });
    await expect(faqRow().getByTestId('faq-alternatives').textContent()).resolves.toContain('Can I borrow an umbrella?');

    // Stored as typed: the blank line and the repeat of the question were dropped.
    expect((await readFaq())?.faq).toEqual({
      id: FAQ_ID,
      question: 'Do you lend umbrellas?',
      answer: 'Yes: borrow one at reception and bring it back on your next visit.',
      category: 'Visiting',
      alternatives: ['Can I borrow an umbrella?'],
    });
    const asked = await testQuestion(cloud, token, 'Can I borrow an umbrella?');
    expect([asked.answered, asked.sources[0]?.id]).toEqual([true, FAQ_ID]);
    expect(asked.text).toContain('reception');
  });

  it('refuses to overwrite a colleague’s save made while the FAQ was open, keeps what was typed, and saves over their version', async () => {
    await faqRow().getByTestId('kb-item-edit').click();
    const editor = page.getByTestId('faq-editor');
    const answer = editor.getByTestId('faq-editor-answer');
    await answer.waitFor({ timeout: STEP_MS });
    await expect(answer.inputValue()).resolves.toContain('borrow one at reception');
    // Other items' Edit, and this one's Delete (which would close the editor), wait until it is closed; deleting
    // another item does not close it.
    expect(await page.locator('[data-testid="kb-item-edit"]:enabled').count()).toBe(0);
    expect(await faqRow().getByTestId('kb-item-delete').isDisabled()).toBe(true);
    expect(await page.getByTestId('faq-item').filter({ hasNotText: 'Do you lend umbrellas?' }).first().getByTestId('kb-item-delete').isEnabled()).toBe(true);

    // A colleague saves the same FAQ meanwhile, from the version they opened.
    const opened = await readFaq();
    if (!opened) throw new Error('the FAQ is gone');
    const theirs = { ...opened.faq, id: undefined, answer: 'Yes: umbrellas are in the stand by the door; leave it there when you are done.' };
    expect((await api(cloud, 'PUT', `/v1/admin/knowledge/faqs/${FAQ_ID}`, token, theirs, { 'If-Match': opened.etag })).status).toBe(200);

    await answer.fill('Only on rainy days.');
    await editor.getByTestId('faq-editor-save').click();
    const conflict = editor.getByTestId('faq-editor-conflict');
    await conflict.waitFor({ timeout: STEP_MS });
    await expect(conflict.textContent()).resolves.toContain('changed or deleted by someone else');
    expect(await answer.inputValue()).toBe('Only on rainy days.');
    expect((await readFaq())?.faq.answer).toBe(theirs.answer);

    await editor.getByTestId('faq-editor-load-theirs').click();
    await eventually(async () => ((await answer.inputValue()) === theirs.answer ? true : undefined), 'their version in the form', STEP_MS);
    await answer.fill(`${theirs.answer} Ask at reception if the stand is empty.`);
    await editor.getByTestId('faq-editor-save').click();
    await editor.waitFor({ state: 'detached', timeout: STEP_MS });
    await expect(notice().textContent()).resolves.toContain('Saved the FAQ');
    await eventually(async () => ((await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))) === 'Edit “Do you lend umbrellas?”' ? true : undefined), 'focus back on Edit', STEP_MS);
    expect((await readFaq())?.faq.answer).toBe(`${theirs.answer} Ask at reception if the stand is empty.`);
  });

  it('deletes the FAQ after a confirmation, and the concierge no longer cites it', async () => {
    await faqRow().getByTestId('kb-item-delete').click();
    await faqRow().getByTestId('kb-item-delete-confirm').click();
    await faqRow().waitFor({ state: 'detached', timeout: STEP_MS });
    await expect(notice().textContent()).resolves.toContain('Deleted the FAQ “Do you lend umbrellas?”');
    // Its buttons are gone: focus is on the notice that says what happened.
    await eventually(async () => ((await focusedTestId()) === 'knowledge-notice' ? true : undefined), 'focus on the notice', STEP_MS);
    expect(await readFaq()).toBeUndefined();
    const asked = await testQuestion(cloud, token, 'Can I borrow an umbrella?');
    expect(asked.sources.map((s) => s.id)).not.toContain(FAQ_ID);
  });

  it('adds a Markdown document and deletes it', async () => {
    await page.getByTestId('document-new').click();
    const editor = page.getByTestId('document-editor');
    await editor.getByTestId('document-editor-title').fill('Umbrella stand');
    await editor.getByTestId('document-editor-text').fill('# Umbrella stand\n\nThe umbrella stand is by the front door.\n\n# Lost property\n\nLost umbrellas are kept for a month.');
    expect(await seriousViolations(page)).toEqual([]);
    await editor.getByTestId('document-editor-save').click();
    await editor.waitFor({ state: 'detached', timeout: STEP_MS });
    await expect(notice().textContent()).resolves.toMatch(/Added the document “Umbrella stand” \(\d+ passages?\)/);
    const stored = await api(cloud, 'GET', '/v1/admin/knowledge/documents/umbrella-stand', token);
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({ document: { id: 'umbrella-stand', title: 'Umbrella stand', text: expect.stringContaining('kept for a month') } });

    const row = page.getByTestId('document-item').filter({ hasText: 'Umbrella stand' });
    await row.getByTestId('kb-item-delete').click();
    await row.getByTestId('kb-item-delete-confirm').click();
    await row.waitFor({ state: 'detached', timeout: STEP_MS });
    expect((await api(cloud, 'GET', '/v1/admin/knowledge/documents/umbrella-stand', token)).status).toBe(404);
  });

  it('adds a plain-text document whose "#" lines stay text, and opens it again as plain text (was: saved as Markdown)', async () => {
    const text = '# of umbrellas to lend: 12.\n\nAsk at reception.';
    await page.getByTestId('document-new').click();
    const editor = page.getByTestId('document-editor');
    await editor.getByTestId('document-editor-title').fill('Umbrella loans');
    await editor.getByTestId('document-editor-plain').check();
    await editor.getByTestId('document-editor-text').fill(text);
    await editor.getByTestId('document-editor-save').click();
    await editor.waitFor({ state: 'detached', timeout: STEP_MS });
    await expect(notice().textContent()).resolves.toContain('Added the document “Umbrella loans” (1 passage)');
    const stored = await api(cloud, 'GET', '/v1/admin/knowledge/documents/umbrella-loans', token);
    expect(stored.body).toMatchObject({ document: { id: 'umbrella-loans', format: 'text', text } });

    // Opened again, it is plain text, and saved again it stays so.
    const row = page.getByTestId('document-item').filter({ hasText: 'Umbrella loans' });
    await row.getByTestId('kb-item-edit').click();
    const reopened = page.getByTestId('document-editor');
    await reopened.getByTestId('document-editor-title').fill('Umbrella loans for patients');
    expect(await reopened.getByTestId('document-editor-plain').isChecked()).toBe(true);
    await reopened.getByTestId('document-editor-save').click();
    await reopened.waitFor({ state: 'detached', timeout: STEP_MS });
    expect((await api(cloud, 'GET', '/v1/admin/knowledge/documents/umbrella-loans', token)).body).toMatchObject({ document: { title: 'Umbrella loans for patients', format: 'text' } });
    // Kept: the downloaded file below must carry its format.
  });

  it('downloads the knowledge base as a file that imports again unchanged', async () => {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: STEP_MS }), page.getByTestId('kb-download').click()]);
    expect(download.suggestedFilename()).toBe('harbour-dental-knowledge-base.json');
    const file = knowledgeBaseSchema.parse(JSON.parse(await readFile(await download.path(), 'utf8')));
    const current = await api(cloud, 'GET', '/v1/admin/knowledge', token);
    expect(file).toEqual(current.body);
    expect(file.documents.find((d) => d.id === 'umbrella-loans')?.format).toBe('text');
    const imported = await api(cloud, 'PUT', '/v1/admin/knowledge', token, file);
    expect(imported.status).toBe(200);
    expect((await api(cloud, 'GET', '/v1/admin/knowledge', token)).body).toEqual(current.body);
  });
});

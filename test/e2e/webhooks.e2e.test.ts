/**
 * The Webhooks page in Debian's Chromium against the local cloud: the owner adds a subscription to a receiver on
 * 127.0.0.1, sees the signing secret once (gone after "I have saved it" and a reload), and sends a test ping that
 * the receiver verifies with that secret. axe-core scans the page.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { verifyConciergeSignature } from '../../lambdas/core/webhooks/signature';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { launchChromium } from '../support/browser';
import { seriousViolations, signInToAdmin } from '../support/admin-e2e';

let cloud: LocalCloud;
let browser: Browser;
let receiver: Server;
let receiverUrl = '';
const got: { headers: IncomingHttpHeaders; raw: string }[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/concierge`;
  [cloud, browser] = await Promise.all([startLocalCloud({ quiet: true }), launchChromium()]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
  receiver?.closeAllConnections();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

describe('Webhooks', () => {
  it('adds a subscription, shows its secret once, and sends a signed test ping', async () => {
    const page = await browser.newPage();
    await signInToAdmin(page, cloud.urls.admin, cloud.demo.staffEmail, cloud.demo.staffPassword);
    await page.getByTestId('nav-webhooks').click();
    await page.getByTestId('webhooks-page').waitFor();
    await page.getByTestId('webhooks-empty').waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByLabel('Endpoint URL').fill(receiverUrl);
    await page.getByTestId('webhook-event-booking.created').check();
    await page.getByTestId('webhook-event-customer.created').check();
    await page.getByTestId('webhook-add').click();
    const secretField = page.getByTestId('webhook-secret');
    await secretField.waitFor();
    const secret = await secretField.inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const list = page.getByTestId('webhooks-list');
    await list.filter({ hasText: receiverUrl }).waitFor();
    await expect(list.textContent()).resolves.toContain(`whsec_…${secret.slice(-4)}`);
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByTestId('webhook-secret-done').click();
    expect(await page.getByTestId('webhook-secret').count()).toBe(0);
    await page.reload();
    await list.filter({ hasText: receiverUrl }).waitFor();
    expect(await page.content()).not.toContain(secret);

    await page.getByRole('button', { name: 'Send test' }).click();
    await page.getByText(/Test ping: delivered · HTTP 200/).waitFor();
    expect(got).toHaveLength(1);
    const ping = got[0];
    const header = ping?.headers['concierge-signature'];
    expect(verifyConciergeSignature(ping?.raw ?? '', typeof header === 'string' ? header : undefined, secret)).toBe(true);
    expect(JSON.parse(ping?.raw ?? '{}')).toMatchObject({ type: 'ping', tenantId: cloud.demo.tenantId });
    await page.getByTestId('webhooks-failed-empty').waitFor();
  });
});

/**
 * The Team page in Debian's Chromium against the local cloud: the owner invites an agent and sees
 * them on the team; the invitation (with its temporary password) is in the outbox; the new agent
 * signs in through Amplify's Authenticator, chooses a password (Cognito's NEW_PASSWORD_REQUIRED,
 * answered by cognito-local), and sees the team without any of its editing controls. axe-core
 * scans both views.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { launchChromium } from '../support/browser';
import { seriousViolations, fillSignIn as fillSignInForm } from '../support/admin-e2e';

let cloud: LocalCloud;
let browser: Browser;
const invitee = `new-agent-${randomBytes(4).toString('hex')}@harbour-dental.example`;

beforeAll(async () => {
  [cloud, browser] = await Promise.all([startLocalCloud({ quiet: true }), launchChromium()]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
});


const fillSignIn = (page: Page, email: string, password: string): Promise<void> => fillSignInForm(page, cloud.urls.admin, email, password);

describe('the Team page', () => {
  let temporaryPassword = '';

  it('lets the owner invite an agent, who then appears on the team; the invitation is in the outbox', async () => {
    const page = await browser.newPage();
    await fillSignIn(page, cloud.demo.staffEmail, cloud.demo.staffPassword);
    await page.getByTestId('app-header').waitFor();
    await page.getByTestId('nav-team').click();
    await page.getByTestId('team-table').waitFor();
    expect(await page.getByTestId('team-member').filter({ hasText: 'agent@harbour-dental.example' }).count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByLabel('E-mail').fill(invitee);
    await page.getByLabel('Role', { exact: true }).selectOption('agent');
    await page.getByTestId('team-invite-submit').click();
    const row = page.locator(`[data-testid="team-member"][data-email="${invitee}"]`);
    await row.waitFor();
    await expect(row.getByTestId('team-member-role').textContent()).resolves.toBe('Agent');
    await expect(row.getByTestId('team-member-status').textContent()).resolves.toBe('Invited');
    await expect(page.getByTestId('team-notice').textContent()).resolves.toContain(invitee);
    expect(await seriousViolations(page)).toEqual([]);

    // Inviting the same address again is refused with the server's reason.
    await page.getByLabel('E-mail').fill(invitee);
    await page.getByTestId('team-invite-submit').click();
    await expect(page.getByTestId('team-action-error-message').textContent()).resolves.toMatch(/already on your team/);

    await page.getByTestId('nav-outbox').click();
    const mail = page.locator('[data-testid="outbox-item"][data-kind="team.invite"]').filter({ hasText: invitee });
    await mail.waitFor();
    const text = (await mail.textContent()) ?? '';
    temporaryPassword = /temporary password: (\S+)/.exec(text)?.[1] ?? '';
    expect(temporaryPassword.length).toBeGreaterThanOrEqual(12);
    await page.close();
  });

  it('lets the invited agent choose a password and see the team, without any editing controls', async () => {
    expect(temporaryPassword).not.toBe('');
    const context = await browser.newContext();
    const page = await context.newPage();
    await fillSignIn(page, invitee, temporaryPassword);
    // Amplify's Authenticator answers Cognito's NEW_PASSWORD_REQUIRED challenge.
    await page.getByRole('button', { name: 'Change Password' }).waitFor();
    await page.getByLabel('Password', { exact: true }).fill('Agent-Chosen-2026!');
    await page.getByLabel('Confirm Password').fill('Agent-Chosen-2026!');
    await page.getByRole('button', { name: 'Change Password' }).click();
    await page.getByTestId('app-header').waitFor();
    await expect(page.getByTestId('header-user-role').textContent()).resolves.toMatch(/agent/i);

    await page.getByTestId('nav-team').click();
    await page.getByTestId('team-table').waitFor();
    const self = page.locator(`[data-testid="team-member"][data-email="${invitee}"]`);
    await self.waitFor();
    await expect(self.getByTestId('team-member-status').textContent()).resolves.toBe('Active');
    expect(await page.getByTestId('team-member').filter({ hasText: cloud.demo.staffEmail }).count()).toBe(1);
    expect(await page.getByTestId('team-invite-form').count()).toBe(0);
    expect(await page.getByTestId('team-member-role-select').count()).toBe(0);
    expect(await page.getByTestId('team-member-disable').count()).toBe(0);
    expect(await page.getByTestId('nav-outbox').count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });
});

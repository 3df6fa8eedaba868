/**
 * What every admin-UI browser test does: sign in through the real Amplify sign-in form against the local
 * Cognito, and scan the page with axe-core for serious or critical accessibility violations.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now, as `id (impact, nodes)`. */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string | null; nodes: unknown[] }[] }> } }).axe;
    const result = await axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact ?? '', count: v.nodes.length }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}, ${v.count})`);
}

/** Fills and submits the admin UI's sign-in form (without waiting for the app: a new password may be asked first). */
export async function fillSignIn(page: Page, adminUrl: string, email: string, password: string): Promise<void> {
  // 60 s, not Playwright's 30 s: on a loaded CI machine the first load of the admin app can take longer.
  await page.goto(adminUrl, { timeout: 60_000 });
  await page.getByLabel('Email').fill(email, { timeout: 60_000 });
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Signs in and waits until the app's header shows. */
export async function signInToAdmin(page: Page, adminUrl: string, email: string, password: string, timeoutMs?: number): Promise<void> {
  await fillSignIn(page, adminUrl, email, password);
  await page.getByTestId('app-header').waitFor({ timeout: timeoutMs ?? 60_000 });
}

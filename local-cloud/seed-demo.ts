/**
 * Seeds the demo business: tenant profile, widget key, allowed origins and
 * knowledge base (local-cloud/seed/demo-kb.json), through the same use cases the
 * admin API uses. A restart keeps whatever the demo tenant has by then.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { knowledgeStore, store } from '../lambdas/adapters/container';
import { provisionTenant } from '../lambdas/core/knowledge';
import { knowledgeBaseSchema } from '../lambdas/core/knowledge-base';
import { newWidgetKey } from '../lambdas/core/widget-key';

export const DEMO_TENANT_ID = 'demo';

/** Staff of the demo tenant in the local Cognito. Local only: these never exist in AWS. */
export const DEMO_STAFF = [
  { email: 'owner@harbour-dental.example', password: 'Harbour-Demo-2026!', tenantId: DEMO_TENANT_ID, groups: ['admin', 'agent'] as const },
  { email: 'agent@harbour-dental.example', password: 'Harbour-Agent-2026!', tenantId: DEMO_TENANT_ID, groups: ['agent'] as const },
] as const;

export interface DemoSeed {
  readonly tenantId: string;
  readonly widgetKey: string;
  readonly businessName: string;
  /** False when the tenant already had a knowledge base and it was kept. */
  readonly imported: boolean;
}

export async function seedDemo(rootDir: string, allowedOrigins: readonly string[]): Promise<DemoSeed> {
  const s = store();
  const existing = await s.getProfile(DEMO_TENANT_ID);
  if (existing && existing.kbVersion > 0) {
    await s.putProfile({ ...existing, allowedOrigins: [...allowedOrigins] });
    return { tenantId: DEMO_TENANT_ID, widgetKey: existing.widgetKey, businessName: existing.name, imported: false };
  }
  const kb = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(rootDir, 'local-cloud', 'seed', 'demo-kb.json'), 'utf8')));
  const widgetKey = existing?.widgetKey ?? newWidgetKey(DEMO_TENANT_ID);
  await provisionTenant(knowledgeStore(), { tenantId: DEMO_TENANT_ID, widgetKey, allowedOrigins, kb });
  return { tenantId: DEMO_TENANT_ID, widgetKey, businessName: kb.business.name, imported: true };
}

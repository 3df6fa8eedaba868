/**
 * provisionTenant (core/knowledge.ts) refreshes a tenant's profile from its knowledge base: `npm start` does it for
 * the demo business at every start. What staff set in the admin UI and the knowledge base does not hold — the
 * widget's logo, colour, greeting, position and languages, the message limits — must survive it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema } from '../../lambdas/core/knowledge-base';
import { MemoryKnowledgeStore } from '../support/memory-knowledge-store';

const kb = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '../../local-cloud/seed/demo-kb.json'), 'utf8')));
const input = { tenantId: 'provisioned', widgetKey: `wk_provisioned_${'a'.repeat(24)}`, allowedOrigins: ['http://localhost:4000'], kb };

it("keeps the widget's look and languages and the message limits staff set when the knowledge base provisions the tenant again", async () => {
  const store = new MemoryKnowledgeStore();
  await provisionTenant(store, input);
  const first = await store.getProfile(input.tenantId);
  if (!first) throw new Error('no profile');
  const limits = { perConnection: { ratePerSecond: 2, burst: 4 }, perTenant: { ratePerSecond: 50, burst: 80 }, perAddress: { ratePerSecond: 3, burst: 6 } };
  const theme = { colour: '#123456', position: 'left' as const, greeting: { en: 'Welcome back' }, logoUrl: 'https://harbourdental.example/logo.png' };
  await store.putProfile({ ...first, theme, limits, languages: ['es'] });

  await provisionTenant(store, input);
  const again = await store.getProfile(input.tenantId);
  expect(again?.theme).toEqual(theme);
  expect(again?.limits).toEqual(limits);
  // The Widget page offered Spanish only; the file's languages did not change, so that choice stands.
  expect(again?.languages).toEqual(['es']);
  // The knowledge base was imported again: a new version.
  expect(again?.kbVersion).toBeGreaterThan(first.kbVersion);
});

it('gives a new tenant the default look and no limits of its own', async () => {
  const store = new MemoryKnowledgeStore();
  await provisionTenant(store, input);
  const profile = await store.getProfile(input.tenantId);
  expect(profile?.theme).toEqual({ colour: '#0f766e', position: 'right', greeting: expect.objectContaining({ en: expect.stringContaining('Harbour Dental Studio') }) });
  expect(profile?.limits).toBeUndefined();
});

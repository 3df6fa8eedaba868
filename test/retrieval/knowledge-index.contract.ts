/**
 * The KnowledgeIndex contract, run against every adapter (embedded, OpenSearch
 * Serverless): what the answering policy may rely on whichever index serves it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Passage } from '../../lambdas/core/answer/passages';
import { passagesOf } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema } from '../../lambdas/core/knowledge-base';
import type { KnowledgeIndex } from '../../lambdas/core/ports';

/** An index and the way passages reach it (the store for the embedded index, the writer for OpenSearch). */
export interface ContractSubject {
  readonly index: KnowledgeIndex;
  /** Adds passages, replacing the tenant's passages with the same ids; searches see them afterwards. */
  upsert(tenantId: string, passages: readonly Passage[]): Promise<void>;
  /** Removes the tenant's passages with these ids. */
  remove(tenantId: string, ids: readonly string[]): Promise<void>;
}

const demoKb = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '../../local-cloud/seed/demo-kb.json'), 'utf8')));
export const demoPassages: readonly Passage[] = passagesOf(demoKb);

const bakery: readonly Passage[] = [
  { id: 'gluten', kind: 'faq', title: 'Do you have gluten-free bread?', text: 'Yes, a gluten-free loaf every Friday; order it the day before.', sourceId: 'gluten' },
  { id: 'delivery', kind: 'faq', title: 'Do you deliver?', text: 'We deliver cakes within 5 km for €5.', sourceId: 'delivery' },
  { id: 'cake-order', kind: 'faq', title: 'How do I order a birthday cake?', text: 'Order at the counter or by phone at least three days ahead.', sourceId: 'cake-order' },
];

const newTenant = (): string => `t${randomBytes(5).toString('hex')}`;

export function knowledgeIndexContract(name: string, subject: () => ContractSubject): void {
  describe(`KnowledgeIndex contract: ${name}`, () => {
    const search = (tenantId: string, query: string, k = 5) => subject().index.search(tenantId, query, k);

    it('returns [] for a tenant with no passages, and for k = 0', async () => {
      const empty = newTenant();
      expect(await search(empty, 'do you have parking?')).toEqual([]);
      const clinic = newTenant();
      await subject().upsert(clinic, demoPassages);
      expect(await search(clinic, 'do you have parking?', 0)).toEqual([]);
    });

    it('finds the parking FAQ first for the parking question, results sorted by score, at most k', async () => {
      const clinic = newTenant();
      await subject().upsert(clinic, demoPassages);
      const hits = await search(clinic, 'do you have parking?', 5);
      expect(hits[0]?.passage.id).toBe('parking');
      expect(hits[0]?.coverage).toBe(1);
      expect(hits.length).toBeLessThanOrEqual(5);
      for (let i = 1; i < hits.length; i++) expect(hits[i - 1]?.score ?? 0).toBeGreaterThanOrEqual(hits[i]?.score ?? 0);
      for (const h of hits) {
        expect(h.coverage).toBeGreaterThanOrEqual(0);
        expect(h.coverage).toBeLessThanOrEqual(1);
        if (h.similarity !== undefined) expect(h.similarity).toBeGreaterThanOrEqual(0);
        if (h.similarity !== undefined) expect(h.similarity).toBeLessThanOrEqual(1);
        // Plain passages: no embedding travels with an answer.
        expect(Object.keys(h.passage).sort()).toEqual(['id', 'kind', 'sourceId', 'text', 'title']);
      }
    });

    it('never shows one tenant another tenant’s passages, even for guessed ids', async () => {
      const clinic = newTenant();
      const shop = newTenant();
      await subject().upsert(clinic, demoPassages);
      await subject().upsert(shop, bakery);
      const shopIds = new Set(bakery.map((p) => p.id));
      for (const q of ['do you have parking?', 'what are your opening hours?', 'teeth whitening price', 'gluten free bread']) {
        for (const h of await search(shop, q, 10)) expect(shopIds.has(h.passage.id)).toBe(true);
      }
      // The shop removes and overwrites ids that exist only at the clinic: the clinic is untouched.
      await subject().remove(shop, ['parking', 'wifi']);
      await subject().upsert(shop, [{ id: 'parking', kind: 'faq', title: 'Parking?', text: 'Bakery vans only.', sourceId: 'parking' }]);
      const clinicHits = await search(clinic, 'do you have parking?');
      expect(clinicHits[0]?.passage.id).toBe('parking');
      expect(clinicHits[0]?.passage.text).toContain('car park');
      expect((await search(clinic, 'wifi password')).some((h) => h.passage.id === 'wifi')).toBe(true);
      const shopHits = await search(shop, 'parking', 10);
      expect(shopHits[0]?.passage.text).toBe('Bakery vans only.');
      expect(shopHits.some((h) => h.passage.text.includes('car park'))).toBe(false);
    });

    it('replaces a passage on update (one copy, the new text)', async () => {
      const clinic = newTenant();
      await subject().upsert(clinic, demoPassages);
      const moved = { id: 'parking', kind: 'faq' as const, title: 'Do you have parking?', text: 'Our patients now park free at the Pavilion multi-storey, level 2.', sourceId: 'parking' };
      await subject().upsert(clinic, [moved]);
      const hits = await search(clinic, 'do you have parking?', 10);
      expect(hits[0]?.passage).toEqual(moved);
      expect(hits.filter((h) => h.passage.id === 'parking')).toHaveLength(1);
    });

    it('finds an FAQ by its alternative wordings, and returns them with it', async () => {
      const clinic = newTenant();
      const wifi = { id: 'wifi', kind: 'faq' as const, title: 'Do you have Wi-Fi?', text: 'Yes, free guest Wi-Fi: the password is on the card at reception.', sourceId: 'wifi', phrasings: ['Is there internet for patients?'] };
      await subject().upsert(clinic, [...demoPassages.filter((p) => p.id !== 'wifi'), wifi]);
      const hits = await search(clinic, 'internet for patients', 3);
      expect(hits[0]?.passage).toEqual(wifi);
      expect(hits[0]?.coverage).toBeGreaterThan(0.9);
    });

    it('returns a plain-text or PDF document passage with its format, so it is quoted as written (was: dropped, and read as Markdown)', async () => {
      const clinic = newTenant();
      const plan = { id: 'plan#1', kind: 'document' as const, title: 'Dental plan', text: '# of visits a year: two check-ups and two hygiene visits are included.', sourceId: 'plan', format: 'text' as const };
      const terms = { id: 'terms#1', kind: 'document' as const, title: 'Terms › Crowns', text: 'One crown per visit is covered in full by the dental plan.', sourceId: 'terms', format: 'pdf' as const };
      await subject().upsert(clinic, [...demoPassages, plan, terms]);
      expect((await search(clinic, 'how many hygiene visits a year are included in the plan?', 3))[0]?.passage).toEqual(plan);
      expect((await search(clinic, 'is a crown covered by the dental plan?', 3))[0]?.passage).toEqual(terms);
    });

    it('forgets a removed passage', async () => {
      const clinic = newTenant();
      await subject().upsert(clinic, demoPassages);
      expect((await search(clinic, 'wifi password'))[0]?.passage.id).toBe('wifi');
      await subject().remove(clinic, ['wifi']);
      expect((await search(clinic, 'wifi password', 20)).some((h) => h.passage.id === 'wifi')).toBe(false);
    });
  });
}

/**
 * FAQ alternative wordings (`alternatives` in the knowledge-base file): the owner's remedy when customers ask an
 * FAQ in words the concierge misses. With USE-lite and the extractive answerer, as offline: a question the demo
 * clinic's Wi-Fi FAQ does not answer on its own wording is answered from it once the FAQ lists the wording
 * customers use, and nothing else changes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { answerQuestion, type AnswerDeps } from '../../lambdas/core/answer/concierge';
import { faqPassage, questionText } from '../../lambdas/core/answer/passages';
import { passageTerms } from '../../lambdas/core/answer/bm25';
import { embedPassages } from '../../lambdas/core/answer/hybrid';
import type { Embedder } from '../../lambdas/core/ports';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema, type KnowledgeBase } from '../../lambdas/core/knowledge-base';
import { CachedCatalogue } from '../../lambdas/core/nlu/catalogue';
import { EmbeddedKnowledgeIndex } from '../../lambdas/adapters/knowledge/embedded-index';
import { EmbeddingKnowledgeStore } from '../../lambdas/adapters/knowledge/embedding-store';
import { useLiteEmbedder } from '../../lambdas/adapters/embeddings/use-lite';
import { ExtractiveAnswerer } from '../../lambdas/adapters/llm/extractive';
import { MemoryKnowledgeStore } from '../support/memory-knowledge-store';

const kb = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '../../local-cloud/seed/demo-kb.json'), 'utf8')));
const withAlternatives: KnowledgeBase = knowledgeBaseSchema.parse({
  ...kb,
  faqs: kb.faqs.map((f) => (f.id === 'wifi' ? { ...f, alternatives: ['Can I get online while I wait?', 'Is there internet for patients?'] } : f)),
});

async function concierge(knowledge: KnowledgeBase, tenantId: string) {
  const store = new MemoryKnowledgeStore();
  await provisionTenant(new EmbeddingKnowledgeStore(store, useLiteEmbedder()), { tenantId, widgetKey: `wk_${tenantId}_${'e'.repeat(24)}`, allowedOrigins: [], kb: knowledge });
  const deps: AnswerDeps = { index: new EmbeddedKnowledgeIndex(store), model: new ExtractiveAnswerer(), catalogue: new CachedCatalogue(store), now: () => new Date('2026-03-27T10:00:00Z') };
  return (question: string) => answerQuestion(deps, { tenantId, businessName: knowledge.business.name, question });
}

let before: Awaited<ReturnType<typeof concierge>>;
let after: Awaited<ReturnType<typeof concierge>>;

beforeAll(async () => {
  [before, after] = await Promise.all([concierge(kb, 'plain'), concierge(withAlternatives, 'alternatives')]);
}, 120_000);

describe('FAQ alternative wordings', () => {
  it('are part of the FAQ passage: searched like its question, never shown as its text', () => {
    const wifi = withAlternatives.faqs.find((f) => f.id === 'wifi');
    if (!wifi) throw new Error('the demo knowledge base has no wifi FAQ');
    const passage = faqPassage(wifi);
    expect(passage).toEqual(expect.objectContaining({ title: 'Do you have Wi-Fi?', phrasings: wifi.alternatives, text: wifi.answer }));
    expect(questionText(passage)).toBe('Do you have Wi-Fi?\nCan I get online while I wait?\nIs there internet for patients?');
    expect(passageTerms(passage)).toEqual(expect.arrayContaining(['internet', 'onlin']));
    // The question itself repeated as an alternative adds nothing.
    expect(faqPassage({ ...wifi, alternatives: [wifi.question] }).phrasings).toBeUndefined();
  });

  it('are embedded into the FAQ’s vector only in a language the embedder understands (BM25 has them all)', async () => {
    const texts: string[] = [];
    const english: Embedder = { model: 'rec', dimensions: 4, languages: ['en'], embed: async (t) => (texts.push(...t), t.map((_, i) => [1, i % 2, 0, 0])) };
    const wifi = faqPassage({ id: 'wifi', question: 'Do you have Wi-Fi?', answer: 'Yes, free guest Wi-Fi.', category: 'Visit', alternatives: ['¿Hay internet para los pacientes?', 'Is there internet for patients?'] });
    const [embedded] = await embedPassages(english, [wifi]);
    expect(texts).toEqual(['Do you have Wi-Fi?', 'Do you have Wi-Fi?\nYes, free guest Wi-Fi.', 'Is there internet for patients?']);
    expect(embedded?.embedding?.vector).toHaveLength(4);
    expect(passageTerms(wifi)).toEqual(expect.arrayContaining(['pacient', 'internet']));
  });

  it('answer a wording the question alone missed, from that FAQ', async () => {
    for (const question of ['is there internet for patients?', "can I get online while I'm waiting?"]) {
      const missed = await before(question);
      expect([question, missed.answered]).toEqual([question, false]);
      const answered = await after(question);
      expect([question, answered.answered, answered.sources[0]?.id]).toEqual([question, true, 'wifi']);
      expect(answered.text).toContain('Harbour-Guest');
    }
  });

  it('change nothing for other questions', async () => {
    for (const question of ['Can I park my car when I visit?', 'how much is a check-up?', 'do you offer sedation?']) {
      const [a, b] = [await before(question), await after(question)];
      expect([question, b.answered, b.sources[0]?.id]).toEqual([question, a.answered, a.sources[0]?.id]);
    }
  });
});

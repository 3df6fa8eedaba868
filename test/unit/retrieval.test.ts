import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bm25Index } from '../../lambdas/core/answer/bm25';
import { answerQuestion } from '../../lambdas/core/answer/concierge';
import { detectLanguage } from '../../lambdas/core/answer/language';
import { chunkDocument } from '../../lambdas/core/answer/passages';
import { fold, sentences, stem, terms } from '../../lambdas/core/answer/text';
import { passagesOf } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema } from '../../lambdas/core/knowledge-base';
import type { KnowledgeIndex } from '../../lambdas/core/ports';
import { ExtractiveAnswerer } from '../../lambdas/adapters/llm/extractive';

const kb = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '../../local-cloud/seed/demo-kb.json'), 'utf8')));
const index = new Bm25Index(passagesOf(kb));
const knowledgeIndex: KnowledgeIndex = { search: async (_tenant, query, k) => index.search(query, k) };
const deps = { index: knowledgeIndex, model: new ExtractiveAnswerer() };
const ask = (question: string) => answerQuestion(deps, { tenantId: 'demo', businessName: kb.business.name, question });

describe('text', () => {
  it('folds case, accents and invisible characters', () => {
    expect(fold('Café\u200b ÑANDÚ')).toBe('cafe nandu');
  });
  it('stems plurals and -ing forms to a shared root', () => {
    expect(stem('appointments')).toBe(stem('appointment'));
    expect(stem('parking')).toBe(stem('park'));
  });
  it('drops stop words', () => {
    expect(terms('Do you have parking?')).toEqual([stem('parking')]);
    // "how much?" names no topic (a price passage saying "how much your teeth need to move" is no answer to it).
    expect(terms('How much?')).toEqual([]);
    expect(terms('how many visits?')).toEqual([stem('visits')]);
  });
  it('splits sentences and list items', () => {
    expect(sentences('One. Two! \n- three\n4. four')).toEqual(['One.', 'Two!', 'three', 'four']);
    expect(sentences('Write to hello@harbourdental.example today. A clean is €80.50, see harbourdental.example/prices. Open 08.30-18.00?')).toEqual([
      'Write to hello@harbourdental.example today.',
      'A clean is €80.50, see harbourdental.example/prices.',
      'Open 08.30-18.00?',
    ]);
  });
});

describe('document chunking', () => {
  it('splits on headings, keeps the section in the title and the source id', () => {
    const passages = chunkDocument({ id: 'guide', title: 'Guide', text: '# Intro\nHello there.\n\n## Bring\nYour ID card.\n\nAnd insurance.' });
    expect(passages.map((p) => p.title)).toEqual(['Guide › Intro', 'Guide › Bring']);
    expect(passages.every((p) => p.sourceId === 'guide' && p.kind === 'document')).toBe(true);
    expect(passages[1]?.id).toBe('guide#2');
    expect(passages[1]?.text).toContain('Your ID card.');
  });
  it('takes a heading with no blank line above it as a heading, as people type in a text box (was left in the text)', () => {
    const passages = chunkDocument({ id: 'hall', title: 'Hall', text: '## Vending machine\nThere is one in the hall.\n## Lockers\nFree lockers by the door.' });
    expect(passages.map((p) => [p.title, p.text])).toEqual([
      ['Hall › Vending machine', 'There is one in the hall.'],
      ['Hall › Lockers', 'Free lockers by the door.'],
    ]);
  });

  it('reads headings underlined with === and ---', () => {
    const passages = chunkDocument({ id: 'p', title: 'Parking', text: 'Where\n=====\nBehind the building.\n\nFees\n----\n€2 an hour.' });
    expect(passages.map((p) => [p.title, p.text])).toEqual([
      ['Parking › Where', 'Behind the building.'],
      ['Parking › Fees', '€2 an hour.'],
    ]);
  });

  it('pin: a "#" line in a code block and a line above a rule are text, not headings', () => {
    expect(chunkDocument({ id: 'c', title: 'Wi-Fi', text: 'Settings:\n\n```\n# network: clinic-guest\n```' }).map((p) => p.title)).toEqual(['Wi-Fi']);
    const ruled = chunkDocument({ id: 'r', title: 'Contact', text: 'Call us on 01 234 5678\n---\nParking is behind the building.' });
    expect(ruled.map((p) => [p.title, p.text])).toEqual([['Contact', 'Call us on 01 234 5678\n---\nParking is behind the building.']]);
  });

  it('keeps a heading that says something on its own; drops one that only titles deeper headings (was: 0 passages)', () => {
    const passages = chunkDocument({ id: 'h', title: 'Holidays', text: '# Christmas\n## Closed 24 December to 2 January\n## Open again on 3 January' });
    expect(passages.map((p) => [p.title, p.text])).toEqual([
      ['Holidays › Closed 24 December to 2 January', 'Closed 24 December to 2 January'],
      ['Holidays › Open again on 3 January', 'Open again on 3 January'],
    ]);
  });

  it('chunks long sections with a one-sentence overlap', () => {
    const paragraph = (n: number) => `Paragraph ${n} starts here. ${'word '.repeat(70).trim()}. It ends with sentence ${n}.`;
    const passages = chunkDocument({ id: 'long', title: 'Long', text: [1, 2, 3].map(paragraph).join('\n\n') });
    expect(passages.length).toBeGreaterThan(1);
    expect(passages[1]?.text.startsWith('It ends with sentence')).toBe(true);
  });
  it('keeps a lead-in ending in ":" with the list it introduces, however long the list', () => {
    const list = Array.from({ length: 8 }, (_, i) => `- Item ${i + 1}: ${'thing '.repeat(20).trim()}.`).join('\n');
    const text = `## What to bring\nWe look forward to meeting you. ${'word '.repeat(40).trim()}.\n\nPlease bring the following:\n\n${list}`;
    const passages = chunkDocument({ id: 'guide', title: 'Guide', text });
    expect(passages.map((p) => p.text.includes('Please bring the following:'))).toContain(true);
    for (const p of passages) {
      // No chunk ends at the lead-in: where it is, the list's first item is too.
      if (p.text.includes('Please bring the following:')) expect(p.text).toContain('Item 1:');
      expect(p.text.trimEnd().endsWith(':')).toBe(false);
    }
  });
  it('opens the next chunk with a lead-in rather than gluing what came before it to the list', () => {
    const intro = `We look forward to meeting you. ${'word '.repeat(100).trim()}.`;
    const list = Array.from({ length: 8 }, (_, i) => `- Item ${i + 1}: ${'thing '.repeat(30).trim()}.`).join('\n');
    const passages = chunkDocument({ id: 'guide', title: 'Guide', text: `## Bring\n${intro}\n\n**You will need:**\n\n${list}` });
    expect(passages).toHaveLength(2);
    expect(passages[0]?.text).toContain('We look forward');
    expect(passages[0]?.text).not.toContain('You will need');
    expect(passages[1]?.text).toContain('**You will need:**\n\n- Item 1:');
  });
});

describe('the demo knowledge base', () => {
  it('answers "do you have parking?" from the parking FAQ, with its source', async () => {
    const answer = await ask('do you have parking?');
    expect(answer.answered).toBe(true);
    expect(answer.sources[0]?.id).toBe('parking');
    expect(answer.text.toLowerCase()).toContain('car park');
  });

  it('says it does not know, and offers a person, when nothing matches', async () => {
    const answer = await ask('Can you fix the brakes on my bicycle?');
    expect(answer.answered).toBe(false);
    expect(answer.sources).toEqual([]);
    expect(answer.text).toMatch(/not sure/);
    expect(answer.quickReplies?.[0]?.label).toBe('Talk to a person');
  });

  it('answers from a document passage when the fact lives only there', async () => {
    const docIds = new Set(kb.documents.map((d) => d.id));
    const answer = await ask('What should I bring to my first appointment?');
    expect(answer.answered).toBe(true);
    expect(answer.sources.length).toBeGreaterThan(0);
    expect(answer.sources.some((s) => docIds.has(s.id.split('#')[0] ?? '') || s.kind === 'faq')).toBe(true);
  });

  it('replies to small talk in the customer language', async () => {
    expect((await ask('hola')).lang).toBe('es');
    expect((await ask('thanks!')).kind).toBe('small_talk');
  });
});

describe('language detection', () => {
  it('tells Spanish from English', () => {
    expect(detectLanguage('¿Tienen aparcamiento cerca de la clínica?')).toBe('es');
    expect(detectLanguage('Do you have parking near the clinic?')).toBe('en');
    expect(detectLanguage('ok', 'es-ES')).toBe('es');
  });
});

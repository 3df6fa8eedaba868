/**
 * A document keeps its format (plain text, Markdown, or text read from a PDF), and only Markdown is read as
 * Markdown: a plain-text line such as "# of visits" is a sentence, not a section heading, and is quoted as written.
 * A document without a format (every one stored before formats were kept) is Markdown, exactly as before.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PdfJsTextExtractor } from '../../lambdas/adapters/documents/pdf-text';
import { ExtractiveAnswerer, units } from '../../lambdas/adapters/llm/extractive';
import { chunkDocument, type Passage } from '../../lambdas/core/answer/passages';
import { passagesOf } from '../../lambdas/core/knowledge';
import { documentSchema, knowledgeBaseSchema, type KbDocument } from '../../lambdas/core/knowledge-base';
import { documentBodySchema, itemTag, putDocument } from '../../lambdas/core/knowledge-items';
import { importKnowledgeBase } from '../../lambdas/core/knowledge';
import { MemoryKnowledgeStore } from '../support/memory-knowledge-store';
import { minimalPdf } from '../support/minimal-pdf';

/** A dental plan's terms as an office types them: lines starting with "#" mean "number". */
const planText = [
  'Dental plan members',
  '# 1 crown per visit is covered in full.',
  '',
  '# of visits a year: two check-ups and two hygiene visits are included.',
  '',
  'Our surgery is at #2 Main Street, Dún Laoghaire.',
].join('\n');

const plan = (format?: KbDocument['format']): KbDocument => ({ id: 'plan', title: 'Dental plan', ...(format ? { format } : {}), text: planText });
const titlesAndTexts = (passages: readonly Passage[]) => passages.map((p) => [p.title, p.text]);

describe('chunking by format', () => {
  it('splits plain text on blank lines only: a line starting with "#" is text, and every passage is titled by the document (was: headings)', () => {
    const passages = chunkDocument(plan('text'));
    expect(titlesAndTexts(passages)).toEqual([['Dental plan', planText]]);
    expect(passages.map((p) => p.format)).toEqual(['text']);
  });

  it('reads no other Markdown into plain text: no underlined headings, no code blocks', () => {
    const text = 'Opening times\n---\nMonday to Friday.\n\n```\n# 4 rooms\n```\n\nPrices\n======\nA clean is €80.';
    const passages = chunkDocument({ id: 'notes', title: 'Notes', format: 'text', text });
    expect(titlesAndTexts(passages)).toEqual([['Notes', 'Opening times\n---\nMonday to Friday.\n\n```\n# 4 rooms\n```\n\nPrices\n======\nA clean is €80.']]);
  });

  it('pin: Markdown, and a document with no format, still read those lines as headings, and their passages carry no format', () => {
    for (const doc of [plan(), plan('markdown')]) {
      const passages = chunkDocument(doc);
      expect(titlesAndTexts(passages)).toEqual([
        ['Dental plan', 'Dental plan members'],
        ['Dental plan › 1 crown per visit is covered in full.', '1 crown per visit is covered in full.'],
        ['Dental plan › of visits a year: two check-ups and two hygiene visits are included.', 'Our surgery is at #2 Main Street, Dún Laoghaire.'],
      ]);
      for (const p of passages) expect(Object.keys(p).sort()).toEqual(['id', 'kind', 'sourceId', 'text', 'title']);
    }
  });

  it('reads only the PDF reader’s headings in a PDF’s text: "# of visits" in the body is text (was: a heading)', async () => {
    const pdf = minimalPdf([
      [
        { text: 'Plan terms', size: 20 },
        { text: '# of visits a year: two check-ups and two hygiene', spaceBefore: 8 },
        { text: 'visits are included.' },
        { text: 'Visits past the plan are charged at the usual price.', spaceBefore: 12 },
      ],
    ]);
    const text = await new PdfJsTextExtractor().extractText(pdf, { maxChars: 10_000 });
    expect(text).toBe('## Plan terms\n\n# of visits a year: two check-ups and two hygiene visits are included.\n\nVisits past the plan are charged at the usual price.');
    const passages = chunkDocument({ id: 'terms', title: 'Terms', format: 'pdf', text });
    expect(titlesAndTexts(passages)).toEqual([
      ['Terms › Plan terms', '# of visits a year: two check-ups and two hygiene visits are included.\n\nVisits past the plan are charged at the usual price.'],
    ]);
    expect(passages.map((p) => p.format)).toEqual(['pdf']);
    // Read as Markdown (what every PDF was before), the body line became a section of its own.
    expect(chunkDocument({ id: 'terms', title: 'Terms', text }).map((p) => p.title)).toContain('Terms › of visits a year: two check-ups and two hygiene visits are included.');
  });

  it('takes a "## " line as a PDF heading only as a paragraph of its own', () => {
    const text = '## Fees\n\nA clean is €80.\n## 3 visits\nare free.\n\n## Hours\n\nOpen daily.';
    expect(titlesAndTexts(chunkDocument({ id: 'f', title: 'Fees', format: 'pdf', text }))).toEqual([
      ['Fees › Fees', 'A clean is €80.\n## 3 visits\nare free.'],
      ['Fees › Hours', 'Open daily.'],
    ]);
  });

  it('chunks an imported file’s documents by their own formats', () => {
    const kb = knowledgeBaseSchema.parse({ ...demoKb(), documents: [plan('text'), { ...plan(), id: 'plan-md' }] });
    const documents = passagesOf(kb).filter((p) => p.kind === 'document');
    expect(documents.filter((p) => p.sourceId === 'plan').map((p) => [p.title, p.format])).toEqual([['Dental plan', 'text']]);
    expect(documents.filter((p) => p.sourceId === 'plan-md')).toHaveLength(3);
  });
});

function demoKb(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, '../../local-cloud/seed/demo-kb.json'), 'utf8')) as Record<string, unknown>;
}

describe('the format at the edge', () => {
  it('is optional in a knowledge-base file, and a bad one is refused naming the field', () => {
    expect(documentSchema.parse(plan()).format).toBeUndefined();
    expect(documentSchema.parse(plan('pdf')).format).toBe('pdf');
    const bad = knowledgeBaseSchema.safeParse({ ...demoKb(), documents: [{ ...plan(), format: 'docx' }] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues).toEqual([expect.objectContaining({ path: ['documents', 0, 'format'], message: 'must be one of text, markdown, pdf' })]);
  });

  it('is required by the document route, with the same message', () => {
    const bad = documentBodySchema.safeParse({ title: 'Plan', format: 'Markdown', text: planText });
    expect(bad.error?.issues).toEqual([expect.objectContaining({ path: ['format'], message: 'must be one of text, markdown, pdf' })]);
  });
});

describe('a document saved through the item routes', () => {
  const setUp = async () => {
    const store = new MemoryKnowledgeStore();
    await importKnowledgeBase(store, 'clinic', knowledgeBaseSchema.parse({ ...demoKb(), documents: [] }));
    return { store, deps: { store } };
  };

  it('keeps its format, and is chunked by it', async () => {
    const { store, deps } = await setUp();
    const saved = await putDocument(deps, 'clinic', 'plan', { title: 'Dental plan', format: 'text', text: planText });
    expect(saved.item).toMatchObject({ format: 'text', chunks: 1 });
    expect((await store.readKnowledgeBase('clinic'))?.kb.documents).toEqual([plan('text')]);
    const { passages } = await store.listPassages('clinic');
    expect(passages.filter((p) => p.sourceId === 'plan').map((p) => [p.title, p.format])).toEqual([['Dental plan', 'text']]);
  });

  it('is changed by a new format alone (same title and text), and its entity tag with it', async () => {
    const { store, deps } = await setUp();
    const first = await putDocument(deps, 'clinic', 'plan', { title: 'Dental plan', format: 'markdown', text: planText });
    const second = await putDocument(deps, 'clinic', 'plan', { title: 'Dental plan', format: 'text', text: planText });
    expect(second.version).toBe(first.version + 1);
    expect(second.etag).not.toBe(first.etag);
    expect((await store.listPassages('clinic')).passages.filter((p) => p.sourceId === 'plan')).toHaveLength(1);
  });

  it('keeps the entity tag a Markdown document had before formats were kept', () => {
    const tag = itemTag({ kind: 'document', document: plan() });
    expect(itemTag({ kind: 'document', document: plan('markdown') })).toBe(tag);
    expect(itemTag({ kind: 'document', document: plan('text') })).not.toBe(tag);
  });
});

describe('quoting by format', () => {
  const lines = ['# of visits a year: two.', '| Crowns | 1 per visit |', '---', 'See [the plan](https://clinic.example/plan) and **ask** at `reception`.'];

  it('quotes a plain-text passage as written (was: read as Markdown)', () => {
    expect(units(lines.join('\n'), 'text').map((u) => u.text)).toEqual(lines);
  });

  it('pin: reads a Markdown passage as Markdown', () => {
    expect(units(lines.join('\n')).map((u) => u.text)).toEqual(['of visits a year: two.', 'Crowns: 1 per visit', 'See the plan (https://clinic.example/plan) and ask at reception.']);
  });

  it('answers from a plain-text passage with its "#" intact', async () => {
    const passage = chunkDocument(plan('text'))[0];
    if (!passage) throw new Error('no passage');
    const out = await new ExtractiveAnswerer().compose({ question: 'how many visits a year are included?', lang: 'en', businessName: 'x', passages: [{ passage, score: 1, coverage: 1 }] });
    expect(out.text).toContain('# of visits a year: two check-ups and two hygiene visits are included.');
  });
});

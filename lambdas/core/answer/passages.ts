/**
 * Passages: the unit of retrieval. An FAQ entry is one passage; a document is
 * chunked on structure (headings, then paragraphs) with a one-sentence overlap,
 * and every chunk keeps its source document id and a title naming its section.
 */
import type { Faq, KbDocument } from '../knowledge-base';
import { sentences } from './text';

export interface Passage {
  /** FAQ id, or `<documentId>#<chunk number>`. */
  readonly id: string;
  readonly kind: 'faq' | 'document';
  /** The FAQ question, or `<document title> › <section heading>`. */
  readonly title: string;
  readonly text: string;
  /** The FAQ id or the document id this passage came from. */
  readonly sourceId: string;
  /** An FAQ's alternative wordings of its question, searched like the title (absent when it has none). */
  readonly phrasings?: readonly string[];
}

/** A passage's sentence embedding: unit length, made by the named model (vectors of different models never mix). */
export interface PassageEmbedding {
  readonly model: string;
  readonly vector: Float32Array;
}

/** A passage with its embedding when one was made: stored beside the passage and written to vector indexes. */
export interface EmbeddedPassage extends Passage {
  readonly embedding?: PassageEmbedding;
}

/** The text a passage is embedded from: its title (question or section) and its body. */
export function embeddingText(passage: Pick<Passage, 'title' | 'text'>): string {
  return `${passage.title}\n${passage.text}`;
}

/** What a passage is asked as: its title (an FAQ's question, a section), then any alternative wordings, one a line. */
export function questionText(passage: Pick<Passage, 'title' | 'phrasings'>): string {
  return [passage.title, ...(passage.phrasings ?? [])].join('\n');
}

/** Whether two passages are embedded from the same words: title, alternative wordings and text. */
export function sameContent(a: Pick<Passage, 'title' | 'text' | 'phrasings'>, b: Pick<Passage, 'title' | 'text' | 'phrasings'>): boolean {
  return a.text === b.text && questionText(a) === questionText(b);
}

/** The passage without its embedding (what answers, sources and logs carry). */
export function plainPassage(p: Passage): Passage {
  return { id: p.id, kind: p.kind, title: p.title, text: p.text, sourceId: p.sourceId, ...(p.phrasings?.length ? { phrasings: [...p.phrasings] } : {}) };
}

export function faqPassage(faq: Faq): Passage {
  const phrasings = [...new Set((faq.alternatives ?? []).filter((a) => a !== faq.question))];
  return { id: faq.id, kind: 'faq', title: faq.question, text: faq.answer, sourceId: faq.id, ...(phrasings.length > 0 ? { phrasings } : {}) };
}

const TARGET_WORDS = 120;

/** "Please bring the following:", "**You will need:**": a paragraph that introduces what follows it. */
function isLeadIn(paragraph: string): boolean {
  return /:\s*[*_]*\s*$/.test(paragraph);
}

/**
 * Chunks a plain-text or markdown document on headings and paragraphs, ~120 words a chunk, one sentence of overlap.
 * Within a section, a lead-in (a paragraph ending in ":") opens the chunk of what it introduces rather than closing
 * the one before.
 */
export function chunkDocument(doc: KbDocument): Passage[] {
  const sections: { heading: string; paragraphs: string[] }[] = [];
  let current: { heading: string; paragraphs: string[] } = { heading: '', paragraphs: [] };
  for (const block of doc.text.replace(/\r\n/g, '\n').split(/\n\s*\n/)) {
    const lines = block.split('\n');
    const headingLines: string[] = [];
    while (lines.length > 0 && /^\s*#{1,6}\s+/.test(lines[0] ?? '')) headingLines.push((lines.shift() ?? '').replace(/^\s*#{1,6}\s+/, '').trim());
    if (headingLines.length > 0) {
      if (current.paragraphs.length > 0) sections.push(current);
      current = { heading: headingLines[headingLines.length - 1] ?? '', paragraphs: [] };
    }
    const body = lines.join('\n').trim();
    if (body) current.paragraphs.push(body);
  }
  if (current.paragraphs.length > 0) sections.push(current);

  const passages: Passage[] = [];
  for (const section of sections) {
    let buffer: string[] = [];
    let count = 0;
    let overlap = '';
    const flush = (): void => {
      if (buffer.length === 0) return;
      const text = [overlap, ...buffer].filter(Boolean).join('\n\n');
      passages.push({
        id: `${doc.id}#${passages.length + 1}`,
        kind: 'document',
        title: section.heading ? `${doc.title} › ${section.heading}` : doc.title,
        text,
        sourceId: doc.id,
      });
      const last = sentences(buffer[buffer.length - 1] ?? '');
      overlap = last[last.length - 1] ?? '';
      buffer = [];
      count = 0;
    };
    for (const paragraph of section.paragraphs) {
      const n = paragraph.split(/\s+/).length;
      if (count > 0 && count + n > TARGET_WORDS) {
        // A lead-in ("Please bring the following:") goes with what it introduces: alone it answers nothing.
        let kept = 0;
        while (kept < buffer.length && isLeadIn(buffer[buffer.length - 1 - kept] ?? '')) kept++;
        if (kept < buffer.length) {
          const leadIns = buffer.splice(buffer.length - kept, kept);
          flush();
          buffer.push(...leadIns);
          count = leadIns.reduce((sum, p) => sum + p.split(/\s+/).length, 0);
        }
      }
      buffer.push(paragraph);
      count += n;
    }
    flush();
  }
  return passages;
}

/**
 * Passages: the unit of retrieval. An FAQ entry is one passage; a document is
 * chunked on structure (headings, then paragraphs) with a one-sentence overlap,
 * and every chunk keeps its source document id and a title naming its section.
 * Headings are read as the document's format writes them: Markdown's in Markdown,
 * the PDF reader's in a PDF's text, none in plain text.
 */
import { formatOf, type DocumentFormat, type Faq, type KbDocument } from '../knowledge-base';
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
  /**
   * A document passage's format when it is not Markdown: its text is then quoted as written, with no Markdown
   * read into it. Absent: Markdown (FAQ answers, Markdown documents, and every passage stored before documents had
   * a format, so those are stored, indexed and quoted exactly as before).
   */
  readonly format?: PlainFormat;
}

/** The formats whose text holds no Markdown once chunked (a PDF's headings become passage titles). */
export type PlainFormat = Exclude<DocumentFormat, 'markdown'>;

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
  return {
    id: p.id,
    kind: p.kind,
    title: p.title,
    text: p.text,
    sourceId: p.sourceId,
    ...(p.phrasings?.length ? { phrasings: [...p.phrasings] } : {}),
    ...(p.format ? { format: p.format } : {}),
  };
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

interface Section {
  readonly heading: string;
  readonly paragraphs: string[];
}

const ATX_HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const SETEXT_UNDERLINE = /^\s{0,3}(={3,}|-{3,})\s*$/;
/** A line a `---` may underline as a heading: a few words, no digits, no sentence ending ("Call us on 01 234 5678" is text above a rule). */
const SETEXT_DASH_HEADING = /^(?!.*\d)(?!.*[.,;:!?]\s*$)\s*\S+(?:\s+\S+){0,7}\s*$/;
const FENCE = /^\s{0,3}(?:```|~~~)/;
/** What the PDF reader writes for a line set in larger type (adapters/documents/pdf-text.ts): `## ` and the line. */
const PDF_HEADING = /^## (\S.*)$/;

interface Heading {
  readonly text: string;
  readonly level: number;
  /** Lines it takes: 2 for a heading underlined with === or ---. */
  readonly lines: number;
}

/** The Markdown heading at line `i`: "## Parking" wherever it stands, or a line underlined with === or ---. */
function markdownHeading(lines: readonly string[], i: number, inParagraph: boolean): Heading | undefined {
  const line = lines[i] ?? '';
  const atx = ATX_HEADING.exec(line);
  if (atx && (atx[2] ?? '') !== '') return { text: atx[2] ?? '', level: (atx[1] ?? '#').length, lines: 1 };
  const underline = SETEXT_UNDERLINE.exec(lines[i + 1] ?? '');
  const setext = underline !== null && (underline[1]?.startsWith('=') || SETEXT_DASH_HEADING.test(line));
  // "Parking\n=======": a heading (level 1 for =, 2 for -); a lone "---" under a paragraph's last line is not one.
  if (setext && line.trim() !== '' && !inParagraph && !/^\s{0,3}[-*+]\s/.test(line)) {
    return { text: line.trim(), level: underline[1]?.startsWith('=') ? 1 : 2, lines: 2 };
  }
  return undefined;
}

/**
 * The PDF reader's heading at line `i`: a paragraph of its own that is "## " and one line. Any other line of a PDF's
 * text, "# of visits" or "#2 Main Street" included, is text.
 */
function pdfHeading(lines: readonly string[], i: number, inParagraph: boolean): Heading | undefined {
  const heading = PDF_HEADING.exec(lines[i] ?? '');
  if (!heading || inParagraph || (lines[i + 1] ?? '').trim() !== '') return undefined;
  return { text: (heading[1] ?? '').trim(), level: 2, lines: 1 };
}

/**
 * A document's sections: a heading opens one; paragraphs are split on blank lines. Which lines are headings
 * depends on the format: in Markdown, "## Parking" or a line underlined with === or --- wherever it stands, blank
 * line above it or not, except inside a code block; in a PDF's text, only the PDF reader's `## ` lines; in plain text,
 * none (the whole text is one section, named by the document's title). A heading with nothing under it but a deeper
 * heading is a title and is dropped (the deeper one names the section); one with nothing under it before a heading
 * of its own level or higher says something itself ("## Closed 24 December to 2 January") and is a section whose
 * text is the heading.
 */
function sectionsOf(text: string, format: DocumentFormat): Section[] {
  const sections: Section[] = [];
  let current: Section & { level: number } = { heading: '', paragraphs: [], level: 0 };
  let paragraph: string[] = [];
  const endParagraph = (): void => {
    const body = paragraph.join('\n').trim();
    if (body) current.paragraphs.push(body);
    paragraph = [];
  };
  const open = (heading: string, level: number): void => {
    endParagraph();
    if (current.paragraphs.length > 0) sections.push(current);
    else if (current.heading && level <= current.level) sections.push({ heading: current.heading, paragraphs: [current.heading] });
    current = { heading, paragraphs: [], level };
  };
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const headingAt = format === 'markdown' ? markdownHeading : format === 'pdf' ? pdfHeading : undefined;
  let fenced = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    // Inside a Markdown code block (``` … ```) every line is text: "# not a heading" stays in it.
    if (format === 'markdown') {
      if (FENCE.test(line)) fenced = !fenced;
      if (fenced || FENCE.test(line)) {
        paragraph.push(line);
        continue;
      }
    }
    const heading = headingAt?.(lines, i, paragraph.length > 0);
    if (heading) {
      open(heading.text, heading.level);
      i += heading.lines - 1;
    } else if (line.trim() === '') {
      endParagraph();
    } else {
      paragraph.push(line);
    }
  }
  open('', 0);
  return sections;
}

/**
 * Chunks a plain-text, Markdown or PDF-text document on headings (as its format writes them) and paragraphs, ~120
 * words a chunk, one sentence of overlap. Within a section, a lead-in (a paragraph ending in ":") opens the chunk of
 * what it introduces rather than closing the one before. A document's passages carry its format unless it is
 * Markdown (`Passage.format`), so the answerer quotes plain text as written.
 */
export function chunkDocument(doc: KbDocument): Passage[] {
  const format = formatOf(doc);
  const sections = sectionsOf(doc.text, format);
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
        ...(format !== 'markdown' ? { format } : {}),
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

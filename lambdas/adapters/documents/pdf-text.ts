/**
 * Reads the text of a PDF with pdf.js (`pdfjs-dist`, its legacy build for
 * Node), in-process: no rendering, no fonts, no `eval`, no network.
 *
 * Lines are rebuilt from the positioned text runs; a vertical gap larger than
 * the line height starts a new paragraph (a blank line, which is what the
 * chunker splits on), and a short line set clearly larger than the body text
 * becomes a `## ` heading, so chunks keep their section titles.
 *
 * Loading: pdf.js is ES modules only. It is imported lazily (the admin API pays
 * for it only when a PDF arrives), and its worker module is imported and handed
 * over as `globalThis.pdfjsWorker` so pdf.js never has to find it on disk
 * (which a bundled Lambda could not).
 */
import { z } from 'zod';
import { DomainError } from '../../core/errors';
import type { PdfTextExtractor } from '../../core/ports';

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');

let loaded: Promise<PdfJs> | undefined;

function pdfjs(): Promise<PdfJs> {
  loaded ??= (async () => {
    const [lib, worker] = await Promise.all([import('pdfjs-dist/legacy/build/pdf.mjs'), import('pdfjs-dist/legacy/build/pdf.worker.mjs')]);
    Reflect.set(globalThis, 'pdfjsWorker', worker);
    return lib;
  })().catch((error: unknown) => {
    loaded = undefined;
    throw error;
  });
  return loaded;
}

/** Most pages read from one file; beyond it the file is refused rather than read for too long. */
const MAX_PAGES = 500;

const textRun = z.object({ str: z.string(), transform: z.array(z.number()).min(6), height: z.number(), hasEOL: z.boolean() });

interface Line {
  readonly text: string;
  /** Baseline, in PDF units (grows upwards). */
  readonly y: number;
  readonly size: number;
}

function linesOf(items: readonly unknown[]): Line[] {
  const lines: Line[] = [];
  let text = '';
  let y: number | undefined;
  let size = 0;
  const flush = (): void => {
    const t = text.replace(/\s+/g, ' ').trim();
    if (t && y !== undefined) lines.push({ text: t, y, size });
    text = '';
    y = undefined;
    size = 0;
  };
  for (const raw of items) {
    const run = textRun.safeParse(raw);
    if (!run.success) continue; // marked-content boundaries carry no text
    const runY = run.data.transform[5] ?? 0;
    const runSize = run.data.height || Math.abs(run.data.transform[3] ?? 0);
    // A run on another baseline without an explicit end of line still starts a new line.
    if (y !== undefined && text && Math.abs(runY - y) > Math.max(size, runSize, 1) * 0.5) flush();
    if (y === undefined && run.data.str.trim()) y = runY;
    text += run.data.str;
    size = Math.max(size, runSize);
    if (run.data.hasEOL) flush();
  }
  flush();
  return lines;
}

/** The body text's size: the (rounded) size that carries the most characters. */
function bodySizeOf(lines: readonly Line[]): number {
  const chars = new Map<number, number>();
  for (const line of lines) {
    const size = Math.round(line.size * 2) / 2;
    chars.set(size, (chars.get(size) ?? 0) + line.text.length);
  }
  let best = 0;
  let most = -1;
  for (const [size, count] of chars) {
    if (count > most) [best, most] = [size, count];
  }
  return best;
}

/** Joins a page's lines into paragraphs; a line ending in a hyphen joins the next word. */
function pageText(lines: readonly Line[], bodySize: number): string {
  const paragraphs: string[] = [];
  let current = '';
  let previous: Line | undefined;
  for (const line of lines) {
    const heading = bodySize > 0 && line.size >= bodySize * 1.3 && line.text.length <= 120;
    const gap = previous ? previous.y - line.y : 0;
    const newParagraph = !previous || heading || previous.size >= bodySize * 1.3 || gap > Math.max(previous.size, line.size) * 1.6 || gap < 0;
    if (newParagraph) {
      if (current) paragraphs.push(current);
      current = heading ? `## ${line.text}` : line.text;
    } else if (/[A-Za-z\u00C0-\u024F]-$/.test(current) && /^[a-z\u00DF-\u00FF]/.test(line.text)) {
      current = current.slice(0, -1) + line.text;
    } else {
      current = `${current} ${line.text}`;
    }
    // A heading stands alone.
    if (heading) {
      paragraphs.push(current);
      current = '';
    }
    previous = line;
  }
  if (current) paragraphs.push(current);
  return paragraphs.join('\n\n');
}

function unreadable(message: string): DomainError {
  return new DomainError('bad_request', `pdfBase64: ${message}`, 'pdfBase64');
}

export class PdfJsTextExtractor implements PdfTextExtractor {
  async extractText(pdf: Uint8Array, options: { readonly maxChars: number }): Promise<string> {
    if (!Buffer.from(pdf.subarray(0, 1024)).toString('latin1').includes('%PDF-')) throw unreadable('is not a PDF file');
    const lib = await pdfjs();
    const task = lib.getDocument({
      // pdf.js takes ownership of (and detaches) the buffer it is given: hand it a copy.
      data: new Uint8Array(pdf),
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
      enableXfa: false,
      verbosity: lib.VerbosityLevel.ERRORS,
    });
    let document: Awaited<typeof task.promise>;
    try {
      document = await task.promise;
    } catch (error) {
      await task.destroy();
      const name = error instanceof Error ? error.name : '';
      if (name === 'PasswordException') throw unreadable('the PDF is password-protected');
      throw unreadable(`the PDF could not be read (${error instanceof Error ? error.message : 'unknown error'})`);
    }
    try {
      if (document.numPages > MAX_PAGES) throw unreadable(`the PDF has ${document.numPages} pages; at most ${MAX_PAGES} are read`);
      const pages: Line[][] = [];
      let chars = 0;
      for (let n = 1; n <= document.numPages; n++) {
        const page = await document.getPage(n);
        const content = await page.getTextContent();
        const lines = linesOf(content.items);
        page.cleanup();
        pages.push(lines);
        chars += lines.reduce((sum, l) => sum + l.text.length + 1, 0);
        if (chars > options.maxChars) {
          throw new DomainError('payload_too_large', `pdfBase64: the PDF holds more than ${options.maxChars} characters of text`, 'pdfBase64');
        }
      }
      const bodySize = bodySizeOf(pages.flat());
      return pages
        .map((lines) => pageText(lines, bodySize))
        .filter(Boolean)
        .join('\n\n');
    } finally {
      await document.destroy();
    }
  }
}

/**
 * Writes small, valid PDF files by hand for tests (no PDF library is
 * installed besides pdf.js, which only reads): a catalog, a page tree, one
 * standard Type 1 font (Helvetica, WinAnsiEncoding), and per page a content
 * stream of positioned text lines; the cross-reference table holds the real
 * byte offsets.
 */

export interface PdfLine {
  readonly text: string;
  /** Font size in points. @default 11 */
  readonly size?: number;
  /** Extra space above the line in points (a paragraph break). @default 0 */
  readonly spaceBefore?: number;
}

/** Escapes a string for a PDF literal string; characters are written as Latin-1 (WinAnsi for the usual accents). */
function literal(text: string): string {
  return `(${text.replace(/[\\()]/g, (c) => `\\${c}`)})`;
}

function contentStream(lines: readonly PdfLine[]): string {
  let y = 770;
  const ops: string[] = ['BT'];
  for (const line of lines) {
    const size = line.size ?? 11;
    y -= (line.spaceBefore ?? 0) + size * 1.25;
    ops.push(`/F1 ${size} Tf`, `1 0 0 1 72 ${y.toFixed(2)} Tm`, `${literal(line.text)} Tj`);
  }
  ops.push('ET');
  return ops.join('\n');
}

/** A PDF with one page per entry of `pages`, each a list of lines from the top. */
export function minimalPdf(pages: readonly (readonly PdfLine[])[]): Buffer {
  const objects: string[] = [];
  const add = (body: string): number => {
    objects.push(body);
    return objects.length;
  };
  add('<< /Type /Catalog /Pages 2 0 R >>');
  add(''); // the page tree, filled in once the kids are known
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const kids: number[] = [];
  for (const lines of pages) {
    const stream = contentStream(lines);
    const content = add(`<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`);
    kids.push(add(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${content} 0 R >>`));
  }
  objects[1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`;

  let out = '%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

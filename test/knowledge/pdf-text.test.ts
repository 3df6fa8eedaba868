/** Reading the text of PDFs with pdf.js, on hand-written PDF files. */
import { PdfJsTextExtractor } from '../../lambdas/adapters/documents/pdf-text';
import { DomainError } from '../../lambdas/core/errors';
import { minimalPdf } from '../support/minimal-pdf';

const extractor = new PdfJsTextExtractor();
const read = (pdf: Uint8Array, maxChars = 200_000): Promise<string> => extractor.extractText(pdf, { maxChars });

describe('PdfJsTextExtractor', () => {
  it('reads lines, joins wrapped lines into paragraphs, and keeps pages and headings apart', async () => {
    const pdf = minimalPdf([
      [
        { text: 'Aftercare guide', size: 20 },
        { text: 'After an extraction, rest for the remainder of the', spaceBefore: 6 },
        { text: 'day and avoid hot drinks.' },
        { text: 'Rinse gently with warm salt water from the second', spaceBefore: 12 },
        { text: 'day (½ teaspoon in a glass of water, café-style).' },
      ],
      [{ text: 'Call us if the bleeding (or pain) does not settle.' }],
    ]);
    const text = await read(pdf);
    expect(text).toBe(
      [
        '## Aftercare guide',
        'After an extraction, rest for the remainder of the day and avoid hot drinks.',
        'Rinse gently with warm salt water from the second day (½ teaspoon in a glass of water, café-style).',
        'Call us if the bleeding (or pain) does not settle.',
      ].join('\n\n'),
    );
  });

  it('refuses a file that is not a PDF, and a damaged one, as a bad request about pdfBase64', async () => {
    await expect(read(Buffer.from('hello, I am plain text'))).rejects.toEqual(expect.objectContaining({ code: 'bad_request', field: 'pdfBase64' }));
    const damaged = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nthis is not a pdf at all');
    const error = await read(damaged).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'bad_request', field: 'pdfBase64' });
  });

  it('stops reading once the text is longer than allowed (413)', async () => {
    const lines = Array.from({ length: 40 }, (_, i) => ({ text: `Line ${i} of a rather long document that keeps on going.` }));
    await expect(read(minimalPdf([lines, lines]), 500)).rejects.toEqual(expect.objectContaining({ code: 'payload_too_large', field: 'pdfBase64' }));
  });

  it('returns no text for a PDF without any (the use case refuses it)', async () => {
    await expect(read(minimalPdf([[]]))).resolves.toBe('');
  });
});

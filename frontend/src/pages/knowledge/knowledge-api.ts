/**
 * One FAQ or document at a time (the admin API's item routes), with optimistic concurrency: an item is opened with
 * its entity tag and saved or deleted with `If-Match`, so a change someone else made meanwhile is refused (412)
 * rather than overwritten; a new item is created with `If-None-Match: *`, so it never replaces one with its id.
 */
import type { ApiClient, RequestOptions } from '../../api/client';
import { documentFormats, faqDecoder, kbDocumentDecoder } from '../../api/types';
import { boolean, number, object, oneOf, string, type Infer } from '../../lib/decode';
import { ApiError } from '../../lib/api-error';

const faqItemDecoder = object({ faq: faqDecoder, etag: string });
const documentItemDecoder = object({ document: kbDocumentDecoder, etag: string });
const faqSavedDecoder = object({ faq: faqDecoder, created: boolean, kbVersion: number, etag: string });
const documentSavedDecoder = object({
  document: object({ id: string, title: string, format: oneOf(...documentFormats), characters: number, chunks: number }),
  created: boolean,
  kbVersion: number,
  etag: string,
});
const deletedDecoder = object({ deleted: object({ kind: oneOf('faq', 'document'), id: string }), kbVersion: number });

export type FaqItem = Infer<typeof faqItemDecoder>;
export type DocumentItem = Infer<typeof documentItemDecoder>;
export type FaqSaved = Infer<typeof faqSavedDecoder>;
export type DocumentSaved = Infer<typeof documentSavedDecoder>;

/** An FAQ as the editor sends it (the id is the path's). */
export interface FaqInput {
  readonly question: string;
  readonly answer: string;
  readonly category: string;
  readonly alternatives?: readonly string[];
}

/** A document as the editor sends it: its text, or a PDF file read on the server. */
export type DocumentInput =
  | { readonly title: string; readonly format: 'text' | 'markdown'; readonly text: string }
  | { readonly title: string; readonly format: 'pdf'; readonly pdfBase64: string };

/** Save over the version that was opened (its tag), or create a new item (refused if the id is taken). */
export type SaveAs = { readonly etag: string } | { readonly create: true };

function precondition(as: SaveAs): Record<string, string> {
  return 'etag' in as ? { 'If-Match': as.etag } : { 'If-None-Match': '*' };
}

const item = (kind: 'faqs' | 'documents', id: string): string => `/v1/admin/knowledge/${kind}/${encodeURIComponent(id)}`;

export interface KnowledgeItemsApi {
  getFaq(faqId: string, options?: RequestOptions): Promise<FaqItem>;
  saveFaq(faqId: string, faq: FaqInput, as: SaveAs): Promise<FaqSaved>;
  deleteFaq(faqId: string, etag: string): Promise<void>;
  getDocument(documentId: string, options?: RequestOptions): Promise<DocumentItem>;
  saveDocument(documentId: string, document: DocumentInput, as: SaveAs): Promise<DocumentSaved>;
  deleteDocument(documentId: string, etag: string): Promise<void>;
}

export function knowledgeItemsApi(api: Pick<ApiClient, 'call'>): KnowledgeItemsApi {
  return {
    getFaq: (faqId, o) => api.call('GET', item('faqs', faqId), faqItemDecoder, undefined, o),
    saveFaq: (faqId, faq, as) => api.call('PUT', item('faqs', faqId), faqSavedDecoder, faq, { headers: precondition(as) }),
    deleteFaq: async (faqId, etag) => void (await api.call('DELETE', item('faqs', faqId), deletedDecoder, undefined, { headers: { 'If-Match': etag } })),
    getDocument: (documentId, o) => api.call('GET', item('documents', documentId), documentItemDecoder, undefined, o),
    saveDocument: (documentId, document, as) => api.call('PUT', item('documents', documentId), documentSavedDecoder, document, { headers: precondition(as) }),
    deleteDocument: async (documentId, etag) =>
      void (await api.call('DELETE', item('documents', documentId), deletedDecoder, undefined, { headers: { 'If-Match': etag } })),
  };
}

/** True when a save or delete was refused because the item changed (or appeared, or went) since it was opened. */
export function isEditConflict(err: unknown): boolean {
  return err instanceof ApiError && err.status === 412;
}

/** The alternatives textarea: one wording per line, blank lines and repeats (and the question itself) dropped. */
export function wordingsOf(text: string, question: string): string[] {
  const seen = new Set([question.trim().toLowerCase()]);
  const out: string[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || seen.has(line.toLowerCase())) continue;
    seen.add(line.toLowerCase());
    out.push(line);
  }
  return out;
}

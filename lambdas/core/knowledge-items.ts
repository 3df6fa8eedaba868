/**
 * Knowledge-base items one at a time: create, replace or delete one FAQ or one
 * document (text, Markdown or PDF) through the admin API. Each use case
 * changes only that item: the knowledge-base file and that item's passages,
 * in the current version, with `kbVersion` bumped in the same atomic step
 * (see KnowledgeItemStore). A concurrent change makes the store answer
 * `stale`; the change is then recomputed from the new state, a few times.
 *
 * Each item has an entity tag (`itemTag`: a hash of what an editor sees of it). A
 * change may name the tag it was made from (`If-Match`), or ask that the item
 * not exist yet (`If-None-Match: *`); when the item is no longer so, nothing is
 * written and the caller gets 412, so two people editing one FAQ cannot
 * silently overwrite each other's work.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { chunkDocument, faqPassage, type EmbeddedPassage } from './answer/passages';
import { conflict, DomainError, notFound, preconditionFailed } from './errors';
import { documentFormatSchema, documentSchema, faqSchema, formatOf, knowledgeBaseSchema, type Faq, type KbDocument, type KnowledgeBase } from './knowledge-base';
import type { KnowledgeItemStore, PdfTextExtractor } from './ports';

export interface KnowledgeItemDeps {
  readonly store: KnowledgeItemStore;
  /** Reads uploaded PDFs (documents only). */
  readonly pdf?: PdfTextExtractor;
}

/** Largest PDF accepted, decoded. */
export const MAX_PDF_BYTES = 5 * 1024 * 1024;
/** Longest document text, as in the knowledge-base file format. */
export const MAX_DOCUMENT_CHARS = 200_000;

const ATTEMPTS = 8;
/** A short random wait before another attempt, growing with each: concurrent edits of other items spread out. */
const backoff = (attempt: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.round(Math.random() * 40 * attempt)));

/** `{faqId}` / `{documentId}`: the knowledge-base file's item id format. */
export const itemIdSchema = faqSchema.shape.id;

/** PUT /v1/admin/knowledge/faqs/{faqId}: an FAQ without its id (the id is the path's). */
export const faqBodySchema = faqSchema.omit({ id: true });
export type FaqBody = z.infer<typeof faqBodySchema>;

/**
 * PUT /v1/admin/knowledge/documents/{documentId}: plain text or Markdown in `text`, or a PDF file in `pdfBase64`.
 * The format is stored with the document: it decides how the text is split and quoted.
 */
export const documentBodySchema = z
  .strictObject({
    title: documentSchema.shape.title,
    format: documentFormatSchema,
    text: z.string().optional(),
    // Checked for size and alphabet by `decodePdf` (a 413 for an oversized file rather than a 400).
    pdfBase64: z.string().optional(),
  })
  .superRefine((body, ctx) => {
    if (body.format === 'pdf') {
      if (body.pdfBase64 === undefined) ctx.addIssue({ code: 'custom', path: ['pdfBase64'], message: 'is required when format is pdf' });
      if (body.text !== undefined) ctx.addIssue({ code: 'custom', path: ['text'], message: 'must be absent when format is pdf (the text is read from the PDF)' });
    } else {
      if (body.text === undefined) ctx.addIssue({ code: 'custom', path: ['text'], message: `is required when format is ${body.format}` });
      if (body.pdfBase64 !== undefined) ctx.addIssue({ code: 'custom', path: ['pdfBase64'], message: 'is only for format pdf' });
    }
  });
export type DocumentBody = z.infer<typeof documentBodySchema>;

export type KnowledgeSource = { readonly kind: 'faq'; readonly faq: Faq } | { readonly kind: 'document'; readonly document: KbDocument };

/**
 * The passages of one FAQ or document: the one place incremental edits get
 * passages from, so whatever is stored with a passage is added here once.
 * They are embedded where they are written (adapters/knowledge/embedding-store.ts)
 * and by the knowledge indexer (core/knowledge-indexing.ts), as whole imports are.
 */
export async function passagesForSource(source: KnowledgeSource): Promise<EmbeddedPassage[]> {
  return source.kind === 'faq' ? [faqPassage(source.faq)] : chunkDocument(source.document);
}

/** Decodes a base64 PDF, refusing an oversized one before decoding it. */
export function decodePdf(pdfBase64: string): Uint8Array {
  const compact = pdfBase64.replace(/\s+/g, '');
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  const bytes = Math.floor((compact.length * 3) / 4) - padding;
  if (bytes > MAX_PDF_BYTES) {
    throw new DomainError('payload_too_large', `the PDF is ${(bytes / 1024 / 1024).toFixed(1)} MB; the largest accepted is ${MAX_PDF_BYTES / 1024 / 1024} MB`, 'pdfBase64');
  }
  if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw new DomainError('bad_request', 'pdfBase64: must be a base64-encoded PDF file', 'pdfBase64');
  }
  return Buffer.from(compact, 'base64');
}

/** Validates the knowledge base an edit would produce (its limits, e.g. at most 2000 FAQs). */
function checked(kb: KnowledgeBase): KnowledgeBase {
  const result = knowledgeBaseSchema.safeParse(kb);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw conflict(`the knowledge base would not be valid after this change: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
}

function sameFaq(a: Faq, b: Faq): boolean {
  return itemTag({ kind: 'faq', faq: a }) === itemTag({ kind: 'faq', faq: b });
}

/**
 * The item's entity tag (a quoted strong ETag): a hash of what an editor sees of it. An FAQ's question, answer,
 * category and alternative wordings; a document's title, text and format. Equal content, equal tag, in any tenant.
 * A Markdown document's format is left out of the hash, so it keeps the tag it had before documents had a format.
 */
export function itemTag(source: KnowledgeSource): string {
  const format = source.kind === 'document' ? formatOf(source.document) : 'markdown';
  const content =
    source.kind === 'faq'
      ? ['faq', source.faq.question, source.faq.answer, source.faq.category, source.faq.alternatives ?? []]
      : ['document', source.document.title, source.document.text, ...(format !== 'markdown' ? [format] : [])];
  return `"${createHash('sha256').update(JSON.stringify(content)).digest('base64url').slice(0, 27)}"`;
}

/**
 * An edit's precondition, from its request headers: `ifMatch` lists the tags the item may have (or `*`: it must
 * exist); `ifNoneMatch: '*'` means it must not exist yet (create only).
 */
export interface ItemPrecondition {
  readonly ifMatch?: readonly string[] | '*';
  readonly ifNoneMatch?: '*';
}

const ENTITY_TAG = /^(?:W\/)?"[\x21\x23-\x7e]{1,64}"$/;

/** Parses `If-Match` / `If-None-Match` (RFC 9110: `*` or a list of entity tags); a malformed header is a 400. */
export function preconditionOf(headers: Readonly<Record<string, string>>): ItemPrecondition {
  const header = (name: string): string | undefined => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1]?.trim();
  const ifMatch = header('if-match');
  const ifNoneMatch = header('if-none-match');
  const tags = (name: string, value: string): string[] => {
    const list = value.split(',').map((t) => t.trim()).filter((t) => t.length > 0);
    if (list.length === 0 || list.length > 20 || !list.every((t) => ENTITY_TAG.test(t))) {
      throw new DomainError('bad_request', `${name}: must be * or one or more entity tags as the ETag header gives them, quotes included`, name);
    }
    // Weak comparison is never right for a write: a weak tag matches nothing (RFC 9110, 13.1.1).
    return list;
  };
  if (ifNoneMatch !== undefined && ifNoneMatch !== '*') {
    throw new DomainError('bad_request', 'If-None-Match: only * (create only) is supported on this route', 'If-None-Match');
  }
  if (ifMatch !== undefined && ifNoneMatch !== undefined) throw new DomainError('bad_request', 'If-Match and If-None-Match: give one or the other', 'If-Match');
  return {
    ...(ifMatch !== undefined ? { ifMatch: ifMatch === '*' ? ('*' as const) : tags('If-Match', ifMatch) } : {}),
    ...(ifNoneMatch !== undefined ? { ifNoneMatch: '*' as const } : {}),
  };
}

/**
 * Throws 412 when the item as it is now (its entity tag; undefined: absent) does not meet the precondition. The
 * items here and a whole knowledge base (core/knowledge.ts, tagged by version) follow the same rules.
 */
export function checkPrecondition(precondition: ItemPrecondition | undefined, label: string, currentTag: string | undefined): void {
  if (!precondition) return;
  if (precondition.ifNoneMatch === '*' && currentTag !== undefined) throw preconditionFailed(`${label} already exists: open it to edit it`);
  const { ifMatch } = precondition;
  if (ifMatch === undefined) return;
  if (currentTag === undefined) throw preconditionFailed(`${label} no longer exists: it was deleted meanwhile`);
  if (ifMatch !== '*' && !ifMatch.includes(currentTag)) {
    throw preconditionFailed(`${label} was changed by someone else since you opened it: open it again to see the change`);
  }
}

const tagOf = (source: KnowledgeSource | undefined): string | undefined => (source ? itemTag(source) : undefined);

/**
 * Reads the current knowledge base, computes the new one with `apply`, and
 * writes it; recomputes on a concurrent change (up to ATTEMPTS times, with a random wait between).
 */
async function edit(
  deps: KnowledgeItemDeps,
  tenantId: string,
  kind: 'faq' | 'document',
  sourceId: string,
  passages: readonly EmbeddedPassage[],
  apply: (kb: KnowledgeBase) => KnowledgeBase | 'unchanged',
): Promise<{ version: number; changed: boolean }> {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const current = await deps.store.readKnowledgeBase(tenantId);
    if (!current) throw conflict('there is no knowledge base yet: import one first (PUT /v1/admin/knowledge)');
    const next = apply(current.kb);
    if (next === 'unchanged') {
      await deps.store.sourceUnchanged?.(tenantId, current.version, sourceId);
      return { version: current.version, changed: false };
    }
    const written = await deps.store.replaceSource(tenantId, current.version, { kind, sourceId, kb: checked(next), passages });
    // The store is the source of truth; a search index with its own copy follows it (core/knowledge-indexing.ts).
    if (written !== 'stale') return { version: written.version, changed: true };
    await backoff(attempt);
  }
  throw conflict('the knowledge base kept changing while this edit was saved; try again');
}

function upsert<T extends { id: string }>(items: readonly T[], item: T): T[] {
  return items.some((x) => x.id === item.id) ? items.map((x) => (x.id === item.id ? item : x)) : [...items, item];
}

export interface PutResult<T> {
  readonly item: T;
  readonly created: boolean;
  readonly version: number;
  /** The item's entity tag now (`ETag`), for the next edit's `If-Match`. */
  readonly etag: string;
}

/** Creates or replaces one FAQ. */
export async function putFaq(deps: KnowledgeItemDeps, tenantId: string, faqId: string, body: FaqBody, precondition?: ItemPrecondition): Promise<PutResult<Faq>> {
  const faq: Faq = { id: faqId, ...body };
  const passages = await passagesForSource({ kind: 'faq', faq });
  let created = false;
  const { version } = await edit(deps, tenantId, 'faq', faqId, passages, (kb) => {
    const existing = kb.faqs.find((f) => f.id === faqId);
    checkPrecondition(precondition, `the FAQ "${faqId}"`, tagOf(existing && { kind: 'faq', faq: existing }));
    created = existing === undefined;
    if (existing && sameFaq(existing, faq)) return 'unchanged';
    return { ...kb, faqs: upsert(kb.faqs, faq) };
  });
  return { item: faq, created, version, etag: itemTag({ kind: 'faq', faq }) };
}

export async function deleteFaq(deps: KnowledgeItemDeps, tenantId: string, faqId: string, precondition?: ItemPrecondition): Promise<{ version: number }> {
  return deleteItem(deps, tenantId, 'faq', faqId, `there is no FAQ "${faqId}"`, (kb) => {
    const existing = kb.faqs.find((f) => f.id === faqId);
    if (!existing) return 'absent';
    checkPrecondition(precondition, `the FAQ "${faqId}"`, tagOf({ kind: 'faq', faq: existing }));
    return { ...kb, faqs: kb.faqs.filter((f) => f.id !== faqId) };
  });
}

/**
 * Deletes one item. Deleting one that is not there is a 404, but the search index is still told that source
 * changed (as for a repeated unchanged edit): the retry of a delete whose notice was lost brings the collection
 * back in line instead of leaving the deleted item answerable there.
 */
async function deleteItem(
  deps: KnowledgeItemDeps,
  tenantId: string,
  kind: 'faq' | 'document',
  sourceId: string,
  absentMessage: string,
  apply: (kb: KnowledgeBase) => KnowledgeBase | 'absent',
): Promise<{ version: number; changed: boolean }> {
  let absent = false;
  const result = await edit(deps, tenantId, kind, sourceId, [], (kb) => {
    const next = apply(kb);
    absent = next === 'absent';
    return next === 'absent' ? 'unchanged' : next;
  });
  if (absent) throw notFound(absentMessage);
  return result;
}

/** One FAQ as it is now, with its entity tag (what an edit names in `If-Match`). */
export async function getFaq(deps: KnowledgeItemDeps, tenantId: string, faqId: string): Promise<{ faq: Faq; etag: string }> {
  const faq = (await deps.store.readKnowledgeBase(tenantId))?.kb.faqs.find((f) => f.id === faqId);
  if (!faq) throw notFound(`there is no FAQ "${faqId}"`);
  return { faq, etag: itemTag({ kind: 'faq', faq }) };
}

/** One document as it is now (its text, read from the PDF for a PDF; its format when it has one), with its entity tag. */
export async function getDocument(deps: KnowledgeItemDeps, tenantId: string, documentId: string): Promise<{ document: KbDocument; etag: string }> {
  const document = (await deps.store.readKnowledgeBase(tenantId))?.kb.documents.find((d) => d.id === documentId);
  if (!document) throw notFound(`there is no document "${documentId}"`);
  return { document, etag: itemTag({ kind: 'document', document }) };
}

export interface DocumentSummary {
  readonly id: string;
  readonly title: string;
  readonly format: DocumentBody['format'];
  /** Characters of text stored (for a PDF, of the text read from it). */
  readonly characters: number;
  /** Passages the document was split into. */
  readonly chunks: number;
}

/** The document's text: as given, or read from the PDF. */
async function documentText(pdf: PdfTextExtractor | undefined, body: DocumentBody): Promise<string> {
  if (body.format !== 'pdf') {
    const text = (body.text ?? '').replace(/\r\n?/g, '\n').trim();
    if (text.length === 0) throw new DomainError('bad_request', 'text: must not be empty', 'text');
    if (text.length > MAX_DOCUMENT_CHARS) throw new DomainError('payload_too_large', `text: at most ${MAX_DOCUMENT_CHARS} characters`, 'text');
    return text;
  }
  const bytes = decodePdf(body.pdfBase64 ?? '');
  if (!pdf) throw new Error('putDocument: no PDF text extractor was given');
  const text = (await pdf.extractText(bytes, { maxChars: MAX_DOCUMENT_CHARS })).trim();
  if (text.length === 0) {
    throw new DomainError('bad_request', 'pdfBase64: the PDF has no text to read (a scanned PDF needs OCR first)', 'pdfBase64');
  }
  if (text.length > MAX_DOCUMENT_CHARS) throw new DomainError('payload_too_large', `pdfBase64: the PDF holds more than ${MAX_DOCUMENT_CHARS} characters of text`, 'pdfBase64');
  return text;
}

/**
 * Creates or replaces one document: its text (given, or read from a PDF) is stored with its format and chunked into
 * passages by that format's rules.
 */
export async function putDocument(
  deps: KnowledgeItemDeps,
  tenantId: string,
  documentId: string,
  body: DocumentBody,
  precondition?: ItemPrecondition,
): Promise<PutResult<DocumentSummary>> {
  const document: KbDocument = documentSchema.parse({ id: documentId, title: body.title, format: body.format, text: await documentText(deps.pdf, body) });
  const passages = await passagesForSource({ kind: 'document', document });
  let created = false;
  const { version } = await edit(deps, tenantId, 'document', documentId, passages, (kb) => {
    const existing = kb.documents.find((d) => d.id === documentId);
    checkPrecondition(precondition, `the document "${documentId}"`, tagOf(existing && { kind: 'document', document: existing }));
    created = existing === undefined;
    if (existing && existing.title === document.title && formatOf(existing) === formatOf(document) && existing.text === document.text) return 'unchanged';
    return { ...kb, documents: upsert(kb.documents, document) };
  });
  return {
    item: { id: documentId, title: document.title, format: body.format, characters: document.text.length, chunks: passages.length },
    created,
    version,
    etag: itemTag({ kind: 'document', document }),
  };
}

export async function deleteDocument(deps: KnowledgeItemDeps, tenantId: string, documentId: string, precondition?: ItemPrecondition): Promise<{ version: number }> {
  return deleteItem(deps, tenantId, 'document', documentId, `there is no document "${documentId}"`, (kb) => {
    const existing = kb.documents.find((d) => d.id === documentId);
    if (!existing) return 'absent';
    checkPrecondition(precondition, `the document "${documentId}"`, tagOf({ kind: 'document', document: existing }));
    return { ...kb, documents: kb.documents.filter((d) => d.id !== documentId) };
  });
}

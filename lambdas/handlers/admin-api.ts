/** Staff REST routes: who am I, conversations, knowledge base. Tenant always from the token. */
import { z } from 'zod';
import { answerDeps, identityStore, knowledgeIndexingDeps, knowledgeStore, store } from '../adapters/container';
import { listCustomerConversations } from '../core/channels/identity';
import { answerQuestion } from '../core/answer/concierge';
import { notFound, unauthorized } from '../core/errors';
import { PdfJsTextExtractor } from '../adapters/documents/pdf-text';
import { importKnowledgeBase, knowledgeBaseTag } from '../core/knowledge';
import { indexingStatus } from '../core/knowledge-indexing';
import * as items from '../core/knowledge-items';
import { knowledgeBaseSchema } from '../core/knowledge-base';
import type { ConversationRecord } from '../core/ports';
import { restApi, type RestRequest, type StaffCaller } from './lib/rest';
import { auditFields } from '../core/audit';

function callerOf(request: RestRequest): StaffCaller {
  if (!request.caller) throw unauthorized('sign in to use this route');
  return request.caller;
}

function summary(c: ConversationRecord) {
  return {
    conversationId: c.conversationId,
    channel: c.channel,
    mode: c.mode,
    createdAt: c.createdAt,
    lastMessageAt: c.lastMessageAt,
    lastMessagePreview: c.lastMessagePreview,
    messageCount: c.messageCount,
    customerLabel: `Visitor ${c.visitorId.slice(0, 6)}`,
  };
}

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(2000).optional(),
});
const conversationPath = z.object({ conversationId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be a conversation id') });
const faqPath = z.object({ faqId: items.itemIdSchema });
const documentPath = z.object({ documentId: items.itemIdSchema });
/** Reads PDFs in-process; pdf.js itself loads on the first PDF. */
const pdfText = new PdfJsTextExtractor();
const testBody = z.strictObject({ question: z.string().trim().min(1).max(1000), lang: z.enum(['en', 'es']).optional() });

export const handler = restApi('adminApi', {
  getMe: async (request) => {
    const caller = callerOf(request);
    const profile = await store().getProfile(caller.tenantId);
    if (!profile) throw notFound('your tenant has no profile yet');
    return { body: { email: caller.email, tenantId: caller.tenantId, groups: caller.groups, business: { name: profile.name, slug: profile.slug } } };
  },
  listConversations: async (request) => {
    const caller = callerOf(request);
    const query = listQuery.parse(request.query);
    const page = await store().listConversations(caller.tenantId, query.limit, query.cursor);
    return { body: { items: page.items.map(summary), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) } };
  },
  listRelatedConversations: async (request) => {
    const caller = callerOf(request);
    const { conversationId } = conversationPath.parse(request.path);
    // Another tenant's conversation id is unknown here: the tenant is the token's.
    if (!(await store().getConversation(caller.tenantId, conversationId))) throw notFound('no such conversation');
    const customer = await listCustomerConversations({ identities: identityStore(), conversations: store() }, caller.tenantId, conversationId, 21);
    const items = customer.conversations
      .filter((c) => c.conversationId !== conversationId)
      .slice(0, 20)
      .map((c) => ({ conversationId: c.conversationId, channel: c.channel, mode: c.mode, createdAt: c.createdAt, lastMessageAt: c.lastMessageAt, preview: c.lastMessagePreview }));
    return { body: { items } };
  },
  getConversation: async (request) => {
    const caller = callerOf(request);
    const { conversationId } = conversationPath.parse(request.path);
    const conversation = await store().getConversation(caller.tenantId, conversationId);
    if (!conversation) throw notFound('no such conversation');
    const messages = await store().listMessages(caller.tenantId, conversationId, 0, 1000);
    return { body: { conversation: summary(conversation), messages } };
  },
  getKnowledgeBase: async (request) => {
    const caller = callerOf(request);
    const current = await knowledgeStore().readKnowledgeBase(caller.tenantId);
    if (!current) throw notFound('no knowledge base has been imported yet');
    // The version as an entity tag: an import that sends it back as If-Match applies only if nothing changed since.
    return { body: current.kb, headers: { etag: knowledgeBaseTag(current.version) } };
  },
  getKnowledgeStatus: async (request) => {
    const caller = callerOf(request);
    return { body: await indexingStatus(await knowledgeIndexingDeps(), caller.tenantId) };
  },
  importKnowledgeBase: async (request) => {
    const caller = callerOf(request);
    const kb = knowledgeBaseSchema.parse(request.body);
    const precondition = items.preconditionOf(request.headers);
    const { version, ...imported } = await importKnowledgeBase(knowledgeStore(), caller.tenantId, kb, { precondition });
    return { body: { imported }, headers: { etag: knowledgeBaseTag(version) }, audit: { after: { faqs: kb.faqs.length, documents: kb.documents.length, services: kb.services.length, staff: kb.staff.length } } };
  },
  testQuestion: async (request) => {
    const caller = callerOf(request);
    const body = testBody.parse(request.body);
    const profile = await store().getProfile(caller.tenantId);
    if (!profile) throw notFound('your tenant has no profile yet');
    const answer = await answerQuestion(answerDeps(), {
      tenantId: caller.tenantId,
      businessName: profile.name,
      question: body.question,
      kbVersion: profile.kbVersion,
      ...(body.lang ? { langHint: body.lang } : {}),
    });
    return { body: { answer: { text: answer.text, answered: answer.answered, confidence: answer.confidence, sources: answer.sources } }, audit: false };
  },
  getFaq: async (request) => {
    const caller = callerOf(request);
    const { faqId } = faqPath.parse(request.path);
    const { faq, etag } = await items.getFaq({ store: knowledgeStore() }, caller.tenantId, faqId);
    return { body: { faq, etag }, headers: { etag } };
  },
  putFaq: async (request) => {
    const caller = callerOf(request);
    const { faqId } = faqPath.parse(request.path);
    const body = items.faqBodySchema.parse(request.body);
    const precondition = items.preconditionOf(request.headers);
    const before = (await store().getKnowledgeBase(caller.tenantId))?.faqs.find((f) => f.id === faqId);
    const result = await items.putFaq({ store: knowledgeStore() }, caller.tenantId, faqId, body, precondition);
    const audit = { before: auditFields(before, ['question', 'category']), after: auditFields(result.item, ['question', 'category']) };
    return {
      status: result.created ? 201 : 200,
      body: { faq: result.item, created: result.created, kbVersion: result.version, etag: result.etag },
      headers: { etag: result.etag },
      audit,
    };
  },
  deleteFaq: async (request) => {
    const caller = callerOf(request);
    const { faqId } = faqPath.parse(request.path);
    const precondition = items.preconditionOf(request.headers);
    const before = (await store().getKnowledgeBase(caller.tenantId))?.faqs.find((f) => f.id === faqId);
    const { version } = await items.deleteFaq({ store: knowledgeStore() }, caller.tenantId, faqId, precondition);
    return { body: { deleted: { kind: 'faq', id: faqId }, kbVersion: version }, audit: { before: auditFields(before, ['question', 'category']) } };
  },
  getDocument: async (request) => {
    const caller = callerOf(request);
    const { documentId } = documentPath.parse(request.path);
    const { document, etag } = await items.getDocument({ store: knowledgeStore() }, caller.tenantId, documentId);
    return { body: { document, etag }, headers: { etag } };
  },
  putDocument: async (request) => {
    const caller = callerOf(request);
    const { documentId } = documentPath.parse(request.path);
    const body = items.documentBodySchema.parse(request.body);
    const precondition = items.preconditionOf(request.headers);
    const result = await items.putDocument({ store: knowledgeStore(), pdf: pdfText }, caller.tenantId, documentId, body, precondition);
    const audit = { after: auditFields(result.item, ['title', 'format', 'characters', 'chunks']) };
    return {
      status: result.created ? 201 : 200,
      body: { document: result.item, created: result.created, kbVersion: result.version, etag: result.etag },
      headers: { etag: result.etag },
      audit,
    };
  },
  deleteDocument: async (request) => {
    const caller = callerOf(request);
    const { documentId } = documentPath.parse(request.path);
    const precondition = items.preconditionOf(request.headers);
    const { version } = await items.deleteDocument({ store: knowledgeStore() }, caller.tenantId, documentId, precondition);
    return { body: { deleted: { kind: 'document', id: documentId }, kbVersion: version } };
  },
});

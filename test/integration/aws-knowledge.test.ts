/**
 * The AWS knowledge path, wired by the composition root exactly as a deployed stack configures it
 * (VECTOR_STORE=opensearch-serverless, OPENSEARCH_ENDPOINT, EMBEDDING_MODEL_ID), in the local cloud: the real
 * handlers, DynamoDB Local and local Cognito, with a local fake OpenSearch Serverless collection
 * (test/support/fake-opensearch.ts) and a local fake Bedrock speaking Titan Text Embeddings v2
 * (test/support/fake-bedrock-embeddings.ts) at the HTTP boundary. The demo seed, an admin import and an FAQ
 * edit embed their passages once through Bedrock and write them to the table; `knowledge.changed` has the
 * knowledge indexer (its own function, on the local bus) write them to the collection's index; the concierge
 * searches the collection, filtered to the asking tenant.
 */
import { z } from 'zod';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { store } from '../../lambdas/adapters/container';
import { DEFAULT_OPENSEARCH_INDEX } from '../../lambdas/adapters/knowledge/opensearch-knowledge';
import { startFakeBedrockEmbeddings, type FakeBedrockEmbeddings } from '../support/fake-bedrock-embeddings';
import { startFakeOpenSearch, type FakeOpenSearch } from '../support/fake-opensearch';
import { api, signIn, testQuestion, type TestAnswer } from '../support/staff';

const INDEX = DEFAULT_OPENSEARCH_INDEX;
const MODEL = 'amazon.titan-embed-text-v2:0';
let cloud: LocalCloud;
let search: FakeOpenSearch;
let bedrock: FakeBedrockEmbeddings;
let admin: string;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const reply = await api(cloud, method, path, admin, body);
  return { status: reply.status, body: z.record(z.string(), z.unknown()).parse(reply.body ?? {}) };
}

const ask = (question: string): Promise<TestAnswer> => testQuestion(cloud, admin, question);

/** The collection's documents of one tenant, by passage id (a passage replaced by an edit keeps one document). */
function indexed(tenantId: string): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const doc of search.documents(INDEX).values()) {
    if (doc['tenantId'] === tenantId) out.set(String(doc['passageId']), doc);
  }
  return out;
}

const searchesOf = (tenantId: string) =>
  search.requests.filter((r) => r.method === 'POST' && r.path === `/${INDEX}/_search` && JSON.stringify(r.body).includes(`{"term":{"tenantId":"${tenantId}"}}`));

beforeAll(async () => {
  [search, bedrock] = await Promise.all([startFakeOpenSearch(), startFakeBedrockEmbeddings()]);
  // What the stack sets on the functions (lib/concierge-stack.ts, lib/constructs/grants.ts), pointed at the fakes.
  process.env['VECTOR_STORE'] = 'opensearch-serverless';
  process.env['OPENSEARCH_ENDPOINT'] = search.endpoint;
  process.env['EMBEDDING_MODEL_ID'] = MODEL;
  process.env['AWS_ENDPOINT_URL_BEDROCK_RUNTIME'] = bedrock.endpoint;
  cloud = await startLocalCloud({ quiet: true });
  admin = await signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
}, 240_000);

afterAll(async () => {
  await cloud?.stop();
  await Promise.all([search?.close(), bedrock?.close()]);
});

describe('VECTOR_STORE=opensearch-serverless in the local cloud', () => {
  it('seeds the demo knowledge base into the collection, embedded once by Titan, and keeps the vectors in the table', async () => {
    const { passages } = await store().listPassages(cloud.demo.tenantId);
    expect(passages.length).toBeGreaterThan(40);
    // The table (the source of truth) holds each passage with its Titan vector.
    for (const p of passages) {
      expect(p.embedding?.model).toBe(`${MODEL}/512#title+body`);
      expect(p.embedding?.vector).toHaveLength(512);
    }
    // The collection holds the same passages for this tenant, created once with a 512-dimension knn_vector.
    const docs = indexed(cloud.demo.tenantId);
    expect([...docs.keys()].sort()).toEqual(passages.map((p) => p.id).sort());
    const creates = search.requests.filter((r) => r.method === 'PUT' && r.path === `/${INDEX}`);
    expect(creates).toHaveLength(1);
    expect(JSON.stringify(creates[0]?.body)).toContain('"dimension":512');
    // Bedrock was asked by model id, signed with SigV4 (two texts per passage: its title, and title with body).
    expect(new Set(bedrock.requests.map((r) => r.modelId))).toEqual(new Set([MODEL]));
    expect(bedrock.requests.length).toBeGreaterThanOrEqual(passages.length * 2);
    for (const r of bedrock.requests) expect(String(r.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 .*\/bedrock\/aws4_request/);
  });

  it('answers from the collection, searching only the asking tenant’s documents', async () => {
    const before = searchesOf(cloud.demo.tenantId).length;
    const answer = await ask('Do you have parking?');
    expect(answer.answered).toBe(true);
    expect(answer.sources[0]).toEqual({ id: 'parking', kind: 'faq' });
    expect(answer.text).toContain('car park');
    expect(searchesOf(cloud.demo.tenantId).length).toBeGreaterThan(before);
    // Every search the concierge sent was filtered to a tenant.
    for (const r of search.requests.filter((q) => q.path === `/${INDEX}/_search`)) expect(JSON.stringify(r.body)).toMatch(/\{"term":\{"tenantId":"[^"]+"\}\}/);
  });

  it('re-indexes just the edited FAQ, and the next answer reads the new text', async () => {
    const before = indexed(cloud.demo.tenantId);
    const embedsBefore = bedrock.requests.length;
    const edited = await call('PUT', '/v1/admin/knowledge/faqs/parking', {
      question: 'Do you have parking?',
      answer: 'Yes: eight free patient spaces behind the building, entered from Pier Lane.',
      category: 'Location & transport',
    });
    expect(edited.status).toBe(200);
    await cloud.settle();
    // One passage embedded (its title, and title with body), one document replaced; the others untouched.
    expect(bedrock.requests.length - embedsBefore).toBe(2);
    const after = indexed(cloud.demo.tenantId);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    expect(String(after.get('parking')?.['text'])).toContain('eight free patient spaces');
    for (const [id, doc] of after) if (id !== 'parking') expect(doc).toEqual(before.get(id));

    const answer = await ask('Do you have parking?');
    expect(answer.sources[0]).toEqual({ id: 'parking', kind: 'faq' });
    expect(answer.text).toContain('eight free patient spaces');
  });

  it('imports a whole knowledge base through the admin API into the collection, replacing the tenant’s documents', async () => {
    const current = await call('GET', '/v1/admin/knowledge');
    expect(current.status).toBe(200);
    const kb = current.body as { faqs: { id: string; question: string; answer: string }[]; documents: unknown[] };
    const imported = await call('PUT', '/v1/admin/knowledge', {
      ...kb,
      faqs: [...kb.faqs.filter((f) => f.id !== 'wifi'), { id: 'umbrellas', question: 'Can I borrow an umbrella?', answer: 'Yes, there is a stand of loan umbrellas by the door.', category: 'Visiting' }],
    });
    expect(imported.body['error']).toBeUndefined();
    expect(imported.status).toBe(200);
    await cloud.settle();
    // Written to the collection by the indexer, which recorded it: the status says so.
    const status = await call('GET', '/v1/admin/knowledge/status');
    expect(status.body).toEqual({ version: expect.any(Number), passages: expect.any(Number), withVectors: status.body['passages'], state: 'ready' });
    const docs = indexed(cloud.demo.tenantId);
    expect(docs.has('umbrellas')).toBe(true);
    expect(docs.has('wifi')).toBe(false);
    const { passages } = await store().listPassages(cloud.demo.tenantId);
    expect([...docs.keys()].sort()).toEqual(passages.map((p) => p.id).sort());
    const answer = await ask('Can I borrow an umbrella?');
    expect(answer.sources[0]).toEqual({ id: 'umbrellas', kind: 'faq' });
  });
});

/**
 * The OpenSearch Serverless knowledge index against a local fake collection
 * (test/support/fake-opensearch.ts) and Titan embeddings from a local fake
 * Bedrock (test/support/fake-bedrock-embeddings.ts): the whole AWS path with
 * the real clients — SigV4-signed requests, the tenant filter on every query,
 * the KnowledgeIndex contract — and the same ranking as the embedded index.
 */
import { embedPassages } from '../../lambdas/core/answer/hybrid';
import type { Passage } from '../../lambdas/core/answer/passages';
import { TitanEmbedder } from '../../lambdas/adapters/embeddings/titan';
import { EmbeddedKnowledgeIndex } from '../../lambdas/adapters/knowledge/embedded-index';
import { EmbeddingKnowledgeStore } from '../../lambdas/adapters/knowledge/embedding-store';
import { indexDefinition, openSearchClient, OpenSearchKnowledgeIndex } from '../../lambdas/adapters/knowledge/opensearch-index';
import { startFakeBedrockEmbeddings, type FakeBedrockEmbeddings } from '../support/fake-bedrock-embeddings';
import { startFakeOpenSearch, type FakeOpenSearch } from '../support/fake-opensearch';
import { MemoryKnowledgeStore } from '../support/memory-knowledge-store';
import { demoPassages, knowledgeIndexContract } from './knowledge-index.contract';
import { knowledgeBaseSchema } from '../../lambdas/core/knowledge-base';
import { indexKnowledge, type KnowledgeChange } from '../../lambdas/core/knowledge-indexing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const INDEX = 'concierge-passages-test';
let search: FakeOpenSearch;
let bedrock: FakeBedrockEmbeddings;
let embedder: TitanEmbedder;
let index: OpenSearchKnowledgeIndex;

beforeAll(async () => {
  [search, bedrock] = await Promise.all([startFakeOpenSearch(), startFakeBedrockEmbeddings()]);
  embedder = new TitanEmbedder({ endpoint: bedrock.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, dimensions: 256 });
  const client = openSearchClient({ endpoint: search.endpoint, region: 'us-east-1', getCredentials: async () => ({ accessKeyId: 'local', secretAccessKey: 'local' }) });
  index = new OpenSearchKnowledgeIndex({ client, indexName: INDEX, embedder });
});

afterAll(async () => {
  await Promise.all([search?.close(), bedrock?.close()]);
});

knowledgeIndexContract('OpenSearch Serverless (fake collection, Titan via fake Bedrock)', () => ({
  index,
  upsert: (tenantId, passages) => index.upsert(tenantId, passages),
  remove: (tenantId, ids) => index.remove(tenantId, ids),
}));

describe('OpenSearch knowledge index', () => {
  it('creates the index once, with a faiss HNSW cosine knn_vector of the embedder’s dimensions', () => {
    const creates = search.requests.filter((r) => r.method === 'PUT');
    expect(creates).toHaveLength(1);
    expect(creates[0]?.path).toBe(`/${INDEX}`);
    expect(creates[0]?.body).toEqual(indexDefinition(256));
    expect(indexDefinition(256)).toMatchObject({
      settings: { index: { knn: true } },
      mappings: { properties: { tenantId: { type: 'keyword' }, embedding: { type: 'knn_vector', dimension: 256, method: { name: 'hnsw', engine: 'faiss', space_type: 'cosinesimil' } } } },
    });
  });

  it('signs every request with SigV4 for the aoss service', () => {
    expect(search.requests.length).toBeGreaterThan(0);
    for (const r of search.requests) expect(String(r.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/us-east-1\/aoss\/aws4_request/);
  });

  it('filters every search on the tenant, inside the k-NN search too', () => {
    const searches = search.requests.filter((r) => r.path.endsWith('/_search'));
    expect(searches.length).toBeGreaterThan(10);
    for (const r of searches) {
      const body = JSON.stringify(r.body);
      expect(body).toMatch(/"bool":\{"filter":\[\{"term":\{"tenantId":"t[0-9a-f]{10}"\}\}/);
      if (body.includes('"knn"')) expect(body).toMatch(/"knn":\{"embedding":\{"vector":\[[^\]]+\],"k":\d+,"filter":\{"term":\{"tenantId":"t[0-9a-f]{10}"\}\}\}\}/);
    }
  });

  it('makes a tenant’s passages exactly the imported ones (replaceAll), and one source’s (replaceSource)', async () => {
    await index.replaceAll('acme', demoPassages);
    await index.replaceAll('other', demoPassages.slice(0, 3));
    await index.replaceAll('acme', demoPassages.filter((p) => p.id !== 'wifi'));
    const docs = [...search.documents(INDEX).values()].filter((d) => d['tenantId'] === 'acme');
    expect(docs).toHaveLength(demoPassages.length - 1);
    expect(docs.some((d) => d['passageId'] === 'wifi')).toBe(false);
    expect([...search.documents(INDEX).values()].filter((d) => d['tenantId'] === 'other')).toHaveLength(3);

    const guideChunks = demoPassages.filter((p) => p.sourceId === 'new-patient-guide');
    const shorter: Passage[] = [{ id: 'new-patient-guide#1', kind: 'document', title: 'New patient guide', text: 'Bring photo ID.', sourceId: 'new-patient-guide' }];
    await index.replaceSource('acme', 'new-patient-guide', shorter);
    const guide = [...search.documents(INDEX).values()].filter((d) => d['tenantId'] === 'acme' && d['sourceId'] === 'new-patient-guide');
    expect(guideChunks.length).toBeGreaterThan(1);
    expect(guide.map((d) => d['text'])).toEqual(['Bring photo ID.']);
  });

  it('ranks like the embedded index given the same passages and embedder', async () => {
    const store = new MemoryKnowledgeStore();
    await store.upsert('twin', await embedPassages(embedder, demoPassages));
    await index.replaceAll('twin', (await store.listPassages('twin')).passages);
    const embedded = new EmbeddedKnowledgeIndex(store, { embedder });
    for (const q of ['do you have parking?', 'how much does whitening cost', 'what should I bring to my first appointment', 'are you open on saturday', 'cancel my appointment']) {
      const [a, b] = await Promise.all([index.search('twin', q, 5), embedded.search('twin', q, 5)]);
      expect(a.map((h) => h.passage.id)).toEqual(b.map((h) => h.passage.id));
      a.forEach((h, i) => {
        expect(h.score).toBeCloseTo(b[i]?.score ?? NaN, 5);
        expect(h.coverage).toBeCloseTo(b[i]?.coverage ?? NaN, 5);
        expect(h.similarity).toBeCloseTo(b[i]?.similarity ?? NaN, 5);
      });
    }
  });

  it('searches lexically when the question cannot be embedded', async () => {
    const client = openSearchClient({ endpoint: search.endpoint, region: 'us-east-1', getCredentials: async () => ({ accessKeyId: 'local', secretAccessKey: 'local' }) });
    const degraded = jest.fn();
    const lexical = new OpenSearchKnowledgeIndex({ client, indexName: INDEX, embedder, onDegraded: degraded });
    await lexical.replaceAll('down', demoPassages);
    bedrock.script({ kind: 'error', status: 403, errorType: 'AccessDeniedException' });
    const hits = await lexical.search('down', 'do you have parking?', 3);
    expect(hits[0]?.passage.id).toBe('parking');
    expect(hits[0]?.similarity).toBeUndefined();
    expect(degraded).toHaveBeenCalledTimes(1);
  });

  it('returns [] before the index exists', async () => {
    const client = openSearchClient({ endpoint: search.endpoint, region: 'us-east-1', getCredentials: async () => ({ accessKeyId: 'local', secretAccessKey: 'local' }) });
    const fresh = new OpenSearchKnowledgeIndex({ client, indexName: 'never-created', embedder });
    expect(await fresh.search('acme', 'parking', 5)).toEqual([]);
  });
});

describe('the import path: embedding knowledge store, then the knowledge indexer', () => {
  const kb = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '../../local-cloud/seed/demo-kb.json'), 'utf8')));

  it('embeds passages once, stores the vectors with them, reports the change, and the indexer writes them to the index', async () => {
    const store = new MemoryKnowledgeStore();
    const changes: KnowledgeChange[] = [];
    const writing = new EmbeddingKnowledgeStore(store, embedder, { onChanged: async (c) => void changes.push(c) });
    const before = bedrock.requests.length;
    const version = await writing.replaceKnowledgeBase('imported', kb, demoPassages);
    // Two texts per passage (title; title and body), nothing more for the indexer.
    expect(bedrock.requests.length - before).toBe(2 * demoPassages.length);
    const { passages } = await store.listPassages('imported');
    expect(passages.every((p) => p.embedding?.vector.length === 256)).toBe(true);
    expect(changes).toEqual([{ tenantId: 'imported', version }]);
    expect(await index.search('imported', 'do you have parking?', 1)).toEqual([]);
    const searched = bedrock.requests.length;
    const indexed = await indexKnowledge({ store, embedder, index }, { tenantId: 'imported', version });
    expect(indexed).toEqual({ version, passages: demoPassages.length, embedded: 0, kept: 0, indexed: demoPassages.length, rounds: 1 });
    expect(bedrock.requests.length).toBe(searched);
    expect((await index.search('imported', 'do you have parking?', 1))[0]?.passage.id).toBe('parking');

    const edited: Passage = { id: 'parking', kind: 'faq', title: 'Do you have parking?', text: 'Park at the Pavilion, level 2.', sourceId: 'parking' };
    const result = await writing.replaceSource('imported', version, { kind: 'faq', sourceId: 'parking', kb, passages: [edited] });
    if (result === 'stale') throw new Error('the edit found the knowledge base changed');
    expect(changes.at(-1)).toEqual({ tenantId: 'imported', version: result.version, sourceId: 'parking' });
    await indexKnowledge({ store, embedder, index }, { tenantId: 'imported', version: result.version, sourceId: 'parking' });
    expect((await index.search('imported', 'do you have parking?', 1))[0]?.passage.text).toBe('Park at the Pavilion, level 2.');
    expect((await store.listPassages('imported')).passages.find((p) => p.id === 'parking')?.embedding?.vector.length).toBe(256);
  });

  it('stores passages without vectors when embedding fails; the indexer embeds them, keeps them and writes the index', async () => {
    const store = new MemoryKnowledgeStore();
    const failed = jest.fn();
    const broken = new TitanEmbedder({ endpoint: bedrock.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, dimensions: 256 });
    jest.spyOn(broken, 'embed').mockRejectedValue(new Error('Bedrock is down'));
    const version = await new EmbeddingKnowledgeStore(store, broken, { onEmbeddingFailed: failed }).replaceKnowledgeBase('plain', kb, demoPassages);
    expect(failed).toHaveBeenCalledTimes(1);
    expect((await store.listPassages('plain')).passages.some((p) => p.embedding)).toBe(false);
    // Still down when the indexer runs: it throws (EventBridge retries the event) and writes nothing.
    await expect(indexKnowledge({ store, embedder: broken, index }, { tenantId: 'plain', version })).rejects.toThrow('Bedrock is down');
    expect(await index.search('plain', 'do you have parking?', 1)).toEqual([]);
    // Back: everything is embedded a batch at a time, kept in the store and indexed.
    const result = await indexKnowledge({ store, embedder, index, batchSize: 16 }, { tenantId: 'plain', version });
    expect(result).toEqual({ version, passages: demoPassages.length, embedded: demoPassages.length, kept: demoPassages.length, indexed: demoPassages.length, rounds: 1 });
    expect((await store.listPassages('plain')).passages.every((p) => p.embedding?.vector.length === 256)).toBe(true);
    expect((await index.search('plain', 'do you have parking?', 1))[0]?.passage.id).toBe('parking');
  });
});

/**
 * Passage vectors in DynamoDB (Amazon's DynamoDB Local): the import path
 * (EmbeddingKnowledgeStore over DynamoStore) stores each passage's embedding
 * beside it as a compact float32 binary attribute, admin edits too, and the
 * embedded index loads them without embedding a single passage again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { ensureTable, startDynamoDbLocal, type DynamoDbLocalHandle } from '../../local-cloud/dynamodb-local';
import { DynamoStore } from '../../lambdas/adapters/dynamo/store';
import { keys } from '../../lambdas/adapters/dynamo/keys';
import { EmbeddedKnowledgeIndex } from '../../lambdas/adapters/knowledge/embedded-index';
import { EmbeddingKnowledgeStore } from '../../lambdas/adapters/knowledge/embedding-store';
import { embedPassages, passageEmbeddingModel } from '../../lambdas/core/answer/hybrid';
import { passagesOf, provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema } from '../../lambdas/core/knowledge-base';
import { putFaq } from '../../lambdas/core/knowledge-items';
import type { Embedder } from '../../lambdas/core/ports';
import { hashedEmbedding } from '../support/fake-bedrock-embeddings';

const TABLE = 'store-vectors-test';
const kb = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '../../local-cloud/seed/demo-kb.json'), 'utf8')));

/** A fast deterministic embedder (hashed bag of words) that counts the texts it embeds. */
class HashEmbedder implements Embedder {
  readonly model = 'hash-64';
  readonly dimensions = 64;
  texts = 0;
  async embed(texts: readonly string[]): Promise<number[][]> {
    this.texts += texts.length;
    return texts.map((t) => hashedEmbedding(t, this.dimensions));
  }
}

let ddb: DynamoDbLocalHandle;
let db: DynamoDBDocumentClient;
let store: DynamoStore;

beforeAll(async () => {
  ddb = await startDynamoDbLocal({ port: 0 });
  const client = new DynamoDBClient({ endpoint: ddb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await ensureTable(client, TABLE);
  db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  store = new DynamoStore(db, TABLE, { now: () => new Date() });
});

afterAll(async () => {
  db?.destroy();
  await ddb?.stop();
});

describe('passage vectors in DynamoDB', () => {
  it('are stored by the import as float32 bytes beside each passage and read back bit for bit', async () => {
    const embedder = new HashEmbedder();
    const writing = new EmbeddingKnowledgeStore(store, embedder);
    await provisionTenant(writing, { tenantId: 'vectors', widgetKey: `wk_vectors_${'a'.repeat(24)}`, allowedOrigins: ['https://clinic.example'], kb });
    const expected = await embedPassages(new HashEmbedder(), passagesOf(kb));

    const { passages } = await store.listPassages('vectors');
    expect(passages).toHaveLength(expected.length);
    for (const p of passages) {
      const want = expected.find((e) => e.id === p.id);
      expect(p.embedding?.model).toBe(passageEmbeddingModel(embedder));
      expect(Array.from(p.embedding?.vector ?? [])).toEqual(Array.from(want?.embedding?.vector ?? [1]));
    }

    const profile = await store.getProfile('vectors');
    const items = await db.send(
      new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.kbPartition('vectors', profile?.kbVersion ?? 0) } }),
    );
    const parking = items.Items?.find((i) => i['id'] === 'parking');
    expect(z.instanceof(Uint8Array).parse(parking?.['vec']).byteLength).toBe(64 * 4);
    expect(parking?.['vecModel']).toBe('hash-64#title+body');
    expect(Object.keys(parking ?? {}).sort()).toEqual(['id', 'kind', 'pk', 'sk', 'sourceId', 'text', 'title', 'vec', 'vecModel']);
  });

  it('are replaced with an admin edit of one FAQ', async () => {
    const embedder = new HashEmbedder();
    const writing = new EmbeddingKnowledgeStore(store, embedder);
    const current = await writing.readKnowledgeBase('vectors');
    const edited = { id: 'parking', kind: 'faq' as const, title: 'Do you have parking?', text: 'Park at the Pavilion, level 2.', sourceId: 'parking' };
    expect(await writing.replaceSource('vectors', current?.version ?? 0, { kind: 'faq', sourceId: 'parking', kb, passages: [edited] })).not.toBe('stale');
    const stored = (await store.listPassages('vectors')).passages.find((p) => p.id === 'parking');
    const [want] = await embedPassages(new HashEmbedder(), [edited]);
    expect(stored?.text).toBe(edited.text);
    expect(Array.from(stored?.embedding?.vector ?? [])).toEqual(Array.from(want?.embedding?.vector ?? [1]));
    expect(embedder.texts).toBe(2);
  });

  it('are made once for an edit retried because another edit landed first (it was embedded, and paid for, on every attempt)', async () => {
    const embedder = new HashEmbedder();
    const writing = new EmbeddingKnowledgeStore(store, embedder);
    const current = await writing.readKnowledgeBase('vectors');
    const edited = { id: 'parking', kind: 'faq' as const, title: 'Do you have parking?', text: 'Park at the Pavilion, level 3.', sourceId: 'parking' };
    // The first attempt names a version that is no longer current (another edit landed), the retry the current one.
    expect(await writing.replaceSource('vectors', (current?.version ?? 0) - 1, { kind: 'faq', sourceId: 'parking', kb, passages: [edited] })).toBe('stale');
    expect(await writing.replaceSource('vectors', current?.version ?? 0, { kind: 'faq', sourceId: 'parking', kb, passages: [edited] })).not.toBe('stale');
    expect(embedder.texts).toBe(2); // one passage's texts, once (was 4)
    expect((await store.listPassages('vectors')).passages.find((p) => p.id === 'parking')?.embedding?.model).toBe(passageEmbeddingModel(embedder));
    // The same passage with alternative wordings added is another passage: kept whole, and embedded afresh.
    const worded = { ...edited, phrasings: ['Where do I leave the car?'] };
    const now = await writing.readKnowledgeBase('vectors');
    expect(await writing.replaceSource('vectors', now?.version ?? 0, { kind: 'faq', sourceId: 'parking', kb, passages: [worded] })).not.toBe('stale');
    expect((await store.listPassages('vectors')).passages.find((p) => p.id === 'parking')?.phrasings).toEqual(['Where do I leave the car?']);
    expect(embedder.texts).toBeGreaterThan(2);
  });

  it('are made within a time budget: the rest are stored without vectors and the embedded index makes them when it loads', async () => {
    // A clock that moves 10 ms per embedding call, and a 25 ms budget: three batches of 10 passages.
    let clock = 0;
    const embedder = new HashEmbedder();
    const slow: Embedder = { model: embedder.model, dimensions: embedder.dimensions, embed: async (texts) => ((clock += 10), embedder.embed(texts)) };
    const writing = new EmbeddingKnowledgeStore(store, slow, { embedBudgetMs: 25, batchSize: 10, now: () => clock });
    await provisionTenant(writing, { tenantId: 'budget', widgetKey: `wk_budget_${'b'.repeat(24)}`, allowedOrigins: ['https://clinic.example'], kb });
    const { passages } = await store.listPassages('budget');
    const withVectors = passages.filter((p) => p.embedding);
    expect(passages.length).toBeGreaterThan(40);
    expect(withVectors).toHaveLength(30);
    expect(embedder.texts).toBe(60);
    // Every passage is there, and search finds one that was stored without a vector, with its vector made at load.
    expect(passages.map((p) => p.id).sort()).toEqual(passagesOf(kb).map((p) => p.id).sort());
    const late = passages.find((p) => !p.embedding && p.kind === 'faq');
    expect(late).toBeDefined();
    const reader = new HashEmbedder();
    const index = new EmbeddedKnowledgeIndex(store, { embedder: reader, embedMissing: 'blocking' });
    const hits = await index.search('budget', late?.title ?? '', 1);
    expect(hits[0]?.passage.id).toBe(late?.id);
    expect(hits[0]?.similarity).toBeGreaterThan(0.5);
    expect(reader.texts).toBe(2 * (passages.length - 30) + 1);

    // The vectors the index made are kept beside their passages: the next container embeds the question only.
    await index.settled('budget');
    const after = await store.listPassages('budget');
    expect(after.passages.filter((p) => !p.embedding)).toEqual([]);
    expect(after.passages.find((p) => p.id === late?.id)?.embedding?.model).toBe(passageEmbeddingModel(reader));
    const nextContainer = new HashEmbedder();
    await new EmbeddedKnowledgeIndex(store, { embedder: nextContainer }).search('budget', late?.title ?? '', 1);
    expect(nextContainer.texts).toBe(1);
  });

  it('made later are kept only onto a current passage with the same text and no vector of that model', async () => {
    const embedder = new HashEmbedder();
    const writing = new EmbeddingKnowledgeStore(store, embedder, { embedBudgetMs: 0 });
    await provisionTenant(writing, { tenantId: 'keep', widgetKey: `wk_keep_${'c'.repeat(24)}`, allowedOrigins: ['https://clinic.example'], kb });
    const { passages } = await store.listPassages('keep');
    expect(passages.every((p) => p.embedding === undefined)).toBe(true);
    const made = await embedPassages(embedder, passages.filter((p) => p.id === 'parking' || p.id === 'opening-hours' || p.id === 'payment-methods'));
    const [parking, hours, payment] = ['parking', 'opening-hours', 'payment-methods'].map((id) => made.find((p) => p.id === id));
    if (!parking || !hours || !payment) throw new Error('the demo knowledge base lacks parking, opening hours or payment methods');
    expect(await store.storePassageVectors('keep', [{ ...parking, text: 'Edited meanwhile.' }])).toBe(0);
    expect(await store.storePassageVectors('keep', [parking, hours])).toBe(2);
    const stored = (await store.listPassages('keep')).passages.filter((p) => p.embedding);
    expect(stored.map((p) => p.id).sort()).toEqual([hours.id, parking.id].sort());
    expect(Array.from(stored.find((p) => p.id === parking.id)?.embedding?.vector ?? [])).toEqual(Array.from(parking.embedding?.vector ?? [1]));
    // A passage that already has a vector of that model keeps it.
    expect(await store.storePassageVectors('keep', [parking])).toBe(0);
    // An edit of another item in between (a new version) does not stop a vector made for text that is still there.
    const other = kb.faqs.find((f) => ![parking.id, hours.id, payment.id].includes(f.id));
    if (!other) throw new Error('the demo knowledge base has too few FAQs');
    await putFaq({ store: writing }, 'keep', other.id, { question: other.question, answer: `${other.answer} (Edited.)`, category: other.category });
    expect(await store.storePassageVectors('keep', [payment])).toBe(1);
  });

  it('keep an FAQ’s alternative wordings with its passage, and a vector only for the same wordings', async () => {
    const embedder = new HashEmbedder();
    const alternatives = { ...kb, faqs: kb.faqs.map((f) => (f.id === 'wifi' ? { ...f, alternatives: ['Is there internet for patients?'] } : f)) };
    await provisionTenant(new EmbeddingKnowledgeStore(store, embedder, { embedBudgetMs: 0 }), { tenantId: 'phrasings', widgetKey: `wk_phrasings_${'f'.repeat(24)}`, allowedOrigins: [], kb: alternatives });
    const { passages } = await store.listPassages('phrasings');
    const wifi = passages.find((p) => p.id === 'wifi');
    const parking = passages.find((p) => p.id === 'parking');
    if (!wifi || !parking) throw new Error('the demo knowledge base lacks wifi or parking');
    expect(wifi.phrasings).toEqual(['Is there internet for patients?']);
    expect(parking.phrasings).toBeUndefined();
    const [madeWifi, madeParking] = await embedPassages(embedder, [wifi, parking]);
    if (!madeWifi || !madeParking) throw new Error('nothing embedded');
    const { phrasings: _dropped, ...wifiWithout } = madeWifi;
    expect(await store.storePassageVectors('phrasings', [{ ...madeWifi, phrasings: ['Something else?'] }, wifiWithout, { ...madeParking, phrasings: ['Where do I leave the car?'] }])).toBe(0);
    expect(await store.storePassageVectors('phrasings', [madeWifi, madeParking])).toBe(2);
  });

  it('record the newest version written to a search collection, never moving back', async () => {
    expect(await store.indexedVersion('marks')).toBe(0);
    await store.markIndexed('marks', 5, { whole: true });
    await store.markIndexed('marks', 3, { whole: true });
    expect(await store.indexedVersion('marks')).toBe(5);
    await store.markIndexed('marks', 6, { whole: false });
    expect(await store.indexedVersion('marks')).toBe(6);
  });

  it('count a version as written only once its import has been written whole, not just an edit made after it', async () => {
    const writing = new EmbeddingKnowledgeStore(store, new HashEmbedder(), { embedBudgetMs: 0 });
    await provisionTenant(writing, { tenantId: 'import-marks', widgetKey: `wk_importmarks_${'e'.repeat(24)}`, allowedOrigins: [], kb });
    const imported = (await store.listPassages('import-marks')).version;
    const edit = await putFaq({ store: writing }, 'import-marks', 'parking', { question: 'Do you have parking?', answer: 'Yes: twelve spaces.', category: 'Visiting' });
    // The edit's run finishes while the import's is still embedding: the collection lacks the import's other passages.
    await store.markIndexed('import-marks', edit.version, { whole: false });
    expect(await store.indexedVersion('import-marks')).toBe(0);
    // The import's run writes the whole knowledge base (as of the version it read).
    await store.markIndexed('import-marks', imported, { whole: true });
    expect(await store.indexedVersion('import-marks')).toBe(edit.version);
    // A new import: nothing of it is in the collection until a whole write of it, whatever was marked before.
    await provisionTenant(writing, { tenantId: 'import-marks', widgetKey: `wk_importmarks_${'e'.repeat(24)}`, allowedOrigins: [], kb });
    const reimported = (await store.listPassages('import-marks')).version;
    expect(reimported).toBeGreaterThan(edit.version);
    await store.markIndexed('import-marks', reimported, { whole: false });
    // A whole run that read the knowledge base before the new import: it holds the old one.
    await store.markIndexed('import-marks', edit.version, { whole: true });
    expect(await store.indexedVersion('import-marks')).toBe(0);
    await store.markIndexed('import-marks', reimported, { whole: true });
    expect(await store.indexedVersion('import-marks')).toBe(reimported);
  });

  it('count a record written before imports were recorded as whole, also after an edit is marked on it', async () => {
    await db.send(new PutCommand({ TableName: TABLE, Item: { ...keys.kbIndexed('legacy-marks'), indexedVersion: 4 } }));
    expect(await store.indexedVersion('legacy-marks')).toBe(4);
    await store.markIndexed('legacy-marks', 5, { whole: false });
    expect(await store.indexedVersion('legacy-marks')).toBe(5);
  });

  it('let the embedded index load without embedding any passage', async () => {
    const embedder = new HashEmbedder();
    const index = new EmbeddedKnowledgeIndex(store, { embedder });
    const hits = await index.search('vectors', 'do you have parking?', 3);
    expect(hits[0]?.passage.id).toBe('parking');
    expect(hits[0]?.similarity).toBeGreaterThan(0);
    expect(embedder.texts).toBe(1); // the question only
  });
});

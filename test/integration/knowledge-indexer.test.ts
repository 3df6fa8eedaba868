/**
 * The knowledge indexer in the local cloud, with the embedded vector store: writes are given no embedding
 * budget (KNOWLEDGE_EMBED_BUDGET_MS=0), so every passage reaches the table without a vector and only the
 * `knowledgeIndexer` function — on the bus's `KnowledgeIndexing` rule, as deployed — can embed it. The demo seed,
 * an admin import and an FAQ edit all come out with USE-lite vectors in DynamoDB Local; the status route says how
 * far it has got. (The OpenSearch Serverless path through the same function: aws-knowledge.test.ts.)
 */
import { z } from 'zod';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { answerDeps, store } from '../../lambdas/adapters/container';
import { useLiteEmbedder } from '../../lambdas/adapters/embeddings/use-lite';
import { passageEmbeddingModel } from '../../lambdas/core/answer/hybrid';
import { api, signIn } from '../support/staff';

let cloud: LocalCloud;
let admin: string;

const status = z.object({ version: z.number(), passages: z.number(), withVectors: z.number(), state: z.enum(['ready', 'indexing']) });

beforeAll(async () => {
  process.env['KNOWLEDGE_EMBED_BUDGET_MS'] = '0';
  cloud = await startLocalCloud({ quiet: true });
  admin = await signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
}, 240_000);

afterAll(async () => {
  await cloud?.stop();
  delete process.env['KNOWLEDGE_EMBED_BUDGET_MS'];
});

const model = passageEmbeddingModel(useLiteEmbedder());
const indexerRuns = () => cloud.runtime.invocations.filter((i) => i.fn === 'knowledgeIndexer');

describe('the knowledge indexer (KNOWLEDGE_EMBED_BUDGET_MS=0: writes embed nothing themselves)', () => {
  it('embedded the demo seed off the request path and kept every vector in the table', async () => {
    const { passages } = await store().listPassages(cloud.demo.tenantId);
    expect(passages.length).toBeGreaterThan(40);
    for (const p of passages) expect([p.id, p.embedding?.model]).toEqual([p.id, model]);
    expect(indexerRuns().length).toBeGreaterThanOrEqual(1);
    expect(indexerRuns().filter((i) => i.error)).toEqual([]);
    const reply = await api(cloud, 'GET', '/v1/admin/knowledge/status', admin);
    expect(reply.status).toBe(200);
    expect(status.parse(reply.body)).toEqual({ version: expect.any(Number), passages: passages.length, withVectors: passages.length, state: 'ready' });
  });

  it('an import answers at once and the indexer embeds the new passages, which the concierge then searches by meaning', async () => {
    const current = await api(cloud, 'GET', '/v1/admin/knowledge', admin);
    const kb = z.object({ faqs: z.array(z.object({ id: z.string() }).passthrough()) }).passthrough().parse(current.body);
    const umbrellas = { id: 'umbrellas', question: 'Can I borrow an umbrella?', answer: 'Yes, there is a stand of loan umbrellas by the door.', category: 'Visiting' };
    const runs = indexerRuns().length;
    const imported = await api(cloud, 'PUT', '/v1/admin/knowledge', admin, { ...kb, faqs: [...kb.faqs, umbrellas] });
    expect(imported.status).toBe(200);
    await cloud.settle();
    expect(indexerRuns().length).toBe(runs + 1);
    const { passages } = await store().listPassages(cloud.demo.tenantId);
    expect(passages.find((p) => p.id === 'umbrellas')?.embedding?.model).toBe(model);
    expect(passages.filter((p) => p.embedding?.model !== model)).toEqual([]);
    expect(status.parse((await api(cloud, 'GET', '/v1/admin/knowledge/status', admin)).body)).toMatchObject({ passages: passages.length, withVectors: passages.length, state: 'ready' });
    // The concierge's index searches them by meaning (a similarity beside the word match).
    const hits = await answerDeps().index.search(cloud.demo.tenantId, 'could you lend me an umbrella when it rains?', 3);
    expect(hits[0]?.passage.id).toBe('umbrellas');
    expect(hits[0]?.similarity).toBeGreaterThan(0.4);
  });

  it('an FAQ edit: the indexer embeds that FAQ’s new text', async () => {
    const edited = await api(cloud, 'PUT', '/v1/admin/knowledge/faqs/parking', admin, {
      question: 'Do you have parking?',
      answer: 'Yes: eight free patient spaces behind the building, entered from Pier Lane.',
      category: 'Location & transport',
    });
    expect(edited.status).toBe(200);
    await cloud.settle();
    const parking = (await store().listPassages(cloud.demo.tenantId)).passages.find((p) => p.id === 'parking');
    expect(parking?.text).toContain('eight free patient spaces');
    expect(parking?.embedding?.model).toBe(model);
  });

  it('skips a malformed event instead of failing (nothing to retry)', async () => {
    await expect(cloud.runtime.invoke('knowledgeIndexer', { 'detail-type': 'knowledge.changed', detail: { tenantId: '../other', version: -1 } })).resolves.toEqual({ skipped: 'malformed' });
  });

  it('the status route is for signed-in staff only', async () => {
    const reply = await api(cloud, 'GET', '/v1/admin/knowledge/status', undefined);
    expect(reply.status).toBe(401);
  });
});

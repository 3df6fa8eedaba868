/**
 * Knowledge writes (`npm run bench knowledge`): the admin API's whole import of the demo knowledge base padded to
 * 1,000 chunks, and one FAQ edit, through the local cloud with the default embedding budget
 * (KNOWLEDGE_EMBED_BUDGET_MS) and an empty vector cache: how long the request takes, how many passages it left for
 * the knowledge indexer, and how long until every passage has a vector (`GET /v1/admin/knowledge/status` says
 * `ready`). Reports, never asserts: test/integration/knowledge-indexer.test.ts asserts the behaviour.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { knowledgeBaseSchema } from '../../lambdas/core/knowledge-base';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { paddedKnowledgeBase } from '../eval/run';
import { api, signIn } from '../support/staff';

const status = z.object({ version: z.number(), passages: z.number(), withVectors: z.number(), state: z.enum(['ready', 'indexing']) });

async function readStatus(cloud: LocalCloud, token: string): Promise<z.infer<typeof status>> {
  return status.parse((await api(cloud, 'GET', '/v1/admin/knowledge/status', token)).body);
}

/** Polls the status route until `ready`; milliseconds from `since`. */
async function untilReady(cloud: LocalCloud, token: string, since: number): Promise<number> {
  for (;;) {
    if ((await readStatus(cloud, token)).state === 'ready') return performance.now() - since;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function knowledgeWritesBench(chunks = Number(process.env['BENCH_KNOWLEDGE_CHUNKS'] ?? 1000)): Promise<Record<string, number>> {
  // No vectors remembered from earlier runs: every passage is embedded here.
  const cacheDir = mkdtempSync(join(tmpdir(), 'concierge-bench-vectors-'));
  const previousCache = process.env['EMBEDDING_CACHE_DIR'];
  process.env['EMBEDDING_CACHE_DIR'] = cacheDir;
  const cloud = await startLocalCloud({ quiet: true });
  try {
    const token = await signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
    const kb = knowledgeBaseSchema.parse(JSON.parse(readFileSync(resolve(__dirname, '../../local-cloud/seed/demo-kb.json'), 'utf8')));
    const before = await readStatus(cloud, token);
    const padded = paddedKnowledgeBase(kb, chunks, before.passages - kb.faqs.length);
    const started = performance.now();
    const imported = await api(cloud, 'PUT', '/v1/admin/knowledge', token, padded);
    if (imported.status !== 200) throw new Error(`import answered ${imported.status}`);
    const requestMs = performance.now() - started;
    const after = await readStatus(cloud, token);
    const readyMs = await untilReady(cloud, token, started);

    const faq = kb.faqs[0];
    if (!faq) throw new Error('the demo knowledge base has no FAQ');
    const editStarted = performance.now();
    const edited = await api(cloud, 'PUT', `/v1/admin/knowledge/faqs/${faq.id}`, token, { question: faq.question, answer: `${faq.answer} (Updated.)`, category: faq.category });
    if (edited.status !== 200) throw new Error(`FAQ edit answered ${edited.status}`);
    const editMs = performance.now() - editStarted;
    await cloud.settle();
    return {
      knowledge_import_passages: after.passages,
      knowledge_import_request_ms: Math.round(requestMs),
      knowledge_import_vectors_at_response: after.withVectors,
      knowledge_import_ready_ms: Math.round(readyMs),
      knowledge_faq_edit_request_ms: Math.round(editMs),
    };
  } finally {
    await cloud.stop();
    if (previousCache === undefined) delete process.env['EMBEDDING_CACHE_DIR'];
    else process.env['EMBEDDING_CACHE_DIR'] = previousCache;
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

export const knowledgeWritesNotes: Record<string, string> = {
  knowledge_import_request_ms: 'PUT /v1/admin/knowledge (adminApi has 29 s); embeds for KNOWLEDGE_EMBED_BUDGET_MS at most',
  knowledge_import_vectors_at_response: 'passages embedded by the request itself; the knowledge indexer embeds the rest',
  knowledge_import_ready_ms: 'from the request until GET /v1/admin/knowledge/status says ready (local cloud: one process, 2 cores)',
  knowledge_faq_edit_request_ms: 'PUT /v1/admin/knowledge/faqs/{faqId} on the 1,000-chunk knowledge base',
};

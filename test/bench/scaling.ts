/**
 * Scaling series (`npm run bench scaling`): does cost grow no faster than the data?
 *
 * Retrieval: one tenant with 100, 1,000 and 10,000 knowledge chunks, searched through the entry point the
 * concierge uses (`EmbeddedKnowledgeIndex.search(tenant, question, 5)`: the question embedded with USE-lite,
 * then BM25F + dense hybrid ranking), each timed question distinct so the question-embedding cache never
 * answers. Chunks are synthesised with a seeded PRNG (runs are comparable) from the sentences of the demo
 * clinic's knowledge base and the StackFAQ answers (../shared/data): a title from one passage, two to four
 * sentences drawn from the whole pool. The first 200 chunks are embedded for real (the whole 100 corpus);
 * the others of the 1k and 10k corpora mix the sentences of two real chunks and take the normalised sum of
 * their vectors (embedding 1,000 such chunks took 215 s on a loaded two-core machine, 10,000 would take
 * far longer, and a vector's origin does not change what a search costs: the same matrix scan).
 * The search alone (question vector given) is timed too, as `_excl_embed`.
 *
 * Round trip: one local cloud; 1, 10 and 100 tenants provisioned with the demo knowledge base and limits a
 * scripted load cannot hit; the same 100 customers (5 at a time, 2 questions each) spread round-robin over
 * the tenants, timing send → the bot's reply over WebSocket. Every tenant answers one question first (warm-up,
 * not counted). All handlers share this one Node process; the embedded index keeps 32 tenants in memory
 * (least recently used evicted), so at 100 tenants some questions reload a tenant's passages from DynamoDB.
 *
 * Growth figures divide the p50 at the largest size by the p50 at the smallest; the data ratio is beside
 * them (100): a growth ≤ the data ratio is "no faster than linearly". Reports, never asserts.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { knowledgeStore, store } from '../../lambdas/adapters/container';
import { EmbeddedKnowledgeIndex } from '../../lambdas/adapters/knowledge/embedded-index';
import { useLiteEmbedder } from '../../lambdas/adapters/embeddings/use-lite';
import { DenseMatrix, embedPassages, HybridIndex } from '../../lambdas/core/answer/hybrid';
import type { EmbeddedPassage } from '../../lambdas/core/answer/passages';
import { sentences } from '../../lambdas/core/answer/text';
import { passagesOf, provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema } from '../../lambdas/core/knowledge-base';
import { newWidgetKey } from '../../lambdas/core/widget-key';
import { startLocalCloud } from '../../local-cloud/index';
import { MemoryKnowledgeStore } from '../support/memory-knowledge-store';
import { loadStackFaq, synthesise } from './retrieval';
import { percentile, rng, round } from './stats';

const ROOT = resolve(__dirname, '..', '..');

/** Notes for the metrics of the last run (printed beside the figures by run.ts). */
export const scalingNotes: Record<string, string> = {};

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('empty pool');
  return item;
}

const SIZES = [100, 1000, 10_000] as const;
const LABEL: Readonly<Record<number, string>> = { 100: '100', 1000: '1k', 10_000: '10k' };
const TIMED = 200;
/** Chunks embedded for real (~10 s idle on two cores; the rest take derived vectors). */
const REAL_VECTORS = 200;
const WARM = 20;

/** `count` chunks of 2–4 sentences drawn from the pool, titled after a pool passage (seeded). */
function chunkTexts(pool: readonly { title: string; text: string }[], count: number, seed: number): EmbeddedPassage[] {
  const random = rng(seed);
  const bag = pool.flatMap((p) => sentences(p.text)).filter((s) => s.length >= 20 && s.length <= 250);
  return Array.from({ length: count }, (_, i) => {
    const n = 2 + Math.floor(random() * 3);
    const text = Array.from({ length: n }, () => pick(random, bag)).join(' ');
    return { id: `c${i}`, kind: 'document' as const, title: pick(random, pool).title, text, sourceId: `s${i}` };
  });
}

async function retrievalSeries(results: Record<string, number>, note: (metric: string, text: string) => void, log: (line: string) => void): Promise<void> {
  const embedder = useLiteEmbedder();
  await embedder.warm();
  const kb = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(ROOT, 'local-cloud', 'seed', 'demo-kb.json'), 'utf8')));
  const stack = loadStackFaq();
  const pool = [...passagesOf(kb), ...stack.passages];
  const realCount = REAL_VECTORS;
  let t = performance.now();
  const real = await embedPassages(embedder, chunkTexts(pool, realCount, 9));
  log(`embedded ${realCount} synthetic chunks in ${Math.round(performance.now() - t)} ms`);
  // Questions: StackFAQ paraphrases in a seeded order, distinct per timed search (no cache hits).
  const random = rng(42);
  const questions = stack.queries.map((q) => q.text);
  for (let i = questions.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [questions[i], questions[j]] = [questions[j] ?? '', questions[i] ?? ''];
  }
  const needed = SIZES.length * (TIMED + WARM);
  if (questions.length < needed) throw new Error(`only ${questions.length} questions, ${needed} needed`);
  const questionVectors = await embedder.embed(questions.slice(0, TIMED + WARM));

  for (const [s, size] of SIZES.entries()) {
    const label = LABEL[size] ?? String(size);
    const corpus = synthesise(real, size);
    const knowledge = new MemoryKnowledgeStore();
    await knowledge.replaceKnowledgeBase('scale', kb, corpus);
    const index = new EmbeddedKnowledgeIndex(knowledge, { embedder });
    await index.search('scale', 'warm up', 5);
    const asked = questions.slice(s * (TIMED + WARM), (s + 1) * (TIMED + WARM));
    const withEmbed: number[] = [];
    for (const [i, q] of asked.entries()) {
      t = performance.now();
      await index.search('scale', q, 5);
      if (i >= WARM) withEmbed.push(performance.now() - t);
    }
    const direct = new HybridIndex(corpus, new DenseMatrix(corpus.map((p) => p.embedding?.vector ?? []), embedder.dimensions));
    const searchOnly: number[] = [];
    for (const [i, vector] of questionVectors.entries()) {
      t = performance.now();
      direct.search(questions[i] ?? '', vector, 5);
      if (i >= WARM) searchOnly.push(performance.now() - t);
    }
    results[`scaling_retrieval_p50_ms_${label}_chunks`] = percentile(withEmbed, 50);
    results[`scaling_retrieval_p99_ms_${label}_chunks`] = percentile(withEmbed, 99);
    results[`scaling_retrieval_p50_ms_${label}_chunks_excl_embed`] = percentile(searchOnly, 50);
    results[`scaling_retrieval_p99_ms_${label}_chunks_excl_embed`] = percentile(searchOnly, 99);
    note(
      `scaling_retrieval_p50_ms_${label}_chunks`,
      `hybrid BM25F + USE-lite, question embedded; ${TIMED} distinct questions; ${Math.min(size, realCount)} chunks embedded for real${size > realCount ? `, ${size - realCount} with derived vectors` : ''}`,
    );
    log(`${label} chunks: p50 ${results[`scaling_retrieval_p50_ms_${label}_chunks`]} ms, search alone p50 ${results[`scaling_retrieval_p50_ms_${label}_chunks_excl_embed`]} ms`);
  }
  const growth = (suffix: string): number =>
    round((results[`scaling_retrieval_p50_ms_10k_chunks${suffix}`] ?? Number.NaN) / (results[`scaling_retrieval_p50_ms_100_chunks${suffix}`] ?? Number.NaN), 2);
  results['scaling_retrieval_data_ratio_10k_vs_100'] = 100;
  results['scaling_retrieval_growth_10k_vs_100'] = growth('');
  results['scaling_retrieval_growth_10k_vs_100_excl_embed'] = growth('_excl_embed');
  note('scaling_retrieval_growth_10k_vs_100', 'p50(10k)/p50(100), question embedding included (a constant); ≤ 100 is sub-linear');
  note('scaling_retrieval_growth_10k_vs_100_excl_embed', 'p50(10k)/p50(100) of the search alone; ≤ 100 is sub-linear');
}

/** Demo-clinic FAQ questions (no booking or handoff intents), asked in turn. */
const QUESTIONS: readonly string[] = [
  'do you have parking?',
  'what time do you open on saturday?',
  'how much is a checkup and clean?',
  'can I pay by card?',
  'do you accept new patients?',
  'is there wifi in the waiting room?',
  'do you treat children?',
  'what is your address?',
  'is the clinic accessible by wheelchair?',
  'do you take insurance?',
  'are you open on public holidays?',
  'can I buy a gift voucher?',
];

interface Rtt {
  readonly rtts: number[];
  lost: number;
  errors: number;
}

/** One customer: connect, hello, ask `questions` in turn timing send → bot reply, disconnect. */
async function customer(url: string, origin: string, questions: readonly string[], into: Rtt | undefined): Promise<void> {
  const ws = new WebSocket(url, { headers: { Origin: origin } });
  await new Promise<void>((res, rej) => {
    ws.once('open', () => res());
    ws.once('error', rej);
  });
  const acked = new Set<string>();
  let waiting: { clientId: string; resolve: (outcome: 'reply' | 'error') => void } | undefined;
  ws.on('message', (data) => {
    const frame: unknown = JSON.parse(String(data));
    if (typeof frame !== 'object' || frame === null || !waiting) return;
    const type = Reflect.get(frame, 'type');
    if (type === 'session' && waiting.clientId === '') waiting.resolve('reply');
    else if (type === 'ack') acked.add(String(Reflect.get(frame, 'clientId')));
    else if (type === 'message' && Reflect.get(frame, 'role') === 'bot' && acked.has(waiting.clientId)) waiting.resolve('reply');
    else if (type === 'error') waiting.resolve('error');
  });
  const exchange = (clientId: string, frame: unknown): Promise<'reply' | 'error' | 'lost'> =>
    new Promise((res) => {
      const timer = setTimeout(() => res('lost'), 30_000);
      waiting = {
        clientId,
        resolve: (outcome) => {
          clearTimeout(timer);
          waiting = undefined;
          res(outcome);
        },
      };
      ws.send(JSON.stringify(frame));
    });
  try {
    await exchange('', { action: 'hello' });
    for (const text of questions) {
      const clientId = randomBytes(9).toString('base64url');
      const started = performance.now();
      const outcome = await exchange(clientId, { action: 'sendMessage', clientId, text });
      if (!into) continue;
      if (outcome === 'reply') into.rtts.push(performance.now() - started);
      else if (outcome === 'error') into.errors++;
      else into.lost++;
    }
  } finally {
    ws.close();
  }
}

/** Runs `jobs` with at most `width` at a time. */
async function pool(jobs: readonly (() => Promise<void>)[], width: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, jobs.length) }, async () => {
      while (next < jobs.length) await jobs[next++]?.();
    }),
  );
}

async function roundTripSeries(results: Record<string, number>, note: (metric: string, text: string) => void, log: (line: string) => void): Promise<void> {
  const customers = 100;
  const perCustomer = 2;
  const concurrency = 5;
  const counts = [1, 10, 100] as const;
  const cloud = await startLocalCloud({ quiet: true });
  try {
    const origin = new URL(cloud.urls.demoSite).origin;
    const kb = await store().getKnowledgeBase(cloud.demo.tenantId);
    if (!kb) throw new Error('demo knowledge base missing');
    const unlimited = { ratePerSecond: 100_000, burst: 100_000 };
    const tenants: { id: string; key: string }[] = [];
    const started = performance.now();
    await pool(
      Array.from({ length: Math.max(...counts) }, (_, i) => async () => {
        const id = `scale-${String(i).padStart(3, '0')}`;
        const key = newWidgetKey(id);
        await provisionTenant(knowledgeStore(), { tenantId: id, widgetKey: key, allowedOrigins: [origin], kb });
        const profile = await store().getProfile(id);
        if (!profile) throw new Error(`${id} missing`);
        await store().putProfile({ ...profile, limits: { perConnection: unlimited, perAddress: unlimited, perTenant: unlimited } });
        tenants[i] = { id, key };
      }),
      10,
    );
    log(`provisioned ${tenants.length} tenants in ${Math.round(performance.now() - started)} ms`);
    const urlOf = (key: string): string => `${cloud.urls.ws}?key=${key}&visitor=${randomBytes(16).toString('hex')}`;
    for (const n of counts) {
      const active = tenants.slice(0, n);
      // Warm-up: every tenant of the series answers once (index load, first embeddings), not counted.
      await pool(
        active.map((tenant, i) => () => customer(urlOf(tenant.key), origin, [QUESTIONS[i % QUESTIONS.length] ?? ''], undefined)),
        concurrency,
      );
      const rtt: Rtt = { rtts: [], lost: 0, errors: 0 };
      const t = performance.now();
      await pool(
        Array.from({ length: customers }, (_, c) => {
          const tenant = active[c % n];
          if (!tenant) throw new Error('no tenant');
          const asked = Array.from({ length: perCustomer }, (_, m) => QUESTIONS[(c + m * 5) % QUESTIONS.length] ?? '');
          return () => customer(urlOf(tenant.key), origin, asked, rtt);
        }),
        concurrency,
      );
      const seconds = (performance.now() - t) / 1000;
      const label = n === 1 ? '1_tenant' : `${n}_tenants`;
      results[`scaling_rtt_p50_ms_${label}`] = percentile(rtt.rtts, 50);
      results[`scaling_rtt_p99_ms_${label}`] = percentile(rtt.rtts, 99);
      results[`scaling_rtt_answers_per_second_${label}`] = round(rtt.rtts.length / seconds, 1);
      results[`scaling_rtt_failed_${label}`] = rtt.lost + rtt.errors;
      note(
        `scaling_rtt_p50_ms_${label}`,
        `${customers} customers × ${perCustomer} questions, ${concurrency} at a time, round-robin over ${n} tenant${n === 1 ? '' : 's'}; local cloud, one process`,
      );
      note(`scaling_rtt_failed_${label}`, 'lost (no reply in 30 s) + error frames');
      log(`${n} tenants: p50 ${results[`scaling_rtt_p50_ms_${label}`]} ms, p99 ${results[`scaling_rtt_p99_ms_${label}`]} ms, ${results[`scaling_rtt_answers_per_second_${label}`]} answers/s`);
    }
    // The conversation handler still writes after the reply is posted (the bus delivers it): let it finish.
    await cloud.settle();
  } finally {
    await cloud.stop();
  }
  results['scaling_rtt_tenant_ratio_100_vs_1'] = 100;
  results['scaling_rtt_growth_100_vs_1_tenants'] = round((results['scaling_rtt_p50_ms_100_tenants'] ?? Number.NaN) / (results['scaling_rtt_p50_ms_1_tenant'] ?? Number.NaN), 2);
  note('scaling_rtt_growth_100_vs_1_tenants', 'p50(100 tenants)/p50(1 tenant), same load; ≤ 100 is sub-linear, ~1 is flat');
}

/** The scaling series: retrieval at 100 / 1k / 10k chunks, message round trip at 1 / 10 / 100 tenants. */
export async function scalingBench(log: (line: string) => void = (line) => process.stderr.write(`  ${line}\n`)): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  const note = (metric: string, text: string): void => {
    scalingNotes[metric] = text;
  };
  await retrievalSeries(results, note, log);
  await roundTripSeries(results, note, log);
  return results;
}

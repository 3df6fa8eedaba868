/**
 * The offline retrieval stack for real: the USE-lite embedder (weights from
 * npm, loaded once for this file), the embedded hybrid index over an in-memory
 * knowledge store, the KnowledgeIndex contract, and quality on the demo clinic.
 */
import { Socket } from 'node:net';
import { embedPassages } from '../../lambdas/core/answer/hybrid';
import type { EmbeddedPassage, Passage } from '../../lambdas/core/answer/passages';
import { glossQuery } from '../../lambdas/core/nlu/glossary';
import type { Embedder } from '../../lambdas/core/ports';
import { USE_LITE_MODEL, useLiteEmbedder } from '../../lambdas/adapters/embeddings/use-lite';
import { EmbeddedKnowledgeIndex } from '../../lambdas/adapters/knowledge/embedded-index';
import { MemoryKnowledgeStore } from '../support/memory-knowledge-store';
import { demoPassages, knowledgeIndexContract } from './knowledge-index.contract';

const use = useLiteEmbedder();
/** Passages embedded where they are written (as EmbeddingKnowledgeStore does), each text once for the whole file. */
const embedded = new Map<string, EmbeddedPassage>();
const key = (p: Passage): string => JSON.stringify([p.id, p.title, p.text]);
async function withVectors(passages: readonly Passage[]): Promise<EmbeddedPassage[]> {
  for (const p of await embedPassages(use, passages.filter((q) => !embedded.has(key(q))))) embedded.set(key(p), p);
  return passages.map((p) => embedded.get(key(p)) ?? p);
}

/** Counts calls and texts going through an embedder. */
class CountingEmbedder implements Embedder {
  calls = 0;
  texts = 0;
  constructor(private readonly inner: Embedder) {}
  get model(): string {
    return this.inner.model;
  }
  get dimensions(): number {
    return this.inner.dimensions;
  }
  get languages(): readonly string[] | undefined {
    return this.inner.languages;
  }
  async embed(texts: readonly string[]): Promise<number[][]> {
    this.calls++;
    this.texts += texts.length;
    return this.inner.embed(texts);
  }
}

const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);

describe('USE-lite embedder', () => {
  it('loads from the npm package without touching the network', async () => {
    // Loopback connections (DynamoDB Local, used by this file's other suites in the background) are allowed;
    // anything leaving the machine is refused and recorded.
    const original = Socket.prototype.connect;
    const outside: string[] = [];
    const hostOf = (args: unknown[]): string => {
      const first = args[0];
      if (typeof first === 'object' && first !== null) return String(Reflect.get(first, 'host') ?? Reflect.get(first, 'path') ?? 'localhost');
      return typeof args[1] === 'string' ? args[1] : 'localhost';
    };
    const connect = jest.spyOn(Socket.prototype, 'connect').mockImplementation(function (this: Socket, ...args: unknown[]) {
      const host = hostOf(args);
      if (/^(127\.|::1$|localhost$|\/)/.test(host)) return Reflect.apply(original, this, args) as Socket;
      outside.push(host);
      throw new Error('no network in this test');
    });
    const fetchSpy = jest.spyOn(globalThis, 'fetch').mockRejectedValue(new Error('no network in this test'));
    try {
      await use.warm();
      expect(outside).toEqual([]);
      expect(fetchSpy).not.toHaveBeenCalled();
    } finally {
      connect.mockRestore();
      fetchSpy.mockRestore();
    }
  });

  it('embeds into 512 unit-length dimensions, paraphrases closer than unrelated sentences', async () => {
    const [parking, carPark, brakes, empty] = await use.embed(['Do you have parking?', 'Is there a car park where I can leave my car?', 'How do I fix my bicycle brakes?', '']);
    for (const v of [parking, carPark, brakes, empty]) expect(v).toHaveLength(512);
    expect(Math.sqrt(dot(parking ?? [], parking ?? []))).toBeCloseTo(1, 4);
    expect(dot(parking ?? [], carPark ?? [])).toBeGreaterThan(dot(parking ?? [], brakes ?? []) + 0.1);
    expect(use.model).toBe(USE_LITE_MODEL);
    expect(use.languages).toEqual(['en']);
  });
});

describe('embedded index', () => {
  const store = new MemoryKnowledgeStore();
  const index = new EmbeddedKnowledgeIndex(store, { embedder: use });
  knowledgeIndexContract('embedded (USE-lite, in-memory store)', () => ({
    index,
    upsert: async (tenantId, passages) => {
      await store.upsert(tenantId, await withVectors(passages));
    },
    remove: async (tenantId, ids) => {
      await store.remove(tenantId, ids);
    },
  }));
});

describe('embedded index on the demo clinic', () => {
  const store = new MemoryKnowledgeStore();
  const counting = new CountingEmbedder(use);
  const index = new EmbeddedKnowledgeIndex(store, { embedder: counting });
  beforeAll(async () => {
    await store.upsert('clinic', await withVectors(demoPassages));
  });

  it('uses the stored passage vectors (only the question is embedded) and caches the index per version', async () => {
    const before = { calls: counting.calls, lists: store.listCalls };
    const hits = await index.search('clinic', 'Is there somewhere to leave my car?', 3);
    expect(hits[0]?.passage.id).toBe('parking');
    expect(hits[0]?.similarity).toBeGreaterThan(0.5);
    expect(counting.calls - before.calls).toBe(1);
    await index.search('clinic', 'Is there somewhere to leave my car?', 3);
    expect(counting.calls - before.calls).toBe(1); // the question's vector is remembered
    expect(store.listCalls - before.lists).toBe(1);
  });

  it('takes the knowledge-base version the caller read instead of reading the profile again', async () => {
    const version = (await store.listPassages('clinic')).version;
    await index.search('clinic', 'do you take cards?', 3);
    const reads = jest.spyOn(store, 'getProfile');
    try {
      const hits = await index.search('clinic', 'do you take cards?', 3, { kbVersion: version });
      expect(hits[0]?.passage.id).toBe('payment-methods');
      expect(reads).not.toHaveBeenCalled();
      await index.search('clinic', 'do you take cards?', 3);
      expect(reads).toHaveBeenCalledTimes(1);
    } finally {
      reads.mockRestore();
    }
  });

  it('serves a caller whose version an edit has since passed from the newer cached index, without reloading', async () => {
    const fresh = new MemoryKnowledgeStore();
    await fresh.upsert('edited', await withVectors(demoPassages.slice(0, 10)));
    const old = (await fresh.listPassages('edited')).version;
    await fresh.upsert('edited', await withVectors(demoPassages.slice(10, 12)));
    const current = (await fresh.listPassages('edited')).version;
    expect(current).toBeGreaterThan(old);
    const edited = new EmbeddedKnowledgeIndex(fresh, { embedder: use });
    await edited.search('edited', 'do you take cards?', 3, { kbVersion: current });
    const lists = fresh.listCalls;
    for (let i = 0; i < 3; i++) await edited.search('edited', 'do you take cards?', 3, { kbVersion: old });
    expect(fresh.listCalls).toBe(lists);
  });

  it('embeds the question alone when the call with the renderings to come fails', async () => {
    const picky: Embedder = {
      model: use.model,
      dimensions: 512,
      languages: ['en'],
      embed: (texts) => (texts.length > 1 ? Promise.reject(new Error('batch refused')) : use.embed(texts)),
    };
    const degraded = jest.fn();
    const retrying = new EmbeddedKnowledgeIndex(store, { embedder: picky, onDegraded: degraded });
    const hits = await retrying.search('clinic', 'can I leave my car somewhere?', 3, { next: ['parking car'] });
    expect(hits[0]?.similarity).toBeGreaterThan(0);
    expect(degraded).not.toHaveBeenCalled();
  });

  it('embeds the renderings that may follow in the same model call as the question', async () => {
    const first = 'can I leave my car somewhere when I visit?';
    const second = 'parking car';
    const before = { calls: counting.calls, texts: counting.texts };
    const hits = await index.search('clinic', first, 3, { next: [second, '¿hay aparcamiento?'] });
    expect(hits[0]?.passage.id).toBe('parking');
    // One call of two texts: the Spanish rendering is searched lexically, so it is not embedded.
    expect({ calls: counting.calls - before.calls, texts: counting.texts - before.texts }).toEqual({ calls: 1, texts: 2 });
    const alone = await new EmbeddedKnowledgeIndex(store, { embedder: use }).search('clinic', second, 3);
    const followed = await index.search('clinic', second, 3);
    expect(counting.calls - before.calls).toBe(1);
    // The vector made alongside is the one the rendering gets alone.
    expect(followed.map((h) => [h.passage.id, h.similarity?.toFixed(4)])).toEqual(alone.map((h) => [h.passage.id, h.similarity?.toFixed(4)]));
  });

  it('ranks paraphrases better than BM25 alone', async () => {
    const cases: [string, string][] = [
      ['Is there somewhere to leave my car?', 'parking'],
      ['Can I take the train to get to you?', 'public-transport'],
      ['How can I make an appointment?', 'how-to-book'],
      ['Can I pay by card?', 'payment-methods'],
      ['Do you treat kids?', 'children'],
      ['Can I get my teeth whiter?', 'whitening'],
      ['I am scared of dentists', 'nervous-patients'],
      ['Is there wifi in the waiting room?', 'wifi'],
    ];
    const lexical = new EmbeddedKnowledgeIndex(store, { embedder: null });
    let hybridRight = 0;
    let lexicalRight = 0;
    for (const [q, want] of cases) {
      if ((await index.search('clinic', q, 1))[0]?.passage.id === want) hybridRight++;
      if ((await lexical.search('clinic', q, 1))[0]?.passage.id === want) lexicalRight++;
    }
    expect(hybridRight).toBeGreaterThanOrEqual(7);
    expect(hybridRight).toBeGreaterThan(lexicalRight);
  });

  it('searches a Spanish question lexically (the encoder is English-only), and its NLU gloss finds the FAQ', async () => {
    const raw = await index.search('clinic', '¿Tienen aparcamiento?', 3);
    expect(raw.every((h) => h.similarity === undefined)).toBe(true);
    const glossed = await index.search('clinic', glossQuery('¿Tienen aparcamiento?'), 3);
    expect(glossed[0]?.passage.id).toBe('parking');
    expect(glossed[0]?.coverage).toBeGreaterThanOrEqual(0.5);
  });

  it('keeps coverage lexical: an unrelated question covers little even when something is semantically near', async () => {
    const hits = await index.search('clinic', 'Can you fix the brakes on my bicycle?', 5);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits[0]?.coverage ?? 0).toBeLessThan(0.5);
  });

  it('embeds passages stored without a vector (or with another model’s) once per version', async () => {
    const fresh = new MemoryKnowledgeStore();
    const plain: Passage[] = demoPassages.slice(0, 10);
    await fresh.upsert('late', [...plain.slice(0, 5), ...plain.slice(5).map((p) => ({ ...p, embedding: { model: 'another-model', vector: new Float32Array(512) } }))]);
    const embedder = new CountingEmbedder(use);
    const late = new EmbeddedKnowledgeIndex(fresh, { embedder });
    // The first answer does not wait for the passages: BM25 alone, while they are embedded in the background.
    expect((await late.search('late', 'do you have parking?', 3)).every((h) => h.similarity === undefined)).toBe(true);
    await late.settled('late');
    expect((await late.search('late', 'opening hours', 3))[0]?.similarity).toBeGreaterThan(0);
    // Two texts per passage (title; title and body), one per question embedded (the second).
    expect(embedder.texts).toBe(2 * 10 + 1);
    // A new version (one passage edited) embeds only the edited passage again.
    const first = plain[0];
    if (first) await fresh.upsert('late', [{ ...first, text: `${first.text} Edited.` }]);
    await late.search('late', 'parking', 3);
    await late.settled('late');
    expect(embedder.texts).toBe(2 * 10 + 1 + 2);

    const blocking = new EmbeddedKnowledgeIndex(fresh, { embedder, embedMissing: 'blocking' });
    expect((await blocking.search('late', 'do you have parking?', 3))[0]?.similarity).toBeGreaterThan(0);
  });

  it('takes the vectors the knowledge indexer keeps meanwhile instead of making them too, and stops at a new version', async () => {
    const fresh = new MemoryKnowledgeStore();
    const plain: Passage[] = demoPassages.slice(0, 12);
    await fresh.upsert('shared', plain);
    const embedder = new CountingEmbedder(use);
    const slow = new EmbeddedKnowledgeIndex(fresh, { embedder, adoptEveryMs: 0 });
    // The indexer keeps every vector once this index has embedded its first passage.
    const indexer = new CountingEmbedder(use);
    const made = await embedPassages(indexer, plain);
    const embed = embedder.embed.bind(embedder);
    embedder.embed = async (texts) => {
      const out = await embed(texts);
      if ((await fresh.storePassageVectors('shared', made)) > 0) expect(embedder.texts).toBe(2);
      return out;
    };
    expect((await slow.search('shared', 'do you have parking?', 3)).every((h) => h.similarity === undefined)).toBe(true);
    await slow.settled('shared');
    // One passage made here (two texts), the other eleven taken from the store; then the question.
    const hits = await slow.search('shared', 'opening hours', 3);
    expect(hits[0]?.similarity).toBeGreaterThan(0);
    expect(embedder.texts).toBe(2 + 1);
    // The store was counted before each embedding (two), and its passages read once more, when the count had grown.
    expect(fresh.countCalls).toBe(2);
    expect(fresh.listCalls).toBe(2);

    // A run overtaken by an edit stops: the next search loads the new version and embeds only what it lacks.
    const again = new MemoryKnowledgeStore();
    await again.upsert('moving', plain);
    const counting = new CountingEmbedder(use);
    const moving = new EmbeddedKnowledgeIndex(again, { embedder: counting, adoptEveryMs: 0 });
    const first = plain[0];
    if (!first) throw new Error('no passage');
    const embedOnce = counting.embed.bind(counting);
    counting.embed = async (texts) => {
      const out = await embedOnce(texts);
      if (counting.texts === 2) await again.upsert('moving', [{ ...first, text: `${first.text} Edited.` }]);
      return out;
    };
    await moving.search('moving', 'parking', 3);
    await moving.settled('moving');
    expect(counting.texts).toBe(2);
  });

  it('embeds on when looking in the store for kept vectors fails', async () => {
    const flaky = new MemoryKnowledgeStore();
    await flaky.upsert('flaky', demoPassages.slice(0, 3));
    flaky.countPassages = () => Promise.reject(new Error('ProvisionedThroughputExceededException'));
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const embedder = new CountingEmbedder(use);
      const index = new EmbeddedKnowledgeIndex(flaky, { embedder, adoptEveryMs: 0 });
      await index.search('flaky', 'parking', 3);
      await index.settled('flaky');
      expect((await index.search('flaky', 'do you have parking?', 3))[0]?.similarity).toBeGreaterThan(0);
      expect(embedder.texts).toBe(2 * 3 + 1);
      expect(warn.mock.calls.map((c) => String(c[0]))).toEqual(Array(3).fill(expect.stringContaining('could not look in the store for vectors kept meanwhile')));
    } finally {
      warn.mockRestore();
    }
  });

  it('falls back to BM25 alone when the embedder fails, and says so once', async () => {
    const failing: Embedder = { model: use.model, dimensions: 512, embed: () => Promise.reject(new Error('model missing')) };
    const degraded = jest.fn();
    const fallback = new EmbeddedKnowledgeIndex(store, { embedder: failing, onDegraded: degraded });
    const hits = await fallback.search('clinic', 'do you have parking?', 3);
    await fallback.search('clinic', 'opening hours', 3);
    expect(hits[0]?.passage.id).toBe('parking');
    expect(hits[0]?.similarity).toBeUndefined();
    expect(degraded).toHaveBeenCalledTimes(1);
  });
});

/**
 * The embedded knowledge index: the tenant's passages (and their stored
 * embeddings) are loaded from the knowledge store and indexed in memory —
 * BM25F postings plus a Float32Array matrix of unit vectors — and cached per
 * tenant and knowledge-base version. A question is embedded once and searched
 * with the hybrid ranking of core/answer/hybrid.ts. It serves the local cloud
 * and small tenants that choose `vectorStore: embedded` to avoid OpenSearch
 * Serverless's standing cost.
 *
 * Passages stored without an embedding of the embedder's model (imported before
 * embeddings were stored, or by another model) are embedded in the background
 * (BM25 alone answers meanwhile), a few at a time; vectors made this way are
 * remembered by content, so a new version (an admin edit) costs the edited
 * passages only. Once made, they are kept beside their passages in the store
 * (`storePassageVectors`), so the next container loads them instead of
 * embedding them again; and while a run goes on, vectors kept meanwhile by the
 * knowledge indexer (which embeds the same passages after an import) are taken
 * from the store instead of being made here as well. If embedding fails, search carries on with BM25 alone
 * and `onDegraded` is told once.
 */
import { DenseMatrix, embedInBatches, embedsLanguageOf, HybridIndex, passageEmbeddingModel, type FusionOptions } from '../../core/answer/hybrid';
import { plainPassage, type EmbeddedPassage, type Passage } from '../../core/answer/passages';
import type { Embedder, KnowledgeIndex, KnowledgeStore, RetrievedPassage, SearchOptions, TenantStore } from '../../core/ports';
import { useLiteEmbedder } from '../embeddings/use-lite';
import { warnDegraded } from '../warn';

export interface EmbeddedKnowledgeIndexOptions {
  /**
   * The sentence embedder of the semantic half; `null` for BM25 alone.
   * @default the process-wide USE-lite embedder (offline, English)
   */
  readonly embedder?: Embedder | null;
  /** @default DEFAULT_FUSION */
  readonly fusion?: FusionOptions;
  /** Tenants whose index is kept in memory, least recently used evicted first. @default 32 */
  readonly maxTenants?: number;
  /** Told (once per process) when embeddings failed and search fell back to BM25 alone. */
  readonly onDegraded?: (error: unknown) => void;
  /**
   * Passages stored without a vector: embed them in the `background` (answering with BM25 alone meanwhile) or
   * while the question waits (`blocking`).
   * @default 'background'
   */
  readonly embedMissing?: 'background' | 'blocking';
  /** Told when vectors made at load could not be kept in the store. @default a JSON warning line */
  readonly onKeepFailed?: (error: unknown) => void;
  /**
   * While embedding in the background, how often to look in the store for vectors kept meanwhile by someone
   * else (the knowledge indexer, another container), which are then taken instead of made.
   * @default 5000
   */
  readonly adoptEveryMs?: number;
}

interface CachedIndex {
  readonly version: number;
  readonly index: HybridIndex;
}

/** What a background run has taken from the store. */
interface Adoption {
  /** Content keys of the vectors taken from the store (not to be kept again). */
  readonly adopted: Set<string>;
  /** The store's vectors of the embedder's model at the last look (or at load). */
  seen: number;
}

interface VectorPlan {
  readonly embedder: Embedder | null;
  readonly passages: readonly EmbeddedPassage[];
  /** Vectors known now (stored with the passage, or made earlier in this process), by content key. */
  readonly known: Map<string, Float32Array>;
  readonly missing: readonly EmbeddedPassage[];
  readonly key: (p: EmbeddedPassage) => string;
}

/** Vectors this process made for passages stored without one, by model and content (any tenant, any version). */
const MADE_VECTORS_MAX = 10_000;

/**
 * Background embedding runs on the thread that answers: one passage (~50–100 ms of model time) per step, then
 * a pause, so a question arriving meanwhile waits for one step at most.
 */
const BACKGROUND_BATCH = 1;
const BACKGROUND_PAUSE_MS = 20;
/** How often a background run looks for vectors kept meanwhile (see `adoptEveryMs`). */
const ADOPT_EVERY_MS = 5_000;

/** Questions repeat (quick replies, FAQs): their embeddings are kept, least recently used evicted first. */
const QUERY_CACHE_SIZE = 512;

export class EmbeddedKnowledgeIndex implements KnowledgeIndex {
  private readonly cache = new Map<string, CachedIndex>();
  private readonly loading = new Map<string, Promise<CachedIndex>>();
  private readonly background = new Map<string, Promise<void>>();
  private readonly queryVectors = new Map<string, Float32Array>();
  private readonly made = new Map<string, Float32Array>();
  private readonly embedder: Embedder | null;
  private degraded = false;

  constructor(
    private readonly store: KnowledgeStore & TenantStore,
    private readonly options: EmbeddedKnowledgeIndexOptions = {},
  ) {
    this.embedder = options.embedder === undefined ? useLiteEmbedder() : options.embedder;
  }

  async search(tenantId: string, query: string, k: number, options: SearchOptions = {}): Promise<RetrievedPassage[]> {
    const index = await this.indexFor(tenantId, options.kbVersion);
    if (index.size === 0 || k <= 0) return [];
    const vector = index.dimensions === undefined ? undefined : await this.queryVector(query, options.next ?? []);
    return index.search(query, vector, k);
  }

  /**
   * The question's embedding, or undefined (BM25 alone) when there is no embedder or it failed. The queries that
   * may follow (`next`) are embedded in the same model call and kept: one call of two short texts costs USE-lite
   * ~11.5 ms against ~17 ms for two calls.
   */
  private async queryVector(query: string, next: readonly string[]): Promise<Float32Array | undefined> {
    const embedder = this.embedder;
    if (!embedder || !embedsLanguageOf(embedder, query)) return undefined;
    const cached = this.queryVectors.get(query);
    if (cached) {
      this.queryVectors.delete(query);
      this.queryVectors.set(query, cached);
      return cached;
    }
    const texts = [...new Set([query, ...next.filter((q) => !this.queryVectors.has(q) && embedsLanguageOf(embedder, q))])];
    try {
      await this.embedQueries(embedder, texts);
    } catch (error) {
      // The renderings to come are a saving, not a need: the question alone is tried again before search goes lexical.
      if (texts.length === 1) {
        this.degrade(error);
        return undefined;
      }
      try {
        await this.embedQueries(embedder, [query]);
      } catch (again) {
        this.degrade(again);
        return undefined;
      }
    }
    return this.queryVectors.get(query);
  }

  private async embedQueries(embedder: Embedder, texts: readonly string[]): Promise<void> {
    const vectors = await embedder.embed(texts);
    texts.forEach((text, i) => {
      const vector = vectors[i];
      if (!vector) return;
      this.queryVectors.set(text, Float32Array.from(vector));
      if (this.queryVectors.size > QUERY_CACHE_SIZE) this.queryVectors.delete(this.queryVectors.keys().next().value ?? '');
    });
  }

  /**
   * The tenant's index at its current knowledge-base version: the one the caller read (`kbVersion`), else the
   * profile's. Versions only grow, so a cached index at least as new as the caller's version serves it: a message
   * that read the profile just before an edit does not reload the index for each of its searches.
   */
  private async indexFor(tenantId: string, known?: number): Promise<HybridIndex> {
    const version = known ?? (await this.store.getProfile(tenantId))?.kbVersion ?? 0;
    const cached = this.cache.get(tenantId);
    if (cached && (known === undefined ? cached.version === version : cached.version >= known)) {
      this.cache.delete(tenantId);
      this.cache.set(tenantId, cached);
      return cached.index;
    }
    let pending = this.loading.get(tenantId);
    if (!pending) {
      pending = this.load(tenantId).finally(() => this.loading.delete(tenantId));
      this.loading.set(tenantId, pending);
    }
    return (await pending).index;
  }

  /** Resolves when the tenant's index has finished embedding the passages it had to embed itself (tests, warm-up). */
  async settled(tenantId: string): Promise<void> {
    await this.loading.get(tenantId);
    await this.background.get(tenantId);
  }

  private async load(tenantId: string): Promise<CachedIndex> {
    const { version, passages } = await this.store.listPassages(tenantId);
    const plain = passages.map(plainPassage);
    const plan = this.plan(passages);
    if (plan.missing.length === 0) return this.put(tenantId, version, plain, await this.complete(plan));
    if (this.options.embedMissing === 'blocking') {
      const entry = this.put(tenantId, version, plain, await this.complete(plan));
      this.inBackground(tenantId, this.keep(tenantId, plan));
      return entry;
    }
    // BM25 now; hybrid as soon as the missing passages are embedded (never hold an answer on a whole knowledge base).
    // The knowledge indexer is embedding the same passages after an import: what it keeps meanwhile is taken
    // from the store instead of being made here too.
    const entry = this.put(tenantId, version, plain, undefined);
    const adoption: Adoption = { adopted: new Set(), seen: passages.filter((p) => plan.embedder && p.embedding?.model === passageEmbeddingModel(plan.embedder)).length };
    const job = this.complete(plan, BACKGROUND_BATCH, () => this.adopt(tenantId, version, plan, adoption)).then(async (vectors) => {
      if (vectors && this.cache.get(tenantId)?.version === version) this.put(tenantId, version, plain, vectors);
      if (vectors) await this.keep(tenantId, plan, adoption.adopted);
    });
    this.inBackground(tenantId, job);
    return entry;
  }

  private inBackground(tenantId: string, job: Promise<void>): void {
    this.background.set(tenantId, job);
    void job.finally(() => {
      if (this.background.get(tenantId) === job) this.background.delete(tenantId);
    });
  }

  /**
   * Takes the vectors kept in the store since the plan was made into it (their keys into `adoption.adopted`);
   * returns whether the background run should go on: not once the knowledge base has moved on to another
   * version (the next search loads that one, and plans its own run). A failed look goes on embedding.
   */
  private async adopt(tenantId: string, version: number, plan: VectorPlan, adoption: Adoption): Promise<boolean> {
    const { embedder } = plan;
    if (!embedder) return false;
    const model = passageEmbeddingModel(embedder);
    try {
      // A count first (the store reads no texts or vectors for it); the passages only when it grew since the last look.
      const counts = this.store.countPassages ? await this.store.countPassages(tenantId) : undefined;
      if (counts && counts.version !== version) return false;
      if (counts && (counts.vectors[model] ?? 0) <= adoption.seen) return true;
      const now = await this.store.listPassages(tenantId);
      if (now.version !== version) return false;
      adoption.seen = 0;
      for (const p of now.passages) {
        if (p.embedding?.model !== model || p.embedding.vector.length !== embedder.dimensions) continue;
        adoption.seen++;
        const key = plan.key(p);
        if (plan.known.has(key)) continue;
        plan.known.set(key, p.embedding.vector);
        adoption.adopted.add(key);
      }
    } catch (error) {
      warnDegraded('embedded knowledge index: could not look in the store for vectors kept meanwhile; embedding them here')(error);
    }
    return true;
  }

  /** Keeps the vectors this index made for the plan's missing passages in the store (a failure only costs the next container the embedding). */
  private async keep(tenantId: string, plan: VectorPlan, adopted: ReadonlySet<string> = new Set()): Promise<void> {
    const { embedder } = plan;
    if (!embedder || !this.store.storePassageVectors) return;
    const model = passageEmbeddingModel(embedder);
    const made = plan.missing.flatMap((p): EmbeddedPassage[] => {
      if (adopted.has(plan.key(p))) return [];
      const vector = plan.known.get(plan.key(p));
      return vector ? [{ ...plainPassage(p), embedding: { model, vector } }] : [];
    });
    if (made.length === 0) return;
    try {
      await this.store.storePassageVectors(tenantId, made);
    } catch (error) {
      (this.options.onKeepFailed ?? warnDegraded('embedded knowledge index: vectors made at load could not be kept; the next container embeds them again'))(error);
    }
  }

  private put(tenantId: string, version: number, passages: readonly Passage[], vectors: DenseMatrix | undefined): CachedIndex {
    const entry: CachedIndex = { version, index: new HybridIndex(passages, vectors, { fusion: this.options.fusion }) };
    this.cache.delete(tenantId);
    this.cache.set(tenantId, entry);
    while (this.cache.size > (this.options.maxTenants ?? 32)) this.cache.delete(this.cache.keys().next().value ?? '');
    return entry;
  }

  /**
   * Where each passage's vector comes from: stored with it (of the embedder's model), made by this process
   * for the same text (an unchanged passage of an earlier version, the same text at another tenant), or still
   * missing.
   */
  private plan(passages: readonly EmbeddedPassage[]): VectorPlan {
    const embedder = this.embedder;
    const known = new Map<string, Float32Array>();
    const model = embedder ? passageEmbeddingModel(embedder) : '';
    const key = (p: EmbeddedPassage): string => JSON.stringify([model, p.title, p.text, p.phrasings ?? []]);
    if (!embedder || passages.length === 0) return { embedder: null, passages, known, missing: [], key };
    const missing: EmbeddedPassage[] = [];
    for (const p of passages) {
      const vector = p.embedding && p.embedding.model === model && p.embedding.vector.length === embedder.dimensions ? p.embedding.vector : this.made.get(key(p));
      if (vector) known.set(key(p), vector);
      else missing.push(p);
    }
    return { embedder, passages, known, missing, key };
  }

  /**
   * Embeds what the plan misses and builds the matrix; undefined means BM25 alone. With `batch`, a few
   * passages at a time, letting other work run in between (the model computes on this thread).
   */
  private async complete(plan: VectorPlan, batch = Infinity, adopt?: () => Promise<boolean>): Promise<DenseMatrix | undefined> {
    const { embedder } = plan;
    if (!embedder) return undefined;
    try {
      const every = this.options.adoptEveryMs ?? ADOPT_EVERY_MS;
      let checked = performance.now();
      const finished = await embedInBatches(embedder, plan.missing, {
        ...(Number.isFinite(batch) ? { batch, pauseMs: BACKGROUND_PAUSE_MS } : {}),
        needed: (p) => !plan.known.has(plan.key(p)),
        ...(adopt
          ? {
              beforeBatch: async () => {
                if (performance.now() - checked < every) return true;
                const goOn = await adopt();
                checked = performance.now();
                return goOn;
              },
            }
          : {}),
        onBatch: (round) => {
          for (const p of round) {
            if (!p.embedding) continue;
            plan.known.set(plan.key(p), p.embedding.vector);
            this.made.set(plan.key(p), p.embedding.vector);
            if (this.made.size > MADE_VECTORS_MAX) this.made.delete(this.made.keys().next().value ?? '');
          }
        },
      });
      if (!finished) return undefined;
      return new DenseMatrix(
        plan.passages.map((p) => plan.known.get(plan.key(p)) ?? []),
        embedder.dimensions,
      );
    } catch (error) {
      this.degrade(error);
      return undefined;
    }
  }

  private degrade(error: unknown): void {
    if (this.degraded) return;
    this.degraded = true;
    (this.options.onDegraded ?? ((e: unknown) => console.warn('embedded knowledge index: embeddings unavailable, searching with BM25 alone', e)))(error);
  }
}

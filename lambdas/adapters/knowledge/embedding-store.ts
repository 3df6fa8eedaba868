/**
 * Embeds passages where they are written. Wraps the knowledge store (DynamoDB):
 * a whole import (`replaceKnowledgeBase`) and an admin edit of one FAQ or
 * document (`replaceSource`) embed their passages once, store the vectors
 * beside the passages (so the embedded index loads without re-embedding), and
 * — with OpenSearch Serverless as the vector store — then write the same
 * passages and vectors to its index. The store stays the source of truth: it
 * is written first, and a failed index write fails the call, so re-running
 * the import (or the edit) brings the index back in line.
 *
 * Wiring (composition root): give the import and knowledge-item use cases
 * `new EmbeddingKnowledgeStore(store(), embedder, vectorStore === 'opensearch-serverless' ? openSearchIndex : undefined)`
 * instead of `store()`; nothing in the core changes.
 */
import { embedPassages, passageEmbeddingModel } from '../../core/answer/hybrid';
import type { EmbeddedPassage } from '../../core/answer/passages';
import type { KnowledgeBase } from '../../core/knowledge-base';
import type {
  Embedder,
  KnowledgeIndexWriter,
  KnowledgeItemStore,
  KnowledgeSourceChange,
  KnowledgeStore,
  TenantProfile,
  TenantStore,
} from '../../core/ports';

export interface EmbeddingKnowledgeStoreOptions {
  /** Told when passages could not be embedded and were stored without vectors (embedded index only). */
  readonly onEmbeddingFailed?: (error: unknown) => void;
  /**
   * Without an index of its own (the embedded index), how long one write may spend embedding: passages are
   * embedded a batch at a time until this is spent, and the rest are stored without vectors, which the embedded
   * index makes when it loads them. A large import through the admin API (a 1,000-chunk knowledge base is ~2,000
   * USE-lite embeddings) then still ends well inside the function's timeout. A vector index gets every vector,
   * whatever it takes.
   * @default no limit
   */
  readonly embedBudgetMs?: number;
  /** Passages per embedding call while a budget applies. @default 32 */
  readonly batchSize?: number;
  /** Milliseconds now, for the budget. @default performance.now */
  readonly now?: () => number;
}

export class EmbeddingKnowledgeStore implements KnowledgeStore, TenantStore, KnowledgeItemStore {
  constructor(
    private readonly inner: KnowledgeStore & TenantStore & KnowledgeItemStore,
    private readonly embedder: Embedder,
    private readonly index?: KnowledgeIndexWriter,
    private readonly options: EmbeddingKnowledgeStoreOptions = {},
  ) {}

  getProfile(tenantId: string): Promise<TenantProfile | undefined> {
    return this.inner.getProfile(tenantId);
  }

  putProfile(profile: TenantProfile): Promise<void> {
    return this.inner.putProfile(profile);
  }

  getKnowledgeBase(tenantId: string): Promise<KnowledgeBase | undefined> {
    return this.inner.getKnowledgeBase(tenantId);
  }

  listPassages(tenantId: string): Promise<{ version: number; passages: EmbeddedPassage[] }> {
    return this.inner.listPassages(tenantId);
  }

  readKnowledgeBase(tenantId: string): Promise<{ version: number; kb: KnowledgeBase } | undefined> {
    return this.inner.readKnowledgeBase(tenantId);
  }

  async replaceKnowledgeBase(tenantId: string, kb: KnowledgeBase, passages: readonly EmbeddedPassage[]): Promise<number> {
    const embedded = await this.embed(passages);
    const version = await this.inner.replaceKnowledgeBase(tenantId, kb, embedded);
    await this.index?.replaceAll(tenantId, embedded);
    return version;
  }

  async replaceSource(tenantId: string, expectedVersion: number, change: KnowledgeSourceChange): Promise<{ version: number } | 'stale'> {
    const embedded = await this.embed(change.passages);
    const result = await this.inner.replaceSource(tenantId, expectedVersion, { ...change, passages: embedded });
    if (result !== 'stale') await this.index?.replaceSource(tenantId, change.sourceId, embedded);
    return result;
  }

  /** The passages with embeddings of this embedder (those already embedded by it are kept). */
  private async embed(passages: readonly EmbeddedPassage[]): Promise<EmbeddedPassage[]> {
    const model = passageEmbeddingModel(this.embedder);
    const missing = passages.filter((p) => p.embedding?.model !== model);
    try {
      // Without a budget: every passage, in one call.
      const budget = this.index ? Infinity : (this.options.embedBudgetMs ?? Infinity);
      const batch = Number.isFinite(budget) ? Math.max(1, this.options.batchSize ?? 32) : Math.max(1, missing.length);
      const now = this.options.now ?? (() => performance.now());
      const started = now();
      const made = new Map<string, EmbeddedPassage>();
      for (let i = 0; i < missing.length && now() - started < budget; i += batch) {
        for (const p of await embedPassages(this.embedder, missing.slice(i, i + batch))) made.set(p.id, p);
      }
      return passages.map((p) => made.get(p.id) ?? p);
    } catch (error) {
      // A vector index cannot do without vectors; the embedded index can embed at load time.
      if (this.index) throw error;
      this.options.onEmbeddingFailed?.(error);
      return [...passages];
    }
  }
}

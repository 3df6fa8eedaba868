/**
 * Embeds passages where they are written, within a time budget, and hands the rest to the knowledge indexer.
 * Wraps the knowledge store (DynamoDB): a whole import (`replaceKnowledgeBase`) and an admin edit of one FAQ or
 * document (`replaceSource`) embed what they can of their passages in `embedBudgetMs`, store them with those
 * vectors (the embedded index loads them without re-embedding) and then report the change (`onChanged`: the
 * composition root publishes `knowledge.changed`). The knowledge indexer (core/knowledge-indexing.ts) embeds
 * the rest off the request path and, with OpenSearch Serverless, writes the collection's copy. The store stays
 * the source of truth and is written first; a write that fails to report is an error, and re-running the import
 * (or the edit, which then finds nothing to change: `sourceUnchanged`) reports it again.
 *
 * Wiring (composition root): give the import and knowledge-item use cases
 * `new EmbeddingKnowledgeStore(store(), embedder, { embedBudgetMs, onChanged })` instead of `store()`; nothing in
 * the core changes.
 */
import { embedInBatches, withoutVectors } from '../../core/answer/hybrid';
import type { EmbeddedPassage } from '../../core/answer/passages';
import type { KnowledgeBase } from '../../core/knowledge-base';
import type { KnowledgeChange } from '../../core/knowledge-indexing';
import type { Embedder, KnowledgeItemStore, KnowledgeSourceChange, KnowledgeStore, ReplaceKnowledgeBaseOptions, TenantProfile, TenantStore } from '../../core/ports';

export interface EmbeddingKnowledgeStoreOptions {
  /** Told when passages could not be embedded and were stored without vectors (the indexer embeds them). */
  readonly onEmbeddingFailed?: (error: unknown) => void;
  /**
   * How long one write may spend embedding: passages are embedded a batch at a time until this is spent, and the
   * rest are stored without vectors for the knowledge indexer. A large import through the admin API (a 1,000-chunk
   * knowledge base is ~2,000 embeddings) then still ends well inside the function's timeout.
   * @default no limit
   */
  readonly embedBudgetMs?: number;
  /** Passages per embedding call while a budget applies. @default 32 */
  readonly batchSize?: number;
  /** Milliseconds now, for the budget. @default performance.now */
  readonly now?: () => number;
  /** Told of every write once it is stored (the composition root publishes `knowledge.changed` for the indexer). */
  readonly onChanged?: (change: KnowledgeChange) => Promise<void>;
}

/** How many lately embedded passages a store keeps for retried edits (a document edit is at most a few hundred). */
const RECENT_PASSAGES = 500;
/** Everything of a passage but its vector: a passage edited in any part (an FAQ's phrasings too) is embedded afresh. */
const recentKey = (p: EmbeddedPassage): string => JSON.stringify([p.id, p.kind, p.sourceId, p.title, p.text, p.phrasings ?? []]);

export class EmbeddingKnowledgeStore implements KnowledgeStore, TenantStore, KnowledgeItemStore {
  constructor(
    private readonly inner: KnowledgeStore & TenantStore & KnowledgeItemStore,
    private readonly embedder: Embedder,
    private readonly options: EmbeddingKnowledgeStoreOptions = {},
  ) {}

  getProfile(tenantId: string): Promise<TenantProfile | undefined> {
    return this.inner.getProfile(tenantId);
  }

  putProfile(profile: TenantProfile): Promise<void> {
    return this.inner.putProfile(profile);
  }

  updateBusiness(tenantId: string, business: Pick<TenantProfile, 'name' | 'slug' | 'timezone' | 'languages'>): Promise<void> {
    return this.inner.updateBusiness(tenantId, business);
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

  async replaceKnowledgeBase(tenantId: string, kb: KnowledgeBase, passages: readonly EmbeddedPassage[], options?: ReplaceKnowledgeBaseOptions): Promise<number> {
    const version = await this.inner.replaceKnowledgeBase(tenantId, kb, await this.embed(passages), options);
    await this.options.onChanged?.({ tenantId, version });
    return version;
  }

  async replaceSource(tenantId: string, expectedVersion: number, change: KnowledgeSourceChange): Promise<{ version: number } | 'stale'> {
    const result = await this.inner.replaceSource(tenantId, expectedVersion, { ...change, passages: await this.embed(change.passages) });
    if (result !== 'stale') await this.options.onChanged?.({ tenantId, version: result.version, sourceId: change.sourceId });
    return result;
  }

  async sourceUnchanged(tenantId: string, version: number, sourceId: string): Promise<void> {
    await this.options.onChanged?.({ tenantId, version, sourceId });
  }

  /**
   * Passages this store embedded lately, by all they say: an edit retried because another landed first
   * (core/knowledge-items.ts) writes the same passages again and is not embedded (and paid for) again.
   */
  private readonly recent = new Map<string, EmbeddedPassage>();

  private remember(p: EmbeddedPassage): void {
    this.recent.set(recentKey(p), p);
    while (this.recent.size > RECENT_PASSAGES) this.recent.delete(this.recent.keys().next().value ?? '');
  }

  /** The passages, with embeddings of this embedder for as many as the budget allowed (those already embedded by it are kept). */
  private async embed(given: readonly EmbeddedPassage[]): Promise<EmbeddedPassage[]> {
    const passages = given.map((p) => {
      const embedding = this.recent.get(recentKey(p))?.embedding;
      return embedding && !p.embedding ? { ...p, embedding } : p;
    });
    const made = new Map<string, EmbeddedPassage>();
    const { embedBudgetMs, batchSize, now } = this.options;
    try {
      await embedInBatches(this.embedder, withoutVectors(this.embedder, passages), {
        // Without a budget: every passage, in one call.
        ...(embedBudgetMs !== undefined ? { budgetMs: embedBudgetMs, batch: batchSize ?? 32 } : {}),
        ...(now ? { now } : {}),
        onBatch: (round) =>
          round.forEach((p) => {
            made.set(p.id, p);
            this.remember(p);
          }),
      });
    } catch (error) {
      // Stored as far as embedded: the knowledge indexer embeds the rest.
      this.options.onEmbeddingFailed?.(error);
    }
    return passages.map((p) => made.get(p.id) ?? p);
  }
}

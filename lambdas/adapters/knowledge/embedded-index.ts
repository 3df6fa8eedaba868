/**
 * The embedded knowledge index: the tenant's passages are loaded from the
 * knowledge store and indexed in memory, cached per tenant and knowledge-base
 * version. It serves the local cloud and small tenants that choose
 * `vectorStore: embedded` to avoid OpenSearch Serverless's standing cost.
 */
import { Bm25Index } from '../../core/answer/bm25';
import type { KnowledgeIndex, KnowledgeStore, RetrievedPassage, TenantStore } from '../../core/ports';

interface CachedIndex {
  readonly version: number;
  readonly index: Bm25Index;
}

export class EmbeddedKnowledgeIndex implements KnowledgeIndex {
  private readonly cache = new Map<string, CachedIndex>();
  private readonly loading = new Map<string, Promise<CachedIndex>>();

  constructor(private readonly store: KnowledgeStore & TenantStore) {}

  async search(tenantId: string, query: string, k: number): Promise<RetrievedPassage[]> {
    const index = await this.indexFor(tenantId);
    return index.search(query, k);
  }

  private async indexFor(tenantId: string): Promise<Bm25Index> {
    const version = (await this.store.getProfile(tenantId))?.kbVersion ?? 0;
    const cached = this.cache.get(tenantId);
    if (cached && cached.version === version) return cached.index;
    let pending = this.loading.get(tenantId);
    if (!pending) {
      pending = this.store
        .listPassages(tenantId)
        .then(({ version: loaded, passages }) => {
          const entry = { version: loaded, index: new Bm25Index(passages) };
          this.cache.set(tenantId, entry);
          return entry;
        })
        .finally(() => this.loading.delete(tenantId));
      this.loading.set(tenantId, pending);
    }
    return (await pending).index;
  }
}

/**
 * An in-memory KnowledgeStore & TenantStore for retrieval tests and the
 * retrieval benchmark: passages (with their embeddings) per tenant, and a
 * profile whose kbVersion is bumped by every change, as the DynamoDB store does.
 */
import { sameContent, type EmbeddedPassage } from '../../lambdas/core/answer/passages';
import type { KnowledgeBase } from '../../lambdas/core/knowledge-base';
import { countsOf } from '../../lambdas/core/knowledge-indexing';
import type { KnowledgeItemStore, KnowledgeSourceChange, KnowledgeStore, PassageCounts, ReplaceKnowledgeBaseOptions, TenantProfile, TenantStore } from '../../lambdas/core/ports';
import { preconditionFailed } from '../../lambdas/core/errors';

export class MemoryKnowledgeStore implements KnowledgeStore, TenantStore, KnowledgeItemStore {
  private readonly profiles = new Map<string, TenantProfile>();
  private readonly passages = new Map<string, Map<string, EmbeddedPassage>>();
  private readonly kbs = new Map<string, KnowledgeBase>();
  /** Calls of listPassages, to check caching. */
  listCalls = 0;

  async getProfile(tenantId: string): Promise<TenantProfile | undefined> {
    return this.profiles.get(tenantId);
  }

  async putProfile(profile: TenantProfile): Promise<void> {
    this.profiles.set(profile.tenantId, profile);
  }
  async updateBusiness(tenantId: string, business: Pick<TenantProfile, 'name' | 'slug' | 'timezone' | 'languages'>): Promise<void> {
    const profile = await this.getProfile(tenantId);
    if (profile) await this.putProfile({ ...profile, ...business, languages: [...business.languages] });
  }


  async getKnowledgeBase(tenantId: string): Promise<KnowledgeBase | undefined> {
    return this.kbs.get(tenantId);
  }

  async listPassages(tenantId: string): Promise<{ version: number; passages: EmbeddedPassage[] }> {
    this.listCalls++;
    return { version: this.version(tenantId), passages: [...(this.passages.get(tenantId)?.values() ?? [])] };
  }

  /** As DynamoStore's: the passages and their vectors by model, counted (`countCalls` counts the calls). */
  async countPassages(tenantId: string): Promise<PassageCounts> {
    this.countCalls++;
    return countsOf(this.version(tenantId), [...(this.passages.get(tenantId)?.values() ?? [])]);
  }

  countCalls = 0;

  async replaceKnowledgeBase(tenantId: string, kb: KnowledgeBase, passages: readonly EmbeddedPassage[], options: ReplaceKnowledgeBaseOptions = {}): Promise<number> {
    if (options.expectedVersion !== undefined && options.expectedVersion !== this.version(tenantId)) throw preconditionFailed('the knowledge base changed');
    this.kbs.set(tenantId, kb);
    this.passages.set(tenantId, new Map(passages.map((p) => [p.id, p])));
    const version = this.bump(tenantId);
    this.imports.set(tenantId, version);
    return version;
  }

  async readKnowledgeBase(tenantId: string): Promise<{ version: number; kb: KnowledgeBase } | undefined> {
    const kb = this.kbs.get(tenantId);
    return kb ? { version: this.version(tenantId), kb } : undefined;
  }

  async replaceSource(tenantId: string, expectedVersion: number, change: KnowledgeSourceChange): Promise<{ version: number } | 'stale'> {
    if (this.version(tenantId) !== expectedVersion) return 'stale';
    const map = this.passages.get(tenantId) ?? new Map<string, EmbeddedPassage>();
    for (const [id, p] of map) if (p.sourceId === change.sourceId) map.delete(id);
    for (const p of change.passages) map.set(p.id, p);
    this.passages.set(tenantId, map);
    this.kbs.set(tenantId, change.kb);
    return { version: this.bump(tenantId) };
  }

  /** As DynamoStore's: onto passages with the same id, title, alternative wordings and text, and no vector of that model. */
  async storePassageVectors(tenantId: string, passages: readonly EmbeddedPassage[]): Promise<number> {
    const map = this.passages.get(tenantId);
    let kept = 0;
    for (const p of passages) {
      const stored = map?.get(p.id);
      if (!map || !p.embedding || !stored || !sameContent(stored, p) || stored.embedding?.model === p.embedding.model) continue;
      map.set(p.id, { ...stored, embedding: p.embedding });
      kept++;
    }
    return kept;
  }

  private readonly indexed = new Map<string, { version: number; importVersion: number }>();
  /** The version each tenant's last import made (its edits come after it). */
  private readonly imports = new Map<string, number>();

  /** As DynamoStore's: a whole write records the import it holds, when `version` descends from the current one. */
  async markIndexed(tenantId: string, version: number, scope: { readonly whole: boolean }): Promise<void> {
    const mark = this.indexed.get(tenantId) ?? { version: 0, importVersion: 0 };
    const current = this.imports.get(tenantId) ?? 0;
    const importVersion = scope.whole && current <= version ? Math.max(current, mark.importVersion) : mark.importVersion;
    this.indexed.set(tenantId, { version: Math.max(version, mark.version), importVersion });
  }

  async indexedVersion(tenantId: string): Promise<number> {
    const mark = this.indexed.get(tenantId);
    return mark && mark.importVersion === (this.imports.get(tenantId) ?? 0) ? mark.version : 0;
  }

  /** Adds or replaces passages by id (what an admin edit does), bumping the version. */
  async upsert(tenantId: string, passages: readonly EmbeddedPassage[]): Promise<number> {
    const map = this.passages.get(tenantId) ?? new Map<string, EmbeddedPassage>();
    for (const p of passages) map.set(p.id, p);
    this.passages.set(tenantId, map);
    return this.bump(tenantId);
  }

  async remove(tenantId: string, ids: readonly string[]): Promise<number> {
    const map = this.passages.get(tenantId);
    for (const id of ids) map?.delete(id);
    return this.bump(tenantId);
  }

  private version(tenantId: string): number {
    return this.profiles.get(tenantId)?.kbVersion ?? 0;
  }

  private bump(tenantId: string): number {
    const version = this.version(tenantId) + 1;
    this.profiles.set(tenantId, { ...(this.profiles.get(tenantId) ?? blankProfile(tenantId)), kbVersion: version });
    return version;
  }
}

function blankProfile(tenantId: string): TenantProfile {
  return {
    tenantId,
    name: tenantId,
    slug: tenantId,
    timezone: 'UTC',
    languages: ['en'],
    widgetKey: `wk_${tenantId}`,
    allowedOrigins: [],
    theme: { colour: '#000000', position: 'right', greeting: {} },
    kbVersion: 0,
  };
}

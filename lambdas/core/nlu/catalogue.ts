/**
 * What the NLU and the policy need to know about a tenant besides its
 * passages: business contact details, opening hours, services, staff and the
 * FAQ questions (extra `question` training examples). Loaded from the
 * knowledge store and cached per tenant and knowledge-base version.
 */
import type { Business, OpeningHours, Service, StaffMember } from '../knowledge-base';
import type { KnowledgeStore } from '../ports';

export interface TenantCatalogue {
  readonly version: number;
  readonly business: Business;
  readonly hours: readonly OpeningHours[];
  readonly services: readonly Service[];
  readonly staff: readonly StaffMember[];
  readonly faqQuestions: readonly string[];
}

/** Reads a tenant's catalogue. */
export interface CatalogueSource {
  /** `version` (the profile's kbVersion) lets a cached catalogue be reused without a read. */
  catalogue(tenantId: string, version?: number): Promise<TenantCatalogue | undefined>;
}

/** Without a version to compare, a cached catalogue is trusted this long. */
const UNVERSIONED_TTL_MS = 30_000;

export class CachedCatalogue implements CatalogueSource {
  private readonly cache = new Map<string, { catalogue: TenantCatalogue; at: number }>();

  constructor(
    private readonly store: Pick<KnowledgeStore, 'getKnowledgeBase'> & { getProfile(tenantId: string): Promise<{ kbVersion: number } | undefined> },
    private readonly now: () => number = () => Date.now(),
  ) {}

  async catalogue(tenantId: string, version?: number): Promise<TenantCatalogue | undefined> {
    const hit = this.cache.get(tenantId);
    // Versions only grow: a catalogue at least as new as the caller's version serves it (a message that read the
    // profile just before an edit does not reload it).
    if (hit && (version === undefined ? this.now() - hit.at < UNVERSIONED_TTL_MS : hit.catalogue.version >= version)) return hit.catalogue;
    const [kb, profile] = await Promise.all([this.store.getKnowledgeBase(tenantId), version === undefined ? this.store.getProfile(tenantId) : undefined]);
    if (!kb) return undefined;
    const catalogue: TenantCatalogue = {
      version: version ?? profile?.kbVersion ?? 0,
      business: kb.business,
      hours: kb.hours,
      services: kb.services,
      staff: kb.staff,
      // An FAQ's alternative wordings are questions customers ask too: more examples of the question intent.
      faqQuestions: kb.faqs.flatMap((f) => [f.question, ...(f.alternatives ?? [])]),
    };
    this.cache.set(tenantId, { catalogue, at: this.now() });
    return catalogue;
  }
}

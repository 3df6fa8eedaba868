/**
 * Knowledge-base use cases: import a knowledge-base file (replacing the
 * tenant's current one atomically) and provision a tenant around one.
 */
import { chunkDocument, faqPassage, type Passage } from './answer/passages';
import type { KnowledgeBase } from './knowledge-base';
import type { KnowledgeStore, TenantProfile, TenantStore } from './ports';

export interface ImportCounts {
  readonly faqs: number;
  readonly documents: number;
  readonly chunks: number;
  readonly services: number;
  readonly staff: number;
}

export function passagesOf(kb: KnowledgeBase): Passage[] {
  return [...kb.faqs.map(faqPassage), ...kb.documents.flatMap(chunkDocument)];
}

export async function importKnowledgeBase(store: KnowledgeStore & TenantStore, tenantId: string, kb: KnowledgeBase): Promise<ImportCounts> {
  const passages = passagesOf(kb);
  const profile = await store.getProfile(tenantId);
  if (profile) {
    await store.putProfile({ ...profile, name: kb.business.name, slug: kb.business.slug, timezone: kb.business.timezone, languages: kb.business.languages });
  }
  await store.replaceKnowledgeBase(tenantId, kb, passages);
  return {
    faqs: kb.faqs.length,
    documents: kb.documents.length,
    chunks: passages.length - kb.faqs.length,
    services: kb.services.length,
    staff: kb.staff.length,
  };
}

/** Creates (or refreshes) a tenant's profile from a knowledge base and imports it. */
export async function provisionTenant(
  store: KnowledgeStore & TenantStore,
  input: { tenantId: string; widgetKey: string; allowedOrigins: readonly string[]; kb: KnowledgeBase; theme?: Partial<TenantProfile['theme']> },
): Promise<ImportCounts> {
  const existing = await store.getProfile(input.tenantId);
  const { business } = input.kb;
  await store.putProfile({
    tenantId: input.tenantId,
    name: business.name,
    slug: business.slug,
    timezone: business.timezone,
    languages: business.languages,
    widgetKey: input.widgetKey,
    allowedOrigins: input.allowedOrigins.map((o) => o.toLowerCase()),
    theme: {
      colour: input.theme?.colour ?? existing?.theme.colour ?? '#0f766e',
      position: input.theme?.position ?? existing?.theme.position ?? 'right',
      greeting: input.theme?.greeting ??
        existing?.theme.greeting ?? {
          en: `Hi! I'm the ${business.name} concierge. How can I help?`,
          es: `¡Hola! Soy el asistente de ${business.name}. ¿En qué puedo ayudarle?`,
        },
      ...(input.theme?.logoUrl ? { logoUrl: input.theme.logoUrl } : {}),
    },
    kbVersion: existing?.kbVersion ?? 0,
  });
  return importKnowledgeBase(store, input.tenantId, input.kb);
}

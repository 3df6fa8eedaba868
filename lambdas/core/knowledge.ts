/**
 * Knowledge-base use cases: import a knowledge-base file (replacing the
 * tenant's current one atomically) and provision a tenant around one.
 */
import { chunkDocument, faqPassage, type Passage } from './answer/passages';
import { assertSensibleServices, assertStorable, type KnowledgeBase } from './knowledge-base';
import { checkPrecondition, type ItemPrecondition } from './knowledge-items';
import type { KnowledgeItemStore, KnowledgeStore, TenantProfile, TenantStore } from './ports';

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

/** The entity tag of a whole knowledge base (`ETag` of GET, `If-Match` of an import): its version. */
export function knowledgeBaseTag(version: number): string {
  return `"kb-${version}"`;
}

export interface ImportOptions {
  /**
   * `If-Match`: the import applies only while the knowledge base is at one of these tags (`*`: one exists), so an
   * editor that read it (the Services page) does not undo an FAQ or document saved meanwhile. `If-None-Match: *`:
   * only when there is none yet.
   */
  readonly precondition?: ItemPrecondition;
}

/**
 * Replaces the tenant's knowledge base with `kb`, and copies the business's name, slug and time zone to its
 * profile. Languages are also set on the Widget page, which does not change the file: the file's languages
 * replace the profile's only when they differ from the file imported before (an export imported again, or the
 * Services page saving prices, keeps what the Widget page chose).
 */
export async function importKnowledgeBase(
  store: KnowledgeStore & TenantStore & Pick<KnowledgeItemStore, 'readKnowledgeBase'>,
  tenantId: string,
  kb: KnowledgeBase,
  options: ImportOptions = {},
): Promise<ImportCounts & { version: number }> {
  assertStorable(kb);
  assertSensibleServices(kb);
  const passages = passagesOf(kb);
  // Read consistently: the version decides the precondition, the file's languages whether the import changes them.
  const current = await store.readKnowledgeBase(tenantId);
  const expectedVersion = checkImportPrecondition(options.precondition, current?.version ?? 0);
  const version = await store.replaceKnowledgeBase(tenantId, kb, passages, expectedVersion !== undefined ? { expectedVersion } : {});
  const profile = await store.getProfile(tenantId);
  if (profile) {
    const previousLanguages = current?.kb.business.languages;
    const languages = previousLanguages && sameSet(previousLanguages, kb.business.languages) ? profile.languages : kb.business.languages;
    // Only these fields: a whole profile written back could undo the version the import (or an edit) just set.
    await store.updateBusiness(tenantId, { name: kb.business.name, slug: kb.business.slug, timezone: kb.business.timezone, languages });
  }
  return {
    faqs: kb.faqs.length,
    documents: kb.documents.length,
    chunks: passages.length - kb.faqs.length,
    services: kb.services.length,
    staff: kb.staff.length,
    version,
  };
}

/** The version an import must find (from `If-Match` / `If-None-Match`), or undefined when any will do; 412 when it cannot apply. */
function checkImportPrecondition(precondition: ItemPrecondition | undefined, current: number): number | undefined {
  checkPrecondition(precondition, 'the knowledge base', current > 0 ? knowledgeBaseTag(current) : undefined);
  return precondition?.ifMatch !== undefined || precondition?.ifNoneMatch !== undefined ? current : undefined;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/**
 * Creates (or refreshes) a tenant's profile from a knowledge base and imports it. What the knowledge base does not
 * hold (the widget's look and languages, message limits) is kept from the existing profile.
 */
export async function provisionTenant(
  store: KnowledgeStore & TenantStore & Pick<KnowledgeItemStore, 'readKnowledgeBase'>,
  input: { tenantId: string; widgetKey: string; allowedOrigins: readonly string[]; kb: KnowledgeBase; theme?: Partial<TenantProfile['theme']> },
): Promise<ImportCounts> {
  const existing = await store.getProfile(input.tenantId);
  const { business } = input.kb;
  await store.putProfile({
    tenantId: input.tenantId,
    name: business.name,
    slug: business.slug,
    timezone: business.timezone,
    // The Widget page's choice; the import below sets the file's languages when they changed (importKnowledgeBase).
    languages: existing?.languages ?? business.languages,
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
      ...((input.theme?.logoUrl ?? existing?.theme.logoUrl) ? { logoUrl: input.theme?.logoUrl ?? existing?.theme.logoUrl } : {}),
    },
    kbVersion: existing?.kbVersion ?? 0,
    // Set by staff (or the eval), not by the knowledge base.
    ...(existing?.limits ? { limits: existing.limits } : {}),
  });
  return importKnowledgeBase(store, input.tenantId, input.kb);
}

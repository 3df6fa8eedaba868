/**
 * How the Services & hours page saves: its part of the knowledge base (services, staff, weekly hours) onto the
 * knowledge base as it is now.
 */
import type { BookingException, BookingSettings } from '../../api/bookings';
import type { ApiClient } from '../../api/client';
import type { KnowledgeBase, Service } from '../../api/types';
import { ApiError } from '../../lib/api-error';

/** A reply language's name for the services page (the language the concierge answers a customer in). */
export const LANGUAGE_LABELS = { en: 'English', es: 'Spanish' } as const;

/**
 * A service's names with the one in `lang` typed (blank: none, so it is called by its own name there), or undefined
 * when none is left: the server refuses an empty name.
 */
export function namesWith(names: Service['names'], lang: keyof typeof LANGUAGE_LABELS, typed: string): Service['names'] {
  const { [lang]: _previous, ...others } = names ?? {};
  const next = typed.trim() === '' ? others : { ...others, [lang]: typed };
  return Object.keys(next).length > 0 ? next : undefined;
}

/** What this page edits of the knowledge base; the rest (FAQs, documents, business) is someone else's. */
export const catalogueOf = (kb: KnowledgeBase): Pick<KnowledgeBase, 'services' | 'staff' | 'hours'> => ({ services: kb.services, staff: kb.staff, hours: kb.hours });

export class CatalogueConflict extends Error {
  constructor() {
    super('Someone else changed the services, staff or hours since you opened this page. Reload to see their change, then make yours again.');
  }
}

/**
 * Saves the page's services, staff and hours onto the knowledge base as it is now, not as it was when the page
 * opened: an FAQ or a document saved meanwhile stays. The import names the version it was made from (If-Match),
 * so one saved between the read and the import is not undone either: the page reads again and retries. Services,
 * staff or hours changed by someone else since the page read them are a conflict, never overwritten.
 */
export async function saveCatalogue(api: Pick<ApiClient, 'getKnowledgeTagged' | 'importKnowledge'>, baseline: KnowledgeBase, edited: KnowledgeBase): Promise<KnowledgeBase> {
  for (let attempt = 1; ; attempt++) {
    const { kb: current, etag } = await api.getKnowledgeTagged();
    if (JSON.stringify(catalogueOf(current)) !== JSON.stringify(catalogueOf(baseline))) throw new CatalogueConflict();
    const next: KnowledgeBase = { ...current, ...catalogueOf(edited) };
    try {
      await api.importKnowledge(next, etag ? { headers: { 'If-Match': etag } } : {});
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 412) || attempt >= 3) throw err;
      continue;
    }
    // As the server stored it (it trims names and descriptions): the baseline of the next save.
    return (await api.getKnowledgeTagged()).kb;
  }
}

/**
 * The settings without a staff member's exceptions (time off): removing the member on the page removes them too,
 * in the same save, as removing a service removes its buffer. The server refuses exceptions naming staff it does
 * not know.
 */
export function withoutStaff(settings: BookingSettings, staffId: string): BookingSettings {
  return { ...settings, exceptions: settings.exceptions.filter((e) => e.staffId !== staffId) };
}

/**
 * The exceptions sent that the server did not store: those of staff no longer on the team (removed elsewhere,
 * e.g. by a knowledge-base import), which it drops rather than refuse the save (docs/decisions.md, 100).
 */
export function droppedExceptions(sent: BookingSettings, stored: BookingSettings): BookingException[] {
  const kept = new Set(stored.exceptions.map((e) => e.id));
  return sent.exceptions.filter((e) => !kept.has(e.id));
}

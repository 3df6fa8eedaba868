import type { Faq } from '../api/types';

/** Lower case, accents removed: "Café" matches "cafe". */
export function normalizeForSearch(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

/** FAQs whose question, answer or category contain every word of the query. */
export function filterFaqs<T extends Faq>(faqs: readonly T[], query: string): T[] {
  const words = normalizeForSearch(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...faqs];
  return faqs.filter((faq) => {
    const haystack = normalizeForSearch(`${faq.question}\n${(faq.alternatives ?? []).join('\n')}\n${faq.answer}\n${faq.category}`);
    return words.every((w) => haystack.includes(w));
  });
}

/**
 * The knowledge-base file format: what a business is, when it is open, what it
 * sells, who works there, and what it knows. Used for the demo seed and for
 * import through the admin API. Documented in docs/knowledge-base-format.md.
 */
import { z } from 'zod';
import { badRequest, DomainError } from './errors';
import { REPLY_LANGUAGES, type ReplyLanguage } from './nlu/language';
import { PHONE_COUNTRIES } from './phone-countries';

const itemId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be 1-64 characters of a-z 0-9 _ - (lower case)');
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour time HH:MM');
const timezone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as Europe/Madrid');

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

export const businessSchema = z.strictObject({
  name: z.string().trim().min(1).max(120),
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{1,39}$/, 'must be 2-40 characters of a-z 0-9 -'),
  timezone,
  phone: z.string().trim().min(3).max(40),
  /** Where customers' local numbers are read (core/phone.ts); the country of `phone` when absent. */
  country: z
    .string()
    .regex(/^[A-Z]{2}$/, { message: 'must be a two-letter ISO 3166 country code in capitals, such as IE', abort: true })
    .refine((c) => PHONE_COUNTRIES.has(c), 'must be a country with a telephone numbering plan, such as IE')
    .optional(),
  email: z.email(),
  address: z.string().trim().min(1).max(300),
  website: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  // The languages the concierge answers in: those it has replies and notices for (nlu/language.ts). Another one would
  // be shown to no customer, and the widget's settings, which start from these, could not be saved.
  languages: z
    .array(z.enum(REPLY_LANGUAGES, { error: `must be one of the languages the concierge answers in: ${REPLY_LANGUAGES.join(', ')}` }))
    .min(1)
    .max(REPLY_LANGUAGES.length)
    .refine((l) => new Set(l).size === l.length, 'must not repeat a language'),
});

export const hoursSchema = z
  .strictObject({ day: z.enum(weekdays), open: hhmm, close: hhmm })
  .refine((h) => h.open < h.close, { message: 'open must be before close', path: ['close'] });

const serviceName = z.string().trim().min(1).max(120);

export const serviceSchema = z.strictObject({
  id: itemId,
  name: serviceName,
  /**
   * The name in a reply language, where it differs ("Revisión y limpieza" for "Check-up & clean"): replies, quick
   * replies and notices in that language use it, and customers may name the service by it.
   */
  names: z.strictObject({ en: serviceName.optional(), es: serviceName.optional() }).optional(),
  durationMinutes: z.number().int().min(5).max(24 * 60),
  priceCents: z.number().int().min(0),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR'),
  depositCents: z.number().int().min(0),
  description: z.string().trim().max(2000),
  /**
   * The largest party the concierge books online ("a table for 10" at a restaurant that seats 8 at most): a bigger
   * group is told so and offered a person. Absent: up to 50 (core/booking/ports.ts PARTY_SIZE_MAX).
   */
  maxPartySize: z.number().int().min(1).max(50).optional(),
});

export const staffSchema = z.strictObject({
  id: itemId,
  name: z.string().trim().min(1).max(120),
  role: z.string().trim().min(1).max(120),
  serviceIds: z.array(itemId),
});

export const faqSchema = z.strictObject({
  id: itemId,
  question: z.string().trim().min(3).max(500),
  answer: z.string().trim().min(1).max(4000),
  category: z.string().trim().min(1).max(60),
  /**
   * Other ways customers ask this question ("what to avoid after a tooth out" for an extraction-aftercare FAQ),
   * searched like the question itself: the owner's remedy when the concierge misses a wording.
   */
  alternatives: z.array(z.string().trim().min(3).max(500)).max(20).optional(),
});

/**
 * How a document's text is written, which decides how it is split into passages and quoted (answer/passages.ts,
 * adapters/llm/extractive.ts):
 * - `markdown`: headings (`#`, or a line underlined with `===`/`---`) open sections; links, tables, rules, code
 *   fences and emphasis are Markdown;
 * - `text`: plain text, nothing is markup ("# of visits" is a sentence); it is split on blank lines only;
 * - `pdf`: the text read from a PDF file: plain text, except the `## ` heading lines the PDF reader writes for lines set
 *   in larger type (adapters/documents/pdf-text.ts).
 */
export const DOCUMENT_FORMATS = ['text', 'markdown', 'pdf'] as const;
export const documentFormatSchema = z.enum(DOCUMENT_FORMATS, { error: `must be one of ${DOCUMENT_FORMATS.join(', ')}` });
export type DocumentFormat = z.infer<typeof documentFormatSchema>;

export const documentSchema = z.strictObject({
  id: itemId,
  title: z.string().trim().min(1).max(200),
  /**
   * Absent: Markdown. A file written before documents had a format, and every document stored before then, was
   * always read as Markdown; absent keeps reading them so, so nothing already indexed changes.
   */
  format: documentFormatSchema.optional(),
  text: z.string().trim().min(1).max(200_000),
});

/** A document's format: its own, or Markdown when it has none (decision 95). */
export function formatOf(document: { readonly format?: DocumentFormat | undefined }): DocumentFormat {
  return document.format ?? 'markdown';
}

function uniqueIds(items: readonly { id: string }[], ctx: z.RefinementCtx, path: string): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.id)) ctx.addIssue({ code: 'custom', message: `duplicate id "${item.id}"`, path: [path, i, 'id'] });
    seen.add(item.id);
  });
}

export const knowledgeBaseSchema = z
  .strictObject({
    business: businessSchema,
    hours: z.array(hoursSchema).max(21),
    services: z.array(serviceSchema).max(200),
    staff: z.array(staffSchema).max(200),
    faqs: z.array(faqSchema).max(2000),
    documents: z.array(documentSchema).max(200),
  })
  .superRefine((kb, ctx) => {
    uniqueIds(kb.services, ctx, 'services');
    uniqueIds(kb.staff, ctx, 'staff');
    uniqueIds(kb.faqs, ctx, 'faqs');
    uniqueIds(kb.documents, ctx, 'documents');
    const serviceIds = new Set(kb.services.map((s) => s.id));
    kb.staff.forEach((member, i) =>
      member.serviceIds.forEach((sid, j) => {
        if (!serviceIds.has(sid)) ctx.addIssue({ code: 'custom', message: `unknown service "${sid}"`, path: ['staff', i, 'serviceIds', j] });
      }),
    );
  });

export type KnowledgeBase = z.infer<typeof knowledgeBaseSchema>;
export type Business = z.infer<typeof businessSchema>;
/**
 * The largest knowledge base that can be stored: the file is one DynamoDB item (at most 400 KB with its keys and
 * attribute names). An import or an edit that would pass it is refused with a 413 before anything is written or embedded.
 */
export const MAX_STORED_KB_BYTES = 390_000;

/**
 * Refuses (400, naming the field) a service whose deposit is more than its price: a typo (950000 for 9500 cents)
 * would charge customers a €9,500 deposit for a €95 visit. Checked when a knowledge base is written, not when one
 * is read, so a file stored before the check still loads (and is refused only when next saved unchanged).
 */
export function assertSensibleServices(kb: Pick<KnowledgeBase, 'services'>): void {
  kb.services.forEach((s, i) => {
    if (s.depositCents > s.priceCents) {
      throw badRequest(`the deposit of "${s.name}" (${s.depositCents / 100} ${s.currency}) is more than its price (${s.priceCents / 100} ${s.currency})`, `services.${i}.depositCents`);
    }
  });
}

/** Refuses (413) a knowledge base larger than can be stored. */
export function assertStorable(kb: KnowledgeBase): void {
  const bytes = new TextEncoder().encode(JSON.stringify(kb)).length;
  if (bytes > MAX_STORED_KB_BYTES) {
    throw new DomainError(
      'payload_too_large',
      `the knowledge base would be ${Math.ceil(bytes / 1000)} KB; at most ${MAX_STORED_KB_BYTES / 1000} KB can be stored: shorten or split documents`,
    );
  }
}

export type Service = z.infer<typeof serviceSchema>;

/** A service's name in a reply language: its own name there when it has one, else its name. */
export function serviceNameIn(service: Pick<Service, 'name' | 'names'>, lang: string): string {
  return (lang === 'en' || lang === 'es' ? service.names?.[lang] : undefined) ?? service.name;
}
export type StaffMember = z.infer<typeof staffSchema>;
export type Faq = z.infer<typeof faqSchema>;
export type KbDocument = z.infer<typeof documentSchema>;
export type OpeningHours = z.infer<typeof hoursSchema>;

/** A stored file's business languages narrowed to the concierge's own, in order, each once (else English). */
function supportedLanguagesOf(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || !('business' in raw)) return raw;
  const business: unknown = raw.business;
  if (typeof business !== 'object' || business === null || !('languages' in business) || !Array.isArray(business.languages)) return raw;
  const kept = [...new Set(business.languages.filter((l): l is ReplyLanguage => (REPLY_LANGUAGES as readonly unknown[]).includes(l)))];
  return { ...raw, business: { ...business, languages: kept.length > 0 ? kept : ['en'] } };
}

/**
 * A knowledge base as stored. A file imported before its languages had to be the concierge's own (en, es) still
 * reads — without the others — so the tenant keeps answering and can import a corrected file; a new file is held to
 * `knowledgeBaseSchema` whole.
 */
export const storedKnowledgeBaseSchema = z.preprocess(supportedLanguagesOf, knowledgeBaseSchema);

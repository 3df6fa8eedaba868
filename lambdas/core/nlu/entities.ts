/**
 * Entities in a customer message besides dates: the service and the staff
 * member it names (matched against the tenant's catalogue — accent-folded,
 * stemmed token overlap with edit-distance tolerance for typos, Spanish through
 * the glossary), and contact details (name, phone, email). `maskPii` is what
 * logs see instead of the text.
 */
import { stem, terms, words } from '../answer/text';
import { englishGloss } from './glossary';
import { withoutDatesAndTimes } from './digits';

export interface CatalogueService {
  readonly id: string;
  readonly name: string;
  /** Its names in the reply languages, where they differ ("Revisión y limpieza"). */
  readonly names?: { readonly en?: string; readonly es?: string };
  readonly description?: string;
}

export interface CatalogueStaff {
  readonly id: string;
  readonly name: string;
  readonly role: string;
}

export interface EntityMatch {
  readonly id: string;
  /** 0..1 */
  readonly score: number;
}

/** Canonical stems for words customers use for the same service ("cleaning" ~ "scale and polish" ~ "clean"). */
const SYNONYMS: Readonly<Record<string, string>> = {
  cleaning: 'clean', cleaned: 'clean', scale: 'clean', polish: 'clean', hygiene: 'clean', hygienist: 'clean',
  checkup: 'check', exam: 'check', examination: 'check', review: 'check',
  bleach: 'whiten', bleaching: 'whiten', whiter: 'whiten', whitener: 'whiten', white: 'whiten',
  urgent: 'emergency', toothache: 'emergency', emergencies: 'emergency',
  invisalign: 'align', invisaling: 'align', aligner: 'align', aligners: 'align',
  haircut: 'cut', trim: 'cut',
};
/** Words that say little about which service is meant. */
const GENERIC = new Set(
  [
    ...['appointment', 'consultation', 'treatment', 'service', 'session', 'visit', 'teeth', 'tooth', 'dental', 'clear', 'full', 'standard', 'basic'],
    // The same in Spanish, for services named in Spanish ("Cita de urgencia" is not named by "quiero una cita").
    ...['cita', 'consulta', 'tratamiento', 'servicio', 'sesion', 'visita', 'dientes', 'diente', 'completo', 'completa', 'basico', 'basica'],
  ].map(stem),
);

function canonical(token: string): string {
  return SYNONYMS[token] ?? stem(SYNONYMS[stem(token)] ?? token);
}

/** Canonical tokens of a text (Spanish words also contribute their English gloss). */
function tokensOf(text: string): string[] {
  const raw = [...terms(text), ...terms(englishGloss(text)), ...words(text).filter((w) => SYNONYMS[w])];
  return [...new Set(raw.map(canonical))];
}

/** Damerau–Levenshtein (optimal string alignment) distance, capped: returns cap+1 once it is exceeded. */
export function editDistance(a: string, b: string, cap = 2): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    let rowMin = Infinity;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      let v = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, ((d[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = v;
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > cap) return cap + 1;
  }
  return (d[a.length] as number[])[b.length] as number;
}

function similar(a: string, b: string): boolean {
  if (a === b) return true;
  const n = Math.min(a.length, b.length);
  if (n < 4) return false;
  return editDistance(a, b, n >= 7 ? 2 : 1) <= (n >= 7 ? 2 : 1);
}

/**
 * Services the text names, best first: the idf-weighted share of a service
 * name's distinctive tokens found in the text (generic words count little).
 */
export function matchServices(text: string, services: readonly CatalogueService[]): EntityMatch[] {
  const query = tokensOf(text);
  if (query.length === 0) return [];
  const tokensOfName = (name: string): string[] => [...new Set(terms(name.replace(/[()]/g, ' ')).map(canonical))];
  // Each name a service goes by (its own, and those in the reply languages) is matched on its own; the best counts.
  const names = services.flatMap((s) => [...new Set([s.name, ...Object.values(s.names ?? {})])].map((name) => ({ id: s.id, tokens: tokensOfName(name) })));
  const df = new Map<string, number>();
  for (const s of services) {
    for (const t of new Set(names.filter((n) => n.id === s.id).flatMap((n) => n.tokens))) df.set(t, (df.get(t) ?? 0) + 1);
  }
  const weight = (t: string): number => (GENERIC.has(t) ? 0.25 : 1) / (df.get(t) ?? 1);
  const best = new Map<string, number>();
  for (const n of names) {
    let total = 0;
    let found = 0;
    let distinctive = false;
    for (const t of n.tokens) {
      const w = weight(t);
      total += w;
      if (query.some((q) => similar(q, t))) {
        found += w;
        if (!GENERIC.has(t)) distinctive = true;
      }
    }
    if (distinctive && total > 0) best.set(n.id, Math.max(best.get(n.id) ?? 0, Math.round((found / total) * 1000) / 1000));
  }
  const out: EntityMatch[] = [...best].map(([id, score]) => ({ id, score }));
  return out.filter((m) => m.score >= 0.4).sort((a, b) => b.score - a.score);
}

const TITLES = new Set(['dr', 'doctor', 'doctora', 'mr', 'mrs', 'ms', 'miss']);

/** Staff members the text names: by first or last name (typos tolerated), or by a role word only one of them has. */
export function matchStaff(text: string, staff: readonly CatalogueStaff[]): EntityMatch[] {
  const query = [...new Set([...words(text), ...words(englishGloss(text))])];
  const roleDf = new Map<string, number>();
  const roles = staff.map((m) => terms(m.role));
  for (const r of roles) for (const t of new Set(r)) roleDf.set(t, (roleDf.get(t) ?? 0) + 1);
  const out: EntityMatch[] = [];
  staff.forEach((member, i) => {
    const nameTokens = words(member.name).filter((w) => !TITLES.has(w) && w.length >= 3);
    const byName = nameTokens.filter((t) => query.some((q) => similar(q, t))).length;
    const queryStems = query.map(stem);
    const byRole = (roles[i] ?? []).some((t) => roleDf.get(t) === 1 && !GENERIC.has(t) && queryStems.some((q) => q === t));
    if (byName > 0) out.push({ id: member.id, score: Math.min(1, 0.6 + 0.4 * (byName / Math.max(1, nameTokens.length))) });
    else if (byRole) out.push({ id: member.id, score: 0.5 });
  });
  return out.sort((a, b) => b.score - a.score);
}

// ---- contact details ---------------------------------------------------------------------------

const EMAIL = /[^\s@<>()[\\\],;:"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
/** 7+ digits, optionally international, with spaces, dots, dashes or brackets between groups. */
// Not inside a word: a hex id or a code like "ab12345678cd" is not a phone number.
const PHONE = /(?<![\w+])(?:\+|00)?\d[\d\s().-]{5,}\d(?!\w)/g;
const NAME_CUES = [
  /\bmy name is\s+([\p{L}'’-]+(?:\s+[\p{Lu}][\p{L}'’-]+){0,2})/iu,
  /\b(?:this is|i am|i'm|it's)\s+([\p{Lu}][\p{L}'’-]+(?:\s+[\p{Lu}][\p{L}'’-]+){0,2})/u,
  /\b(?:me llamo|mi nombre es)\s+([\p{L}'’-]+(?:\s+[\p{Lu}][\p{L}'’-]+){0,2})/iu,
  /\bsoy\s+([\p{Lu}][\p{L}'’-]+(?:\s+[\p{Lu}][\p{L}'’-]+){0,2})/u,
];

export interface ContactDetails {
  readonly name?: string;
  readonly phone?: string;
  readonly email?: string;
}

export function extractContact(text: string): ContactDetails {
  const email = text.match(EMAIL)?.[0];
  // A date next to the number ("on 02.12.2026, 087 123 4567") is no phone number (the handoff's contactIn does the same).
  const phone = (withoutDatesAndTimes(text.replace(EMAIL, ' ')).match(PHONE) ?? []).map((p) => p.trim()).find((p) => p.replace(/\D/g, '').length >= 7);
  let name: string | undefined;
  for (const cue of NAME_CUES) {
    const m = cue.exec(text);
    if (m?.[1]) {
      name = m[1].trim();
      break;
    }
  }
  return { ...(name ? { name } : {}), ...(phone ? { phone: phone.replace(/[^\d+]/g, '') } : {}), ...(email ? { email: email.toLowerCase() } : {}) };
}

/** The text with emails, phone numbers and introduced names replaced by placeholders: what logs may contain. */
export function maskPii(text: string): string {
  let out = text.replace(EMAIL, '[email]').replace(PHONE, (m) => (m.replace(/\D/g, '').length >= 7 ? '[phone]' : m));
  for (const cue of NAME_CUES) out = out.replace(new RegExp(cue.source, cue.flags.includes('g') ? cue.flags : `${cue.flags}g`), (m, n: string) => m.replace(n, '[name]'));
  return out;
}

/**
 * How a message shows it is a question, in English and Spanish: a question mark (¿ or ?), or a question word first.
 * Two strengths, for two readers:
 * - `asksByWord`: a wh-word ("what are your hours", "dónde estáis"), not "what a…" ("what a great service!").
 * - `looksLikeQuestion`: that, or a yes/no opener ("do you…", "is it…", "tienen…", "se puede…"): a reply that
 *   starts so is no name (the booking dialog), although "ok, do it" after a lead-in is no question either
 *   (the concierge's `withoutLeadIn` uses the first).
 */
const MARK = String.raw`[?¿]`;
const WH_WORD = String.raw`what(?!\s+an?\b)|what's|whats|where|where's|when|how|why|which|who|qu[eé]|d[oó]nde|cu[aá]ndo|c[oó]mo|cu[aá]l|cu[aá]nt[oa]s?`;
const YES_NO_OPENER = String.raw`do|does|did|is|are|can|could|would|tienen|tiene|hay|puedo|pueden|se puede`;

const BY_WORD = new RegExp(String.raw`${MARK}|^\s*(?:${WH_WORD})\b`, 'i');
const ANY = new RegExp(String.raw`${MARK}|^\s*(?:${WH_WORD}|${YES_NO_OPENER})\b`, 'i');

/** A question mark, or a wh-word first (not "what a…"). */
export function asksByWord(text: string): boolean {
  return BY_WORD.test(text);
}

/** A question mark, a wh-word first, or a yes/no opener first. */
export function looksLikeQuestion(text: string): boolean {
  return ANY.test(text);
}

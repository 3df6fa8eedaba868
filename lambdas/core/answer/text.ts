/**
 * Text normalisation for retrieval: case and accent folding, tokenising,
 * stop words and a light suffix stemmer for English and Spanish. Kept small and
 * dependency-free so it runs the same in a Lambda and in the browser-free tests.
 */

const STOP_WORDS = new Set(
  (
    // English
    'a an and are as at be been but by can could did do does doing for from had has have having he her here hers him his how i if in into is it its ' +
    'just me my myself no nor not of off on once only or our ours out over own same she should so some such than that the their theirs them then there ' +
    'these they this those through to too under until up very was we were what when where which while who whom why will with would you your yours ' +
    'am any also get got im ive id please thanks thank hi hello hey tell know want wanna need like let us ok okay would could may might must shall ' +
    // "how much?" names no topic: "much" must not match "how much your teeth need to move" in a price passage.
    'much many ' +
    // Spanish
    'el la los las un una unos unas y o u de del al a en por para con sin sobre entre es son ser esta estan estoy esto eso ese esa que quien como cuando ' +
    'donde cual cuales mi mis tu tus su sus nuestro nuestra lo le les me te se nos hay hola gracias favor puedo puede pueden quiero quisiera tienen tiene ' +
    'teneis tengo usted ustedes vosotros muy mas pero si no ya'
  ).split(/\s+/),
);

/** Lower-case, strip accents (NFKD), drop zero-width and bidi control characters. */
export function fold(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '')
    .toLowerCase();
}

/** Light stemmer: removes common inflectional suffixes (English and Spanish plurals, -ing, -ed, -ly, -ción...). */
export function stem(token: string): string {
  if (token.length <= 3 || /^\d/.test(token)) return token;
  const rules: readonly [RegExp, string][] = [
    [/(?:ational)$/, 'ate'],
    [/(?:iciones|icion)$/, 'ic'],
    [/(?:ciones|cion)$/, 'c'],
    [/(?:mente)$/, ''],
    [/(?:ies)$/, 'y'],
    [/(?:ing|ings)$/, ''],
    [/(?:edly|ed)$/, ''],
    [/(?:ly)$/, ''],
    [/(ss|x|z|ch|sh)es$/, '$1'],
    [/(?:es)$/, ''],
    [/(?:s)$/, ''],
  ];
  for (const [re, rep] of rules) {
    if (re.test(token)) {
      const out = token.replace(re, rep);
      if (out.length >= 3) return out.replace(/e$/, '');
    }
  }
  return token.replace(/e$/, '');
}

/** Raw word tokens, folded, without stop-word removal. */
export function words(text: string): string[] {
  return fold(text).match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Index terms: folded words minus stop words, stemmed. */
export function terms(text: string): string[] {
  return words(text)
    .filter((w) => !STOP_WORDS.has(w))
    .map(stem);
}

/** Split prose into sentences, keeping list items and headings as their own units. */
export function sentences(text: string): string[] {
  return text
    .split(/\n+/)
    .map((line) => line.replace(/^\s*(?:[-*•]|\d+\.)\s+/, ''))
    // A stop ends a sentence only before a space or the end: e-mails, prices (€80.50), URLs and times stay whole.
    .flatMap((line) => line.match(/(?:[^.!?]|[.!?]+(?!\s|$))+(?:[.!?]+(?=\s|$)|$)/g) ?? [])
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

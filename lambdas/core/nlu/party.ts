/**
 * How many people a booking is for, as a restaurant's (or a spa's couples massage, a group class's) customers say it:
 * "a table for 4", "for 4 people", "party of 6", "we are 3", "table for two", "para 6", "6 personas", "somos 5",
 * "una mesa para dos". Read only where the words say people, never a bare number: "at 4", "for 4pm", "for 2 hours",
 * "para el 6", "€40 for 2" (what a number means without such words is a time, a day, a price or a length, read
 * elsewhere: ./time.ts). A bare "for 4" / "para 6" counts only as a whole message (the answer to a booking in
 * progress: "for 4 please"). The booking dialog (core/booking/dialog.ts) applies it to booking turns only.
 */

/** The most people a party size may say: more is no party size ("for 100 people" is still read, and refused by the dialog). */
export const PARTY_SIZE_READ_MAX = 999;

const EN_NUMBERS: Readonly<Record<string, number>> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
  thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19, twenty: 20, thirty: 30, forty: 40, fifty: 50,
};
const ES_NUMBERS: Readonly<Record<string, number>> = {
  uno: 1, una: 1, dos: 2, tres: 3, cuatro: 4, cinco: 5, seis: 6, siete: 7, ocho: 8, nueve: 9, diez: 10, once: 11, doce: 12,
  trece: 13, catorce: 14, quince: 15, dieciséis: 16, dieciseis: 16, diecisiete: 17, dieciocho: 18, diecinueve: 19, veinte: 20, treinta: 30, cuarenta: 40, cincuenta: 50,
};
const WORDS: Readonly<Record<string, number>> = { ...EN_NUMBERS, ...ES_NUMBERS };

const DIGITS = String.raw`\d{1,3}(?!\d|[:.,/]\d|st\b|nd\b|rd\b|th\b|\s*(?:a\.?m\.?|p\.?m\.?)(?![\p{L}]))`;
const words = (keep: (w: string) => boolean): string =>
  Object.keys(WORDS)
    .filter(keep)
    .sort((a, b) => b.length - a.length)
    .join('|');
/**
 * A count: digits (not "4th", "4pm", "4:30", "4.5", "4/5"), or a number word. "una" / "uno" only before a word for
 * people ("una persona"): "una mesa para una cena" is no party of one.
 */
const NUM = String.raw`(${DIGITS}|${words((w) => w !== 'una' && w !== 'uno')})`;
const NUM_BEFORE_PEOPLE = String.raw`(${DIGITS}|${words(() => true)})`;
/** What may follow a count and make it no party: a time, a length, a price, a date. */
const NOT_PEOPLE = String.raw`(?!\s*(?:o'?\s?clock|h\b|hrs?\b|hours?\b|horas?\b|mins?\b|minutes?\b|minutos?\b|days?\b|d[ií]as?\b|nights?\b|noches?\b|weeks?\b|semanas?\b|months?\b|meses?\b|years?\b|a[nñ]os?\b|€|\$|£|eur\b|euros?\b|dollars?\b|pounds?\b|d[oó]lares\b|libras\b|%|de (?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre)\b|y (?:media|cuarto)\b|(?:thirty|fifteen|forty-?five)\b|in the (?:morning|afternoon|evening)\b|of (?!us\b)|de la (?:ma[nñ]ana|tarde|noche)\b))`;
const PEOPLE = String.raw`(?:people|persons?|guests?|adults?|pax|diners|of us|personas?|adultos?|comensales|invitados)`;

const PATTERNS: readonly RegExp[] = [
  // "4 people", "six guests", "6 personas", "dos adultos", "there are 4 of us".
  new RegExp(String.raw`(?<![\p{L}\p{N}€$£.,:/])${NUM_BEFORE_PEOPLE}\s+${PEOPLE}(?![\p{L}])`, 'iu'),
  // "party of 6", "group of 8", "grupo de 10", "a table of 4".
  new RegExp(String.raw`\b(?:party|group|grupo|table)\s+(?:of|de)\s+${NUM}${NOT_PEOPLE}(?![\p{L}\p{N}])`, 'iu'),
  // "we are 3", "we're 5", "somos 5", "seremos 8", "vamos a ser 4" ("there are 4 of us": above).
  new RegExp(String.raw`(?<![\p{L}])(?:we are|we're|we'll be|we will be|somos|seremos|vamos a ser|estaremos)\s+${NUM}${NOT_PEOPLE}(?![\p{L}\p{N}])`, 'iu'),
  // "a table tomorrow for 4", "mesa para cenar para dos", "mesa el sábado para 6": a table, a few words, then the count.
  new RegExp(String.raw`\b(?:table|mesa)(?:\s+[\p{L}'’]+){1,3}?\s+(?:for|para)\s+${NUM}${NOT_PEOPLE}(?![\p{L}\p{N}])`, 'iu'),
  // "a table for 4", "booking for two", "reservation for 6", "mesa para dos", "reserva para 6".
  new RegExp(
    String.raw`\b(?:table|booking|reservation|book us|reserve|mesa|reserva|reservar|reservarnos|res[eé]rvenos)\s+(?:for|para)\s+${NUM}${NOT_PEOPLE}(?![\p{L}\p{N}])`,
    'iu',
  ),
];

/** The whole message is the count: "for 4", "for 4 please", "para 6", "just the two of us", "2 people". */
const ALONE = new RegExp(
  String.raw`^\s*(?:(?:ok|okay|sure|vale|yes|s[ií]|and|y|oh|actually|en realidad|mejor|make it|better|just|only|solo)[\s,]+)*(?:(?:for|para)\s+)?${NUM}${NOT_PEOPLE}(?:[\s,]+(?:please|thanks|por favor|gracias))?\s*[.!]*\s*$`,
  'iu',
);
const ALONE_FOR = new RegExp(String.raw`^\s*(?:(?:ok|okay|sure|vale|yes|s[ií]|and|y|oh|actually|en realidad|mejor|make it|better|just|only|solo)[\s,]+)*(?:for|para)\s+`, 'i');
/** "just the two of us", "solo nosotros dos". */
const TWO_OF_US = /\b(?:(?:just )?the two of us|(?:solo )?nosotros dos|(?:solo )?nosotras dos|for two of us)\b/i;

function countOf(word: string): number | undefined {
  const n = /^\d+$/.test(word) ? Number(word) : WORDS[word.toLowerCase()];
  return n !== undefined && n >= 1 && n <= PARTY_SIZE_READ_MAX ? n : undefined;
}

/**
 * The number of people a message says the booking is for, or undefined when it says none. `alone`: also read a bare
 * "for 4" / "para 6" written as the whole message (the dialog passes it while a booking is in progress).
 */
export function partySizeIn(text: string, options: { alone?: boolean } = {}): number | undefined {
  const s = text.normalize('NFC').replace(/[’‘]/g, "'").replace(/\s+/g, ' ');
  for (const re of PATTERNS) {
    const m = re.exec(s);
    const n = m?.[1] !== undefined ? countOf(m[1]) : undefined;
    if (n !== undefined) return n;
  }
  if (TWO_OF_US.test(s)) return 2;
  if (options.alone && ALONE_FOR.test(s)) {
    const m = ALONE.exec(s);
    const n = m?.[1] !== undefined ? countOf(m[1]) : undefined;
    if (n !== undefined) return n;
  }
  return undefined;
}

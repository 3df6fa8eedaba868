/**
 * Adapts a stored message (text, quick replies, sources) to what each outbound channel can show. Pure: no I/O.
 *
 * - SMS: plain text only (Markdown emphasis removed, links written `title: url`), typographic punctuation folded to
 *   ASCII so a message stays in GSM-7 when it can (a single UCS-2 character makes every part 67 characters instead of
 *   153), quick replies as numbered options ("Reply 1, 2 or 3."), sources as short lines, split into segments of at
 *   most 1600 characters (Twilio's Body limit; GSM-7 extension characters such as `€ [ ] { }` count twice) on sentence
 *   boundaries.
 * - WhatsApp: light Markdown (`*bold*`, `_italic_`), at most three quick replies as numbered options — interactive
 *   buttons need approved templates (docs/decisions.md) — and segments of at most 1600 characters (Twilio's Body
 *   limit applies to WhatsApp too: error 21617).
 * - Messenger: plain text of at most 2000 characters per segment; quick replies (at most 13, titles at most 20
 *   characters) are real buttons on the last segment.
 *
 * A customer answering a numbered option with its number ("2") is mapped back to the option's text by
 * {@link resolveNumberedReply}, which the inbound side calls with the quick replies of the last bot message.
 */
import type { QuickReply, SourceRef } from '../protocol';

export type OutboundChannel = 'whatsapp' | 'sms' | 'messenger';
export const outboundChannels: readonly OutboundChannel[] = ['whatsapp', 'sms', 'messenger'];

/** What a message says, as stored. */
export interface OutboundContent {
  readonly text: string;
  /** The customer's language: the words around the options and sources ("Reply 1 or 2." / "Responda 1 o 2."). */
  readonly lang?: string;
  readonly quickReplies?: readonly QuickReply[];
  readonly sources?: readonly SourceRef[];
}

/** A Messenger quick reply button: the title shown, and the text sent back as the payload when tapped. */
export interface ButtonReply {
  readonly title: string;
  readonly payload: string;
}

/** One provider message. */
export interface Segment {
  readonly text: string;
  /** Messenger only, on the last segment. */
  readonly buttons?: readonly ButtonReply[];
}

/** Per-channel limits. */
export const channelLimits = {
  sms: { maxChars: 1600, maxOptions: 9 },
  whatsapp: { maxChars: 1600, maxOptions: 3 },
  messenger: { maxChars: 2000, maxOptions: 13, maxButtonTitle: 20, maxPayload: 1000 },
} as const;

/** How many quick replies a channel shows (numbered on SMS/WhatsApp, as buttons on Messenger). */
export function optionsShown(channel: OutboundChannel): number {
  return channelLimits[channel].maxOptions;
}

// ---- Markdown ------------------------------------------------------------------------------------

const LINK = /\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/g;

function links(text: string): string {
  return text.replace(LINK, (_m, title: string, url: string) => (title.trim() === url ? url : `${title.trim()}: ${url}`));
}

/** Removes Markdown for channels that show plain text. */
export function stripMarkdown(text: string): string {
  return links(text)
    .replace(/^#{1,6}\s+/gm, '')
    .replace(/^\s*[-*+]\s+/gm, '- ')
    .replace(/`{1,3}([^`]*)`{1,3}/g, '$1')
    .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, '$2')
    .replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?!\w)/g, '$1$2')
    .replace(/(^|[^\w])_(?=\S)([^_\n]*?\S)_(?!\w)/g, '$1$2');
}

/** WhatsApp's own light Markdown: `*bold*`, `_italic_`; headings become bold lines; links are written out. */
export function toWhatsAppMarkdown(text: string): string {
  return links(text)
    .replace(/^#{1,6}\s+(.+)$/gm, '*$1*')
    .replace(/^\s*[-*+]\s+/gm, '- ')
    .replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, '*$1*')
    .replace(/__(?=\S)([\s\S]*?\S)__/g, '_$1_');
}

// ---- SMS encoding --------------------------------------------------------------------------------

const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENDED = '^{}\\[~]|€\f';
const gsmBasic = new Set(GSM7_BASIC);
const gsmExtended = new Set(GSM7_EXTENDED);

/** Typographic characters folded to GSM-7 ones (what Twilio's Smart Encoding does), so a message is not sent as UCS-2 for a curly quote. */
const FOLD: Readonly<Record<string, string>> = {
  '‘': "'",
  '’': "'",
  '‚': "'",
  '′': "'",
  '“': '"',
  '”': '"',
  '„': '"',
  '″': '"',
  '–': '-',
  '—': '-',
  '‐': '-',
  '‑': '-',
  '−': '-',
  '…': '...',
  '•': '-',
  '·': '-',
  '\u00a0': ' ',
  '\u2009': ' ',
  '\u202f': ' ',
  '\u200b': '',
  '\t': ' ',
};

/** Replaces typographic punctuation with its GSM-7 twin. */
export function foldToGsm(text: string): string {
  let out = '';
  for (const ch of text) out += FOLD[ch] ?? ch;
  return out;
}

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export function smsEncodingOf(text: string): SmsEncoding {
  for (const ch of text) if (!gsmBasic.has(ch) && !gsmExtended.has(ch)) return 'UCS-2';
  return 'GSM-7';
}

/** Length as the network counts it: GSM-7 septets (extension characters count 2) or UCS-2 code units. */
export function smsLength(text: string): number {
  if (smsEncodingOf(text) === 'UCS-2') return text.length;
  let n = 0;
  for (const ch of text) n += gsmExtended.has(ch) ? 2 : 1;
  return n;
}

/** How many SMS parts a text takes (billing): 160/153 per part in GSM-7, 70/67 in UCS-2. */
export function smsPartCount(text: string): number {
  const length = smsLength(text);
  if (length === 0) return 0;
  const [single, multi] = smsEncodingOf(text) === 'GSM-7' ? [160, 153] : [70, 67];
  return length <= single ? 1 : Math.ceil(length / multi);
}

// ---- splitting -----------------------------------------------------------------------------------

const codePoints = (text: string): number => [...text].length;

/** The length a channel's limit is measured in. */
function measureFor(channel: OutboundChannel): (text: string) => number {
  return channel === 'sms' ? smsLength : codePoints;
}

/** Sentences and line breaks, each piece keeping the white space that follows it. */
function sentences(text: string): string[] {
  return text.match(/[^.!?…\n]*(?:[.!?…]+["')\]]*|\n+|$)\s*/g)?.filter((s) => s.length > 0) ?? [];
}

/** Splits one over-long piece on white space, and a word longer than the limit by code points. */
function splitLong(piece: string, max: number, measure: (t: string) => number): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of piece.match(/\S+\s*/g) ?? []) {
    if (measure(current + word) <= max) {
      current += word;
      continue;
    }
    if (current) out.push(current);
    current = '';
    if (measure(word) <= max) {
      current = word;
      continue;
    }
    for (const ch of word) {
      if (measure(current + ch) > max) {
        out.push(current);
        current = '';
      }
      current += ch;
    }
  }
  if (current) out.push(current);
  return out;
}

/** Packs sentences into segments of at most `max` (measured by the channel), never cutting a sentence that fits. */
export function splitText(text: string, max: number, measure: (t: string) => number = codePoints): string[] {
  const segments: string[] = [];
  let current = '';
  for (const sentence of sentences(text)) {
    if (measure(current + sentence) <= max || measure(current + sentence.trimEnd()) <= max) {
      current += sentence;
      continue;
    }
    if (current.trim()) segments.push(current.trim());
    current = '';
    if (measure(sentence.trimEnd()) <= max) current = sentence;
    else {
      const parts = splitLong(sentence, max, measure);
      current = parts.pop() ?? '';
      segments.push(...parts.map((p) => p.trim()).filter(Boolean));
    }
  }
  if (current.trim()) segments.push(current.trim());
  return segments;
}

// ---- quick replies and sources -------------------------------------------------------------------

/** The words the channel format adds, in the customer's language (English otherwise). */
function wordsFor(lang: string | undefined): { reply: string; or: string; source: string } {
  return lang?.startsWith('es') ? { reply: 'Responda', or: 'o', source: 'Fuente' } : { reply: 'Reply', or: 'or', source: 'Source' };
}

function orList(numbers: readonly number[], or = 'or'): string {
  if (numbers.length <= 1) return numbers.join('');
  return `${numbers.slice(0, -1).join(', ')} ${or} ${numbers[numbers.length - 1]}`;
}

/**
 * "1. Book\n2. Prices\nReply 1 or 2." Options that already are their own numbers (the CSAT scale 1–5, whose
 * question names the range) are not listed again, nor cut to the channel's maximum.
 */
export function numberedOptions(quickReplies: readonly QuickReply[], max: number, lang?: string): string {
  if (quickReplies.length > 0 && quickReplies.every((q, i) => q.label.trim() === String(i + 1))) return '';
  const shown = quickReplies.slice(0, max);
  if (shown.length === 0) return '';
  const lines = shown.map((q, i) => `${i + 1}. ${q.label.trim()}`);
  const w = wordsFor(lang);
  return `${lines.join('\n')}\n${w.reply} ${orList(shown.map((_q, i) => i + 1), w.or)}.`;
}

function truncate(text: string, max: number): string {
  const chars = [...text.trim()];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

/** Short source lines: "Source: Parking" (at most three, titles cut at 60 characters). */
export function sourceLines(sources: readonly SourceRef[] | undefined, lang?: string): string {
  const titles = [...new Set((sources ?? []).map((s) => s.title.trim()).filter(Boolean))].slice(0, 3);
  const { source } = wordsFor(lang);
  return titles.map((t) => `${source}: ${truncate(t, 60)}`).join('\n');
}

/** Messenger quick reply buttons: titles cut at 20 characters, payloads at 1000, at most 13. */
export function buttonsOf(quickReplies: readonly QuickReply[] | undefined): ButtonReply[] {
  const { maxOptions, maxButtonTitle, maxPayload } = channelLimits.messenger;
  return (quickReplies ?? []).slice(0, maxOptions).map((q) => ({ title: truncate(q.label, maxButtonTitle), payload: [...q.text].slice(0, maxPayload).join('') }));
}

// ---- the whole message ---------------------------------------------------------------------------

/**
 * The options' tail: the numbered list, or only "Reply 1, 2 or 3." when the text already numbers them in the same
 * order (the booking dialog lists its slots "1. Thu, 10 Dec, 14:00 with …"): a list shown twice reads as a bug.
 */
function optionsFor(body: string, quickReplies: readonly QuickReply[], max: number, lang?: string): string {
  const listed = numberedOptions(quickReplies, max, lang);
  if (!listed) return '';
  const shown = quickReplies.slice(0, max);
  const lines = body.split('\n').map((l) => l.trim().toLowerCase());
  // The i-th line numbered i+1 begins with the option's label (up to its " · " detail).
  const numberedInText = shown.every((q, i) => {
    const head = (q.label.split(' · ')[0] ?? '').trim().toLowerCase();
    return head.length > 0 && lines.some((l) => l.startsWith(`${i + 1}. ${head}`));
  });
  const w = wordsFor(lang);
  return numberedInText ? `${w.reply} ${orList(shown.map((_q, i) => i + 1), w.or)}.` : listed;
}

/** The segments a message is sent as on a channel (at least one, unless the message is empty). */
export function formatForChannel(channel: OutboundChannel, content: OutboundContent): Segment[] {
  const limits = channelLimits[channel];
  const measure = measureFor(channel);
  const body =
    channel === 'whatsapp' ? toWhatsAppMarkdown(content.text) : channel === 'sms' ? foldToGsm(stripMarkdown(content.text)) : stripMarkdown(content.text);
  const sources = sourceLines(content.sources, content.lang);
  const options = channel === 'messenger' ? '' : optionsFor(body, content.quickReplies ?? [], limits.maxOptions, content.lang);
  const tail = [channel === 'whatsapp' && sources ? `_${sources.replace(/\n/g, '_\n_')}_` : sources, options].filter(Boolean).join('\n\n');
  const normalised = body.replace(/\r\n?/g, '\n').replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
  const foldedTail = channel === 'sms' ? foldToGsm(tail) : tail;

  const texts = splitText(normalised, limits.maxChars, measure);
  if (foldedTail) {
    const last = texts[texts.length - 1];
    if (last !== undefined && measure(`${last}\n\n${foldedTail}`) <= limits.maxChars) texts[texts.length - 1] = `${last}\n\n${foldedTail}`;
    else texts.push(...splitText(foldedTail, limits.maxChars, measure));
  }
  const buttons = channel === 'messenger' ? buttonsOf(content.quickReplies) : [];
  if (texts.length === 0 && buttons.length > 0) texts.push('…');
  return texts.map((text, i) => (i === texts.length - 1 && buttons.length > 0 ? { text, buttons } : { text }));
}

/**
 * Maps a customer's numbered answer ("2", "2.", "#2", "option 2") — or an option's label typed out — to the text of
 * the quick reply it chose, among those the last bot message showed on the channel; any other text comes back as it
 * is. Call it on inbound WhatsApp / SMS / Messenger text before answering.
 */
export function resolveNumberedReply(text: string, lastBotQuickReplies: readonly QuickReply[] | undefined, channel: OutboundChannel = 'sms'): string {
  const all = lastBotQuickReplies ?? [];
  const selfNumbered = all.length > 0 && all.every((q, i) => q.label.trim() === String(i + 1));
  const shown = selfNumbered ? all : all.slice(0, optionsShown(channel));
  if (shown.length === 0) return text;
  const trimmed = text.trim();
  const numbered = /^(?:#|no\.?\s*|n[ºo°]\s*|option\s+|opci[oó]n\s+)?(\d{1,2})\s*[.)]?$/i.exec(trimmed);
  if (numbered) {
    const chosen = shown[Number(numbered[1]) - 1];
    return chosen ? chosen.text : text;
  }
  const byLabel = shown.find((q) => q.label.trim().toLowerCase() === trimmed.toLowerCase());
  return byLabel ? byLabel.text : text;
}

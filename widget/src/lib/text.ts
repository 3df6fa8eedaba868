/**
 * Splits message text into plain runs and web links, so the UI can render
 * links as `<a>` elements and everything else as text nodes. Only http(s)
 * URLs become links; nothing is ever interpreted as markup.
 */

/**
 * What the server accepts in one message: UTF-8 bytes after trimming (protocol.ts MAX_MESSAGE_BYTES, repeated here
 * because protocol.ts brings zod with its values; test/widget/text.test.ts checks the two agree).
 */
export const MAX_MESSAGE_BYTES = 4096;

/** Whether the server would refuse `text` as `message_too_large`. */
export function tooLong(text: string): boolean {
  return new TextEncoder().encode(text.trim()).length > MAX_MESSAGE_BYTES;
}

export type TextPart = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'link'; readonly text: string; readonly href: string };

const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?)\]}'"»]+$/;

export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_RE)) {
    const start = match.index ?? 0;
    let url = match[0];
    const trail = TRAILING.exec(url);
    if (trail) url = url.slice(0, url.length - trail[0].length);
    let href: string | undefined;
    try {
      const u = new URL(url);
      if (u.protocol === 'http:' || u.protocol === 'https:') href = u.href;
    } catch {
      href = undefined;
    }
    if (!href) continue;
    if (start > last) parts.push({ kind: 'text', text: text.slice(last, start) });
    parts.push({ kind: 'link', text: url, href });
    last = start + url.length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}

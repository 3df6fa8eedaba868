/** The URL when it is an absolute http(s) URL, so it can be a link; undefined otherwise (javascript:, data:, garbage). */
export function safeHttpUrl(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** A same-origin path ("/api") becomes absolute against the page; absolute URLs are kept. */
export function resolveApiUrl(apiUrl: string, pageUrl: string): string {
  return new URL(apiUrl, pageUrl).href.replace(/\/+$/, '');
}

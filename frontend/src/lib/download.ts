/** A file to hand to the browser: its content and the name to save it under. */
export interface Download {
  readonly blob: Blob;
  readonly filename: string;
}

/** Saves a file through a temporary Blob URL and a clicked link. */
export function saveDownload(download: Download, doc: Document = document): void {
  const url = URL.createObjectURL(download.blob);
  const a = doc.createElement('a');
  a.href = url;
  a.download = download.filename;
  a.rel = 'noopener';
  a.hidden = true;
  doc.body.appendChild(a);
  a.click();
  a.remove();
  // The browser has the file once the click's navigation started; free the URL afterwards.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A value as a pretty-printed JSON file. */
export function jsonDownload(value: unknown, filename: string): Download {
  return { blob: new Blob([`${JSON.stringify(value, null, 2)}\n`], { type: 'application/json' }), filename };
}

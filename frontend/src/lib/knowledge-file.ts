/** Reading a knowledge-base file before upload. The server validates the content and names the failing field. */

/** Lambda's synchronous payload limit is 6 MB; stay under it. */
export const MAX_KNOWLEDGE_FILE_BYTES = 5 * 1024 * 1024;

export type KnowledgeFileResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

export function parseKnowledgeFile(text: string, sizeBytes: number): KnowledgeFileResult {
  if (sizeBytes > MAX_KNOWLEDGE_FILE_BYTES) {
    return { ok: false, message: `The file is ${(sizeBytes / 1024 / 1024).toFixed(1)} MB; the limit is 5 MB.` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    const detail = err instanceof Error ? err.message : 'parse error';
    return { ok: false, message: `The file is not valid JSON (${detail}).` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: 'The file must contain one JSON object with business, hours, services, staff, faqs and documents.' };
  }
  return { ok: true, value };
}

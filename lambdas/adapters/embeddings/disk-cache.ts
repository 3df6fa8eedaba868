/**
 * Remembers an embedder's vectors on disk, by model and text: the local cloud sets EMBEDDING_CACHE_DIR so a
 * restart (or the next test file's fresh table) does not embed the same knowledge base again — on 2 cores,
 * USE-lite spends seconds of CPU on the demo knowledge base each time. Deployed functions never set it:
 * passage vectors live in the table (EmbeddingKnowledgeStore).
 *
 * One file per vector (`<dir>/<sha256[0..2]>/<sha256>`, the float64 values), written to a temporary name and
 * renamed, so concurrent processes never read half a file; a file that cannot be read or has the wrong size is
 * embedded again, and a failed write only costs the next run the embedding.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Embedder } from '../../core/ports';

export class DiskCachedEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;
  readonly languages?: readonly string[];

  constructor(
    private readonly inner: Embedder,
    private readonly dir: string,
  ) {
    this.model = inner.model;
    this.dimensions = inner.dimensions;
    if (inner.languages) this.languages = inner.languages;
  }

  async embed(texts: readonly string[]): Promise<number[][]> {
    const paths = texts.map((text) => {
      const hash = createHash('sha256').update(this.model).update('\0').update(text).digest('hex');
      return join(this.dir, hash.slice(0, 2), hash);
    });
    const found = await Promise.all(paths.map((path) => this.read(path)));
    const missing = found.flatMap((v, i) => (v ? [] : [i]));
    if (missing.length > 0) {
      const made = await this.inner.embed(missing.map((i) => texts[i] ?? ''));
      await Promise.all(
        missing.map(async (i, j) => {
          const vector = made[j];
          if (!vector) return;
          found[i] = vector;
          await this.write(paths[i] ?? '', vector);
        }),
      );
    }
    return found.map((v) => v ?? []);
  }

  private async read(path: string): Promise<number[] | undefined> {
    try {
      const buffer = await readFile(path);
      if (buffer.byteLength !== this.dimensions * 8) return undefined;
      return Array.from(new Float64Array(buffer.buffer, buffer.byteOffset, this.dimensions));
    } catch {
      return undefined;
    }
  }

  private async write(path: string, vector: readonly number[]): Promise<void> {
    if (vector.length !== this.dimensions) return;
    try {
      await mkdir(join(path, '..'), { recursive: true });
      const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(temporary, Buffer.from(Float64Array.from(vector).buffer));
      await rename(temporary, path);
    } catch {
      // A cache: the vector is still returned, the next run embeds it again.
    }
  }
}

/** The local cloud's on-disk memory of passage vectors (adapters/embeddings/disk-cache.ts). */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskCachedEmbedder } from '../../lambdas/adapters/embeddings/disk-cache';
import type { Embedder } from '../../lambdas/core/ports';

/** An embedder that counts what it was asked (the vectors are arbitrary but distinct per text). */
function counting(model = 'test-model', dimensions = 4): Embedder & { asked: string[] } {
  const asked: string[] = [];
  return {
    model,
    dimensions,
    languages: ['en'],
    asked,
    embed: async (texts) => {
      asked.push(...texts);
      return texts.map((t) => Array.from({ length: dimensions }, (_, d) => (t.length + d) / 10 + 1 / 3));
    },
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'embedding-cache-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const files = (root: string): string[] => readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);

describe('DiskCachedEmbedder', () => {
  it('embeds only the texts it has not seen, across instances (a restart), with the exact values', async () => {
    const first = counting();
    const fresh = await new DiskCachedEmbedder(first, dir).embed(['parking', 'opening hours']);
    expect(first.asked).toEqual(['parking', 'opening hours']);
    expect(files(dir)).toHaveLength(2);

    const second = counting();
    const again = await new DiskCachedEmbedder(second, dir).embed(['opening hours', 'wifi', 'parking']);
    expect(second.asked).toEqual(['wifi']);
    expect(again).toEqual([fresh[1], (await counting().embed(['wifi']))[0], fresh[0]]);
    expect(files(dir).every((f) => !f.endsWith('.tmp'))).toBe(true);
  });

  it('keeps models apart and passes the model’s identity through', async () => {
    await new DiskCachedEmbedder(counting('model-a'), dir).embed(['parking']);
    const other = counting('model-b');
    const cached = new DiskCachedEmbedder(other, dir);
    await cached.embed(['parking']);
    expect(other.asked).toEqual(['parking']);
    expect([cached.model, cached.dimensions, cached.languages]).toEqual(['model-b', 4, ['en']]);
  });

  it('embeds again over a damaged file, and still answers when the folder cannot be written', async () => {
    await new DiskCachedEmbedder(counting(), dir).embed(['parking']);
    const [sub] = readdirSync(dir);
    const [file] = readdirSync(join(dir, sub ?? ''));
    writeFileSync(join(dir, sub ?? '', file ?? ''), 'half a vec');
    const repair = counting();
    await new DiskCachedEmbedder(repair, dir).embed(['parking']);
    expect(repair.asked).toEqual(['parking']);

    const blocked = join(dir, 'a-file');
    writeFileSync(blocked, '');
    const unwritable = counting();
    await expect(new DiskCachedEmbedder(unwritable, join(blocked, 'cache')).embed(['parking'])).resolves.toEqual(await counting().embed(['parking']));
  });
});

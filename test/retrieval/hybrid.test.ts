/**
 * The retrieval core without a model: BM25F with tolerant query terms, the
 * dense matrix (WebAssembly SIMD and JavaScript), top-k selection, and the
 * fusion both indexes share.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Bm25Index, coverageOf, idfOf, passageTerms, topK, withinOneEdit } from '../../lambdas/core/answer/bm25';
import { DEFAULT_FUSION, DenseMatrix, embedPassages, embedsLanguageOf, fuse, HybridIndex, passageEmbeddingModel, unitVector } from '../../lambdas/core/answer/hybrid';
import type { Passage } from '../../lambdas/core/answer/passages';
import { passagesOf } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema } from '../../lambdas/core/knowledge-base';
import type { Embedder } from '../../lambdas/core/ports';

const kb = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '../../local-cloud/seed/demo-kb.json'), 'utf8')));
const passages = passagesOf(kb);
const bm25 = new Bm25Index(passages);

const p = (id: string, title = id, text = ''): Passage => ({ id, kind: 'faq', title, text, sourceId: id });

function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return a / 2147483648 - 0.5;
  };
}

describe('BM25F with tolerant query terms', () => {
  it('covers the whole question when every term matches', () => {
    const [top] = bm25.search('do you have parking?', 1);
    expect(top?.passage.id).toBe('parking');
    expect(top?.coverage).toBe(1);
  });

  it('finds a passage through a typo, crediting the word at only 0.5', () => {
    const [top] = bm25.search('parkign', 1);
    expect(top?.passage.id).toBe('parking');
    expect(top?.coverage).toBeCloseTo(0.5, 5);
    // A one-edit variant may be another word: it must not make a question look answered.
    expect(bm25.search('Can you fix the brakes on my bicycle?', 1)[0]?.coverage ?? 0).toBeLessThan(0.5);
  });

  it('matches words written apart, hyphenated or joined (wi fi, Wi-Fi, wifi)', () => {
    expect(bm25.search('wifi', 1)[0]?.passage.id).toBe('wifi');
    expect(bm25.search('wi fi password', 1)[0]?.passage.id).toBe('wifi');
    expect(bm25.search('how much is a checkup', 1)[0]?.passage.id).toBe('checkup-price');
  });

  it('lowers coverage for words the tenant never uses', () => {
    const [top] = bm25.search('parking for my helicopter', 1);
    expect(top?.passage.id).toBe('parking');
    expect(top?.coverage).toBeLessThan(0.5);
  });

  it('computes the same coverage from postings as from a passage’s stored terms', () => {
    for (const q of ['do you have parking?', 'teeth whitening price', 'what should I bring to my first appointment', 'wi fi password']) {
      const groups = bm25.analyse(q);
      for (const hit of bm25.search(q, 5)) {
        const has = new Set(passageTerms(hit.passage));
        expect(coverageOf(groups, (t) => has.has(t), (t) => bm25.has(t), (t) => bm25.idf(t))).toBeCloseTo(hit.coverage, 10);
      }
    }
    expect(idfOf(10, 0)).toBeGreaterThan(idfOf(10, 5));
  });

  it('returns nothing for an empty question or an empty index', () => {
    expect(bm25.search('the of and', 5)).toEqual([]);
    expect(new Bm25Index([]).search('parking', 5)).toEqual([]);
  });
});

describe('one-edit matching', () => {
  it.each([
    ['parking', 'parkign', true],
    ['parking', 'parkin', true],
    ['parking', 'sparking', true],
    ['parking', 'barking', true],
    ['parking', 'parkings1', false],
    ['abcd', 'badc', false],
    ['kitten', 'sitting', false],
  ])('%s ~ %s: %s', (a, b, expected) => {
    expect(withinOneEdit(a, b)).toBe(expected);
    expect(withinOneEdit(b, a)).toBe(expected);
  });
});

describe('top-k selection', () => {
  it('agrees with a full sort (ties by position)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), fc.integer({ min: 0, max: 30 }), (values, k) => {
        const expected = values
          .map((v, i) => [v, i] as const)
          .sort((a, b) => b[0] - a[0] || a[1] - b[1])
          .slice(0, k)
          .map(([, i]) => i);
        expect(topK(values, k)).toEqual(expected);
      }),
    );
  });
});

describe('dense matrix', () => {
  it('computes the same cosines with the WebAssembly SIMD kernel and in JavaScript', () => {
    const random = seeded(7);
    for (const dim of [4, 12, 512]) {
      const vectors = Array.from({ length: 257 }, () => Array.from({ length: dim }, random));
      const query = Array.from({ length: dim }, random);
      const simd = new DenseMatrix(vectors, dim);
      const js = new DenseMatrix(vectors, dim, { simd: false });
      expect(simd.simd).toBe(true);
      expect(js.simd).toBe(false);
      const a = simd.cosines(query);
      const b = js.cosines(query);
      a.forEach((x, i) => expect(x).toBeCloseTo(b[i] ?? NaN, 5));
      const u = unitVector(vectors[3] ?? []);
      expect(a[3]).toBeCloseTo(u.reduce((s, x, i) => s + x * (unitVector(query)[i] ?? 0), 0), 5);
    }
  });

  it('uses JavaScript when the dimension is not a multiple of 4, and refuses vectors of the wrong size', () => {
    expect(new DenseMatrix([[1, 2, 3]], 3).simd).toBe(false);
    expect(new DenseMatrix([[1, 0, 0]], 3).cosines([2, 0, 0])[0]).toBeCloseTo(1, 6);
    expect(() => new DenseMatrix([[1, 2]], 3)).toThrow('expected 3');
    expect(() => new DenseMatrix([[1, 2, 3, 4]], 4).cosines([1, 2])).toThrow('expected 4');
    expect(Array.from(new DenseMatrix([[0, 0, 0, 0]], 4).cosines([1, 0, 0, 0]))).toEqual([0]);
  });
});

describe('fusion', () => {
  it('is 0.3 × BM25 / best BM25 + 0.7 × cosine, best first, ties by id', () => {
    const out = fuse(
      [
        { passage: p('b'), bm25: 4, coverage: 1, cosine: 0.5 },
        { passage: p('a'), bm25: 2, coverage: 0.5, cosine: 0.5 + (0.3 * 2) / 4 / 0.7 },
        { passage: p('c'), bm25: 0, coverage: 0, cosine: -0.2 },
      ],
      5,
    );
    expect(DEFAULT_FUSION.lexicalWeight).toBe(0.3);
    expect(out.map((r) => r.passage.id)).toEqual(['a', 'b', 'c']);
    expect(out[1]?.score).toBeCloseTo(0.3 + 0.7 * 0.5, 10);
    expect(out[2]).toEqual({ passage: p('c'), score: 0, coverage: 0, similarity: 0 });
  });

  it('keeps the raw BM25 score and no similarity without embeddings', () => {
    expect(fuse([{ passage: p('x'), bm25: 7.5, coverage: 0.4 }], 3)).toEqual([{ passage: p('x'), score: 7.5, coverage: 0.4 }]);
  });
});

describe('hybrid index', () => {
  it('without vectors ranks exactly as BM25F', () => {
    const lexical = new HybridIndex(passages);
    for (const q of ['do you have parking?', 'teeth whitening price', 'what should I bring']) {
      expect(lexical.search(q, undefined, 5)).toEqual(bm25.search(q, 5));
    }
    expect(lexical.search('parking', undefined, 0)).toEqual([]);
  });

  it('brings in a passage no word of the question matches, ranked by its cosine, with coverage 0', () => {
    const docs = [p('car', 'Do you have parking?', 'Six spaces behind the building.'), p('kids', 'Do you see children?', 'From their first tooth.')];
    const index = new HybridIndex(docs, new DenseMatrix([[1, 0, 0, 0], [0, 1, 0, 0]], 4));
    const hits = index.search('little ones', [0.1, 1, 0, 0], 2);
    expect(hits.map((h) => h.passage.id)).toEqual(['kids', 'car']);
    expect(hits[0]?.coverage).toBe(0);
    expect(hits[0]?.similarity).toBeCloseTo(1 / Math.sqrt(1.01), 5);
  });

  it('refuses vectors that do not line up with the passages', () => {
    expect(() => new HybridIndex([p('a')], new DenseMatrix([], 4))).toThrow('0 vectors for 1 passages');
  });
});

describe('passage embeddings', () => {
  const fake: Embedder = {
    model: 'fake',
    dimensions: 2,
    languages: ['en'],
    embed: async (texts) => texts.map((t) => (t.includes('\n') ? [0, 1] : [1, 0])),
  };

  it('are the normalised sum of the title’s and the whole passage’s embeddings, tagged with the recipe', async () => {
    const [e] = await embedPassages(fake, [p('a', 'Title', 'Body')]);
    expect(e?.embedding?.model).toBe(passageEmbeddingModel(fake));
    expect(e?.embedding?.model).toBe('fake#title+body');
    expect(Array.from(e?.embedding?.vector ?? [])).toEqual([Math.fround(Math.SQRT1_2), Math.fround(Math.SQRT1_2)]);
    expect(await embedPassages(fake, [])).toEqual([]);
  });

  it('are used for questions in a language the model knows', () => {
    expect(embedsLanguageOf(fake, 'Do you have parking?')).toBe(true);
    expect(embedsLanguageOf(fake, '¿Tienen aparcamiento cerca de la clínica?')).toBe(false);
    expect(embedsLanguageOf({ languages: undefined }, '¿Tienen aparcamiento?')).toBe(true);
  });
});

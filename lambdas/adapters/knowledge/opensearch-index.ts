/**
 * The knowledge index on Amazon OpenSearch Serverless (a VECTORSEARCH
 * collection): one index per environment holding every tenant's passages,
 * each document carrying its tenant id, which every query filters on.
 *
 * Search is the same hybrid as the embedded index (core/answer/hybrid.ts):
 * three requests in parallel —
 *   1. lexical: BM25 `multi_match` over title^3, an FAQ's alternative wordings
 *      (phrasings^3) and text, top N, with each
 *      hit's stored embedding (so its cosine is exact);
 *   2. semantic: `knn` over the embedding field (faiss HNSW, cosinesimil),
 *      top N, the tenant filter inside the k-NN search (efficient filtering);
 *   3. statistics: the tenant's passage count and, per query term, how many of
 *      its passages contain it (a `filters` aggregation on the stored terms),
 *      so coverage is computed exactly as the embedded index computes it;
 * then the candidates are fused client-side by the shared `fuse`.
 *
 * Writes (KnowledgeIndexWriter). Serverless vector collections assign document
 * ids themselves (no custom `_id`, no upsert by id) and answered
 * `_delete_by_query` with 404 in the field (opensearch-java#1112), so a write
 * looks up the tenant's affected documents by `passageId`/`sourceId` with a
 * tenant-filtered search and sends one `_bulk` that deletes them and indexes
 * the new ones. Searches read ~seconds behind writes (no refresh on
 * Serverless); every document carries a `revision` and a search keeps only
 * the newest document of a passage id, so a passage replaced a moment ago
 * never shows twice.
 *
 * Who writes it: the knowledge indexer (core/knowledge-indexing.ts), after an
 * import or edit has stored its passages in DynamoDB (the source of truth,
 * ./embedding-store.ts) and published `knowledge.changed`.
 */
import { Client, errors } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { z } from 'zod';
import { analyseQuery, coverageOf, idfOf, passageTerms } from '../../core/answer/bm25';
import { DEFAULT_FUSION, embedPassages, embedsLanguageOf, fuse, passageEmbeddingModel, unitVector, type FusionCandidate, type FusionOptions } from '../../core/answer/hybrid';
import { plainPassage, type EmbeddedPassage, type Passage } from '../../core/answer/passages';
import { stem, terms, words } from '../../core/answer/text';
import type { Embedder, KnowledgeIndex, KnowledgeIndexWriter, RetrievedPassage, SearchOptions } from '../../core/ports';

export interface OpenSearchClientOptions {
  /** The collection endpoint, e.g. https://abc123.us-east-1.aoss.amazonaws.com. */
  readonly endpoint: string;
  readonly region: string;
  /** @default 'aoss' (OpenSearch Serverless); 'es' for a managed domain. */
  readonly service?: 'aoss' | 'es';
  /** @default the AWS SDK's default credential chain */
  readonly getCredentials?: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
}

/** A client that signs every request with SigV4 for OpenSearch Serverless. */
export function openSearchClient(options: OpenSearchClientOptions): Client {
  return new Client({
    ...AwsSigv4Signer({ region: options.region, service: options.service ?? 'aoss', getCredentials: options.getCredentials ?? defaultProvider() }),
    node: options.endpoint,
  });
}

export interface OpenSearchKnowledgeIndexOptions {
  readonly client: Client;
  /** One index per environment, e.g. `concierge-passages-prod`. */
  readonly indexName: string;
  /** Embeds questions and (for writes without an embedding of its model) passages. */
  readonly embedder: Embedder;
  /** @default DEFAULT_FUSION */
  readonly fusion?: FusionOptions;
  /** Documents per `_bulk` request. @default 200 */
  readonly bulkSize?: number;
  /** Told when a question could not be embedded and was searched lexically only. @default console.warn */
  readonly onDegraded?: (error: unknown) => void;
}

/** What each document holds; `terms` are the passage's index terms as core/answer/bm25 makes them. */
const documentSchema = z.object({
  tenantId: z.string(),
  passageId: z.string(),
  kind: z.enum(['faq', 'document']),
  title: z.string(),
  text: z.string(),
  sourceId: z.string(),
  /** An FAQ's alternative wordings (searched like its title). */
  phrasings: z.array(z.string()).optional(),
  /** A document passage's format when it is not Markdown (`Passage.format`); absent on every document written before it. */
  format: z.enum(['text', 'pdf']).optional(),
  terms: z.array(z.string()).default([]),
  revision: z.number().default(0),
  embedding: z.array(z.number()).optional(),
});
type PassageDocument = z.infer<typeof documentSchema>;

const hitsSchema = z.object({
  hits: z.object({
    total: z.union([z.number(), z.object({ value: z.number() })]).optional(),
    hits: z.array(z.object({ _id: z.string(), _score: z.number().nullable().optional(), _source: documentSchema, sort: z.array(z.unknown()).optional() })),
  }),
});

const statsSchema = z.object({
  hits: z.object({ total: z.union([z.number(), z.object({ value: z.number() })]) }),
  aggregations: z.object({ df: z.object({ buckets: z.record(z.string(), z.object({ doc_count: z.number() })) }) }).optional(),
});

const bulkSchema = z.object({
  errors: z.boolean(),
  items: z.array(z.record(z.string(), z.object({ status: z.number(), error: z.unknown().optional() }))),
});

const SOURCE_FIELDS = ['tenantId', 'passageId', 'kind', 'title', 'text', 'sourceId', 'phrasings', 'format', 'terms', 'revision'];
/** One page of a lookup of existing documents (the default max_result_window is 10,000). */
const PAGE = 1000;

function totalOf(total: number | { value: number } | undefined): number {
  return typeof total === 'number' ? total : (total?.value ?? 0);
}

function isMissingIndex(error: unknown): boolean {
  return error instanceof errors.ResponseError && error.statusCode === 404;
}

export class OpenSearchKnowledgeIndex implements KnowledgeIndex, KnowledgeIndexWriter {
  private readonly client: Client;
  private readonly index: string;
  private readonly embedder: Embedder;
  private readonly fusion: FusionOptions;
  private readonly bulkSize: number;
  private readonly onDegraded: (error: unknown) => void;
  private ready: Promise<void> | undefined;

  constructor(options: OpenSearchKnowledgeIndexOptions) {
    this.client = options.client;
    this.index = options.indexName;
    this.embedder = options.embedder;
    this.fusion = options.fusion ?? DEFAULT_FUSION;
    this.bulkSize = options.bulkSize ?? 200;
    this.onDegraded = options.onDegraded ?? ((e: unknown) => console.warn('OpenSearch knowledge index: question not embedded, searching lexically', e));
  }

  // ---- search ---------------------------------------------------------------------------------------

  /**
   * `options` go unused: the collection is searched as it is, with no version to know, and Titan embeds one text
   * per call, so embedding a rendering that may never be searched would only cost.
   */
  async search(tenantId: string, query: string, k: number, _options?: SearchOptions): Promise<RetrievedPassage[]> {
    if (k <= 0 || words(query).length === 0) return [];
    const depth = Math.max(this.fusion.candidates, k);
    // Without the question's embedding (Bedrock throttled or down), the search is lexical rather than failed.
    const embedded: Promise<Float32Array | undefined> = embedsLanguageOf(this.embedder, query)
      ? this.embedder.embed([query]).then(
          ([v]) => (v ? unitVector(v) : undefined),
          (error: unknown) => {
            this.onDegraded(error);
            return undefined;
          },
        )
      : Promise.resolve(undefined);
    try {
      const [vector, knn, lexical, stats] = await Promise.all([
        embedded,
        embedded.then((v) => (v ? this.knnSearch(tenantId, v, depth) : [])),
        this.lexicalSearch(tenantId, query, depth),
        this.termStatistics(tenantId, query),
      ]);
      return this.rank(query, lexical, knn, stats, vector, k);
    } catch (error) {
      if (isMissingIndex(error)) return [];
      throw error;
    }
  }

  private async lexicalSearch(tenantId: string, query: string, size: number): Promise<{ doc: PassageDocument; score: number }[]> {
    const response = await this.client.search({
      index: this.index,
      body: {
        size,
        _source: [...SOURCE_FIELDS, 'embedding'],
        query: {
          bool: {
            filter: [{ term: { tenantId } }],
            must: [{ multi_match: { query, fields: ['title^3', 'phrasings^3', 'text'], type: 'most_fields' } }],
          },
        },
      },
    });
    return hitsSchema.parse(response.body).hits.hits.map((h) => ({ doc: h._source, score: h._score ?? 0 }));
  }

  private async knnSearch(tenantId: string, vector: Float32Array, size: number): Promise<{ doc: PassageDocument; cosine: number }[]> {
    const response = await this.client.search({
      index: this.index,
      body: {
        size,
        _source: SOURCE_FIELDS,
        query: {
          bool: {
            filter: [{ term: { tenantId } }],
            must: [{ knn: { embedding: { vector: Array.from(vector), k: size, filter: { term: { tenantId } } } } }],
          },
        },
      },
    });
    // cosinesimil scores are (1 + cosine) / 2.
    return hitsSchema.parse(response.body).hits.hits.map((h) => ({ doc: h._source, cosine: 2 * (h._score ?? 0.5) - 1 }));
  }

  /** The tenant's passage count and each candidate term's document frequency among them. */
  private async termStatistics(tenantId: string, query: string): Promise<{ n: number; df: Map<string, number> }> {
    const raw = words(query);
    const candidates = [...new Set([...terms(query), ...raw.slice(1).map((w, i) => stem(`${raw[i] ?? ''}${w}`))])];
    const response = await this.client.search({
      index: this.index,
      body: {
        size: 0,
        track_total_hits: true,
        query: { bool: { filter: [{ term: { tenantId } }] } },
        ...(candidates.length > 0
          ? { aggs: { df: { filters: { filters: Object.fromEntries(candidates.map((t, i) => [`t${i}`, { term: { terms: t } }])) } } } }
          : {}),
      },
    });
    const stats = statsSchema.parse(response.body);
    const buckets = stats.aggregations?.df.buckets ?? {};
    return { n: totalOf(stats.hits.total), df: new Map(candidates.map((t, i) => [t, buckets[`t${i}`]?.doc_count ?? 0])) };
  }

  private rank(
    query: string,
    lexical: readonly { doc: PassageDocument; score: number }[],
    knn: readonly { doc: PassageDocument; cosine: number }[],
    stats: { n: number; df: Map<string, number> },
    vector: Float32Array | undefined,
    k: number,
  ): RetrievedPassage[] {
    const inVocabulary = (t: string): boolean => (stats.df.get(t) ?? 0) > 0;
    const idf = (t: string): number => idfOf(stats.n, stats.df.get(t) ?? 0);
    const groups = analyseQuery(query, inVocabulary, () => []);
    const coverage = (doc: PassageDocument): number => {
      const has = new Set(doc.terms);
      return coverageOf(groups, (t) => has.has(t), inVocabulary, idf);
    };
    // The newest document of each passage id (a replaced passage may linger for a moment).
    const newest = new Map<string, PassageDocument>();
    for (const { doc } of [...lexical, ...knn]) {
      const seen = newest.get(doc.passageId);
      if (!seen || doc.revision > seen.revision) newest.set(doc.passageId, doc);
    }
    const bm25 = new Map<string, number>();
    const cosine = new Map<string, number>();
    for (const { doc, score } of lexical) {
      if (newest.get(doc.passageId) !== doc) continue;
      bm25.set(doc.passageId, Math.max(score, bm25.get(doc.passageId) ?? 0));
      if (vector && doc.embedding?.length === vector.length) cosine.set(doc.passageId, dot(unitVector(doc.embedding), vector));
    }
    for (const { doc, cosine: c } of knn) if (newest.get(doc.passageId) === doc) cosine.set(doc.passageId, c);
    const candidates: FusionCandidate[] = [...newest.values()].map((doc) => ({
      passage: passageOf(doc),
      bm25: bm25.get(doc.passageId) ?? 0,
      coverage: coverage(doc),
      ...(vector ? { cosine: cosine.get(doc.passageId) ?? 0 } : {}),
    }));
    return fuse(candidates, k, this.fusion);
  }

  // ---- writes ---------------------------------------------------------------------------------------

  async upsert(tenantId: string, passages: readonly EmbeddedPassage[]): Promise<void> {
    if (passages.length === 0) return;
    const stale = await this.findDocuments(tenantId, { terms: { passageId: passages.map((p) => p.id) } });
    await this.write(tenantId, stale, passages);
  }

  async remove(tenantId: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.write(tenantId, await this.findDocuments(tenantId, { terms: { passageId: [...ids] } }), []);
  }

  async replaceSource(tenantId: string, sourceId: string, passages: readonly EmbeddedPassage[]): Promise<void> {
    const stale = await this.findDocuments(tenantId, { term: { sourceId } });
    await this.write(tenantId, stale, passages);
  }

  async replaceAll(tenantId: string, passages: readonly EmbeddedPassage[]): Promise<void> {
    await this.write(tenantId, await this.findDocuments(tenantId), passages);
  }

  /** Creates the index with its mapping unless it exists (once per process). */
  ensureIndex(): Promise<void> {
    this.ready ??= this.createIndex().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private async createIndex(): Promise<void> {
    const exists = await this.client.indices.exists({ index: this.index });
    // An index made before FAQs had alternative wordings, or documents a format, gets their fields (adding a field to
    // a mapping is allowed; documents written before simply lack it).
    if (exists.body === true) {
      await this.client.indices.putMapping({ index: this.index, body: { properties: { phrasings: PHRASINGS_MAPPING, format: FORMAT_MAPPING } } });
      return;
    }
    try {
      await this.client.indices.create({ index: this.index, body: indexDefinition(this.embedder.dimensions) });
    } catch (error) {
      // Another writer created it meanwhile.
      if (error instanceof errors.ResponseError && error.statusCode === 400 && JSON.stringify(error.body).includes('resource_already_exists')) return;
      throw error;
    }
  }

  /** Ids of the tenant's documents matching `filter` (all of them without one). */
  private async findDocuments(tenantId: string, filter?: Record<string, unknown>): Promise<string[]> {
    await this.ensureIndex();
    const ids: string[] = [];
    let after: (string | number)[] | undefined;
    for (;;) {
      const response = await this.client.search({
        index: this.index,
        body: {
          size: PAGE,
          _source: ['passageId', 'revision'],
          sort: [{ passageId: 'asc' }, { revision: 'asc' }],
          ...(after ? { search_after: after } : {}),
          query: { bool: { filter: [{ term: { tenantId } }, ...(filter ? [filter] : [])] } },
        },
      });
      const hits = z
        .object({ hits: z.object({ hits: z.array(z.object({ _id: z.string(), sort: z.array(z.union([z.string(), z.number()])).optional() })) }) })
        .parse(response.body).hits.hits;
      ids.push(...hits.map((h) => h._id));
      const last = hits[hits.length - 1];
      if (hits.length < PAGE || !last?.sort) return ids;
      after = last.sort;
    }
  }

  /** One or more `_bulk` requests: delete `stale` (ids found under the tenant's filter), then index `passages`. */
  private async write(tenantId: string, stale: readonly string[], passages: readonly EmbeddedPassage[]): Promise<void> {
    await this.ensureIndex();
    const documents = await this.documentsOf(tenantId, passages);
    const actions: Record<string, unknown>[][] = [
      ...stale.map((id) => [{ delete: { _index: this.index, _id: id } }]),
      ...documents.map((doc) => [{ index: { _index: this.index } }, doc]),
    ];
    for (let i = 0; i < actions.length; i += this.bulkSize) {
      const response = await this.client.bulk({ body: actions.slice(i, i + this.bulkSize).flat() });
      const result = bulkSchema.parse(response.body);
      // A document already gone is what a delete wanted.
      const failed = result.items.map((item) => Object.values(item)[0]).find((r) => r && r.status >= 300 && r.status !== 404);
      if (result.errors && failed) throw new Error(`OpenSearch bulk write failed (${failed.status}): ${JSON.stringify(failed.error)}`);
    }
  }

  /** Documents for the passages, embedding those without an embedding of this index's model. */
  private async documentsOf(tenantId: string, passages: readonly EmbeddedPassage[]): Promise<PassageDocument[]> {
    const model = passageEmbeddingModel(this.embedder);
    const made = await embedPassages(
      this.embedder,
      passages.filter((p) => p.embedding?.model !== model),
    );
    const byId = new Map(made.map((p) => [p.id, p.embedding?.vector]));
    const revision = Date.now();
    return passages.map((p) => {
      const vector = p.embedding?.model === model ? p.embedding.vector : byId.get(p.id);
      return {
        tenantId,
        passageId: p.id,
        kind: p.kind,
        title: p.title,
        text: p.text,
        sourceId: p.sourceId,
        ...(p.phrasings?.length ? { phrasings: [...p.phrasings] } : {}),
        ...(p.format ? { format: p.format } : {}),
        terms: passageTerms(p),
        revision,
        ...(vector ? { embedding: Array.from(unitVector(vector)) } : {}),
      };
    });
  }
}

function passageOf(doc: PassageDocument): Passage {
  return plainPassage({
    id: doc.passageId,
    kind: doc.kind,
    title: doc.title,
    text: doc.text,
    sourceId: doc.sourceId,
    ...(doc.phrasings ? { phrasings: doc.phrasings } : {}),
    ...(doc.format ? { format: doc.format } : {}),
  });
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] ?? 0) * (b[i] ?? 0);
  return s;
}

const PHRASINGS_MAPPING = { type: 'text', analyzer: 'concierge_text' } as const;
/** Returned with a passage (the answerer quotes plain text as written); not searched. */
const FORMAT_MAPPING = { type: 'keyword' } as const;

/** Settings and mapping of the passages index. */
export function indexDefinition(dimensions: number): Record<string, unknown> {
  return {
    settings: {
      index: { knn: true },
      analysis: {
        filter: {
          concierge_english_stop: { type: 'stop', stopwords: '_english_' },
          concierge_spanish_stop: { type: 'stop', stopwords: '_spanish_' },
          concierge_light_english: { type: 'stemmer', language: 'light_english' },
        },
        analyzer: {
          concierge_text: {
            type: 'custom',
            tokenizer: 'standard',
            filter: ['lowercase', 'asciifolding', 'concierge_english_stop', 'concierge_spanish_stop', 'concierge_light_english'],
          },
        },
      },
    },
    mappings: {
      properties: {
        tenantId: { type: 'keyword' },
        passageId: { type: 'keyword' },
        sourceId: { type: 'keyword' },
        kind: { type: 'keyword' },
        title: { type: 'text', analyzer: 'concierge_text' },
        phrasings: PHRASINGS_MAPPING,
        format: FORMAT_MAPPING,
        text: { type: 'text', analyzer: 'concierge_text' },
        terms: { type: 'keyword' },
        revision: { type: 'long' },
        embedding: {
          type: 'knn_vector',
          dimension: dimensions,
          method: { name: 'hnsw', engine: 'faiss', space_type: 'cosinesimil', parameters: { m: 16, ef_construction: 128 } },
        },
      },
    },
  };
}

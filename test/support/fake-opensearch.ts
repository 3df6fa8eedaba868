/**
 * A local stand-in for an OpenSearch Serverless collection, speaking just the
 * REST subset the knowledge-index adapter uses, faithfully enough to test it:
 *
 * - `HEAD /<index>`, `PUT /<index>` (settings and mapping kept; the k-NN
 *   dimension enforced on writes), `PUT`/`POST /<index>/_mapping` (new fields only);
 * - `POST /_bulk`: `index` without an id (Serverless vector collections assign
 *   ids) and `delete` by id;
 * - `POST /<index>/_search` with `bool` (`filter` of `term`/`terms`, `must` of
 *   one `multi_match` or one `knn`), `size`, `_source` includes, `sort` +
 *   `search_after` on keyword/long fields, `track_total_hits`, and a `filters`
 *   aggregation of `term` queries. `multi_match` is scored by the project's
 *   own BM25F (title and an FAQ's alternative wordings boosted) over the documents that pass the filter; `knn`
 *   is exact cosine over the documents that pass its filter, scored as the
 *   cosinesimil space does: (1 + cosine) / 2.
 *
 * Anything else is refused with a 400, so the adapter cannot come to rely on
 * a feature the fake does not check. Every request is recorded.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { z } from 'zod';
import { Bm25Index } from '../../lambdas/core/answer/bm25';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

export interface FakeOpenSearch {
  readonly endpoint: string;
  readonly requests: RecordedRequest[];
  /** Stored documents of an index, by id. */
  documents(index: string): ReadonlyMap<string, Record<string, unknown>>;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    reason: string,
  ) {
    super(reason);
  }
}

const fieldValue = z.union([z.string(), z.number(), z.boolean()]);
const filterSchema = z.union([
  z.strictObject({ term: z.record(z.string(), fieldValue) }),
  z.strictObject({ terms: z.record(z.string(), z.array(fieldValue)) }),
]);
type Filter = z.infer<typeof filterSchema>;
const multiMatchSchema = z.strictObject({
  multi_match: z.strictObject({ query: z.string(), fields: z.array(z.string()).min(1), type: z.enum(['best_fields', 'most_fields']).optional() }),
});
const knnSchema = z.strictObject({
  knn: z.record(z.string(), z.strictObject({ vector: z.array(z.number()).min(1), k: z.number().int().positive(), filter: filterSchema.optional() })),
});
const searchSchema = z.strictObject({
  size: z.number().int().min(0).max(10_000).default(10),
  _source: z.array(z.string()).optional(),
  track_total_hits: z.boolean().optional(),
  sort: z.array(z.record(z.string(), z.enum(['asc', 'desc']))).optional(),
  search_after: z.array(fieldValue).optional(),
  query: z.strictObject({
    bool: z.strictObject({ filter: z.array(filterSchema).optional(), must: z.array(z.union([multiMatchSchema, knnSchema])).max(1).optional() }),
  }),
  aggs: z.strictObject({ df: z.strictObject({ filters: z.strictObject({ filters: z.record(z.string(), filterSchema) }) }) }).optional(),
});
const bulkActionSchema = z.union([
  z.strictObject({ index: z.strictObject({ _index: z.string() }) }),
  z.strictObject({ delete: z.strictObject({ _index: z.string(), _id: z.string() }) }),
]);
const mappingSchema = z.object({
  mappings: z.object({ properties: z.record(z.string(), z.object({ type: z.string(), dimension: z.number().optional() }).passthrough()) }),
});

interface IndexState {
  readonly properties: Record<string, { type: string; dimension?: number }>;
  readonly docs: Map<string, Record<string, unknown>>;
}

function matches(doc: Record<string, unknown>, filter: Filter): boolean {
  const [field, value] = Object.entries('term' in filter ? filter.term : filter.terms)[0] ?? ['', undefined];
  const actual = doc[field];
  const values: unknown[] = Array.isArray(actual) ? actual : [actual];
  const wanted = Array.isArray(value) ? value : [value];
  return wanted.some((w) => values.includes(w));
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

export async function startFakeOpenSearch(): Promise<FakeOpenSearch> {
  const indexes = new Map<string, IndexState>();
  const requests: RecordedRequest[] = [];

  const indexOf = (name: string): IndexState => {
    const state = indexes.get(name);
    if (!state) throw new HttpError(404, 'index_not_found_exception', `no such index [${name}]`);
    return state;
  };

  const search = (name: string, raw: unknown): unknown => {
    const state = indexOf(name);
    const parsed = searchSchema.safeParse(raw);
    if (!parsed.success) throw new HttpError(400, 'parsing_exception', z.prettifyError(parsed.error));
    const body = parsed.data;
    const filters = body.query.bool.filter ?? [];
    let pool = [...state.docs].filter(([, doc]) => filters.every((f) => matches(doc, f)));
    let scored: { id: string; doc: Record<string, unknown>; score: number }[];
    const must = body.query.bool.must?.[0];
    if (must && 'multi_match' in must) {
      const bm25 = new Bm25Index(
        pool.map(([id, doc]) => {
          const phrasings = z.array(z.string()).safeParse(doc['phrasings']).data;
          return { id, kind: 'faq' as const, title: String(doc['title'] ?? ''), text: String(doc['text'] ?? ''), sourceId: id, ...(phrasings ? { phrasings } : {}) };
        }),
      );
      const byId = new Map(pool);
      scored = bm25.search(must.multi_match.query, pool.length).map((h) => ({ id: h.passage.id, doc: byId.get(h.passage.id) ?? {}, score: h.score }));
    } else if (must && 'knn' in must) {
      const [field, knn] = Object.entries(must.knn)[0] ?? ['', undefined];
      if (!knn) throw new HttpError(400, 'parsing_exception', 'knn needs a field');
      const dimension = state.properties[field]?.dimension;
      if (state.properties[field]?.type !== 'knn_vector' || dimension !== knn.vector.length) {
        throw new HttpError(400, 'illegal_argument_exception', `field [${field}] is not a knn_vector of dimension ${knn.vector.length}`);
      }
      if (knn.filter) {
        const f = knn.filter;
        pool = pool.filter(([, doc]) => matches(doc, f));
      }
      const norm = (v: readonly number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
      const q = knn.vector;
      scored = pool
        .flatMap(([id, doc]) => {
          const v = z.array(z.number()).safeParse(doc[field]).data;
          if (!v) return [];
          const cosine = v.reduce((s, x, i) => s + x * (q[i] ?? 0), 0) / (norm(v) * norm(q));
          return [{ id, doc, score: (1 + cosine) / 2 }];
        })
        .sort((a, b) => b.score - a.score)
        .slice(0, knn.k);
    } else {
      scored = pool.map(([id, doc]) => ({ id, doc, score: 0 }));
    }
    const total = scored.length;
    if (body.sort) {
      const keys = body.sort.map((s) => Object.entries(s)[0] ?? ['', 'asc']);
      const cmp = (a: Record<string, unknown>, b: Record<string, unknown>): number => {
        for (const [field, order] of keys) {
          const c = compare(a[field], b[field]);
          if (c !== 0) return order === 'asc' ? c : -c;
        }
        return 0;
      };
      scored.sort((a, b) => cmp(a.doc, b.doc));
      const after = body.search_after;
      if (after) scored = scored.filter((s) => cmp(s.doc, Object.fromEntries(keys.map(([field], i) => [field, after[i]]))) > 0);
    }
    const pick = (doc: Record<string, unknown>): Record<string, unknown> =>
      body._source ? Object.fromEntries(body._source.filter((f) => f in doc).map((f) => [f, doc[f]])) : doc;
    const aggregations = body.aggs
      ? {
          df: {
            buckets: Object.fromEntries(
              Object.entries(body.aggs.df.filters.filters).map(([name, f]) => [name, { doc_count: pool.filter(([, doc]) => matches(doc, f)).length }]),
            ),
          },
        }
      : undefined;
    return {
      took: 1,
      timed_out: false,
      hits: {
        total: { value: total, relation: 'eq' },
        max_score: scored[0]?.score ?? null,
        hits: scored.slice(0, body.size).map((s) => ({
          _index: name,
          _id: s.id,
          _score: body.sort ? null : s.score,
          _source: pick(s.doc),
          ...(body.sort ? { sort: body.sort.map((o) => s.doc[Object.keys(o)[0] ?? '']) } : {}),
        })),
      },
      ...(aggregations ? { aggregations } : {}),
    };
  };

  const bulk = (ndjson: string): unknown => {
    const lines = ndjson.split('\n').filter((l) => l.trim().length > 0).map((l): unknown => JSON.parse(l));
    const items: Record<string, unknown>[] = [];
    let errors = false;
    for (let i = 0; i < lines.length; i++) {
      const action = bulkActionSchema.safeParse(lines[i]);
      if (!action.success) throw new HttpError(400, 'illegal_argument_exception', `bad bulk action: ${JSON.stringify(lines[i])}`);
      if ('delete' in action.data) {
        const { _index, _id } = action.data.delete;
        const state = indexOf(_index);
        const found = state.docs.delete(_id);
        if (!found) errors = true;
        items.push({ delete: { _index, _id, status: found ? 200 : 404, result: found ? 'deleted' : 'not_found' } });
        continue;
      }
      const { _index } = action.data.index;
      const state = indexOf(_index);
      const doc = z.record(z.string(), z.unknown()).parse(lines[++i]);
      const vectorFields = Object.entries(state.properties).filter(([, p]) => p.type === 'knn_vector');
      const bad = vectorFields.find(([f, p]) => doc[f] !== undefined && (!Array.isArray(doc[f]) || doc[f].length !== p.dimension));
      if (bad) {
        errors = true;
        items.push({ index: { _index, status: 400, error: { type: 'mapper_parsing_exception', reason: `wrong dimension for [${bad[0]}]` } } });
        continue;
      }
      const id = randomUUID();
      state.docs.set(id, doc);
      items.push({ index: { _index, _id: id, status: 201, result: 'created' } });
    }
    return { took: 1, errors, items };
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      const text = Buffer.concat(chunks).toString('utf8');
      const method = req.method ?? 'GET';
      let body: unknown = text;
      if (text && !parts.includes('_bulk')) body = JSON.parse(text);
      requests.push({ method, path: url.pathname, headers: req.headers, body });
      const send = (status: number, payload?: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(payload === undefined ? '' : JSON.stringify(payload));
      };
      try {
        const [first, second] = parts;
        if (first === '_bulk' || second === '_bulk') return send(200, bulk(text));
        if (first && second === '_search' && (method === 'POST' || method === 'GET')) return send(200, search(first, body));
        if (first && parts.length === 1 && method === 'HEAD') return send(indexes.has(first) ? 200 : 404);
        if (first && second === '_mapping' && parts.length === 2 && (method === 'PUT' || method === 'POST')) {
          const state = indexOf(first);
          const added = z.object({ properties: mappingSchema.shape.mappings.shape.properties }).parse(body);
          for (const [field, definition] of Object.entries(added.properties)) {
            const current = state.properties[field];
            if (current && JSON.stringify(current) !== JSON.stringify(definition)) throw new HttpError(400, 'illegal_argument_exception', `mapper [${field}] cannot be changed`);
            state.properties[field] = definition;
          }
          return send(200, { acknowledged: true });
        }
        if (first && parts.length === 1 && method === 'PUT') {
          if (indexes.has(first)) throw new HttpError(400, 'resource_already_exists_exception', `index [${first}] already exists`);
          const mapping = mappingSchema.parse(body);
          indexes.set(first, { properties: mapping.mappings.properties, docs: new Map() });
          return send(200, { acknowledged: true, shards_acknowledged: true, index: first });
        }
        throw new HttpError(400, 'unsupported_operation', `the fake does not do ${method} ${url.pathname}`);
      } catch (error) {
        if (error instanceof HttpError) return send(error.status, { error: { type: error.type, reason: error.message }, status: error.status });
        return send(500, { error: { type: 'fake_failure', reason: error instanceof Error ? error.message : String(error) }, status: 500 });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the fake OpenSearch server has no TCP address');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    requests,
    documents: (index) => indexes.get(index)?.docs ?? new Map(),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The knowledge indexer: what a knowledge write leaves for later, done off the request path.
 *
 * An import or an admin edit writes its passages to the knowledge store (the source of truth) at once, with the
 * vectors it had time to make (`EmbeddingKnowledgeStore`'s budget), and publishes `knowledge.changed`. The
 * `KnowledgeIndexing` rule gives that event to the `knowledgeIndexer` function, which runs `indexKnowledge`:
 * - it embeds the changed passages that still lack a vector of the environment's embedder, a batch at a time,
 *   and keeps each batch's vectors beside the passages (so a timeout or a retry loses at most one batch);
 * - with OpenSearch Serverless, it then makes the collection's copy of those passages match the store.
 *
 * It reads the store's current state rather than trusting the event, so events may arrive late, twice or out
 * of order: whatever it writes is what the store holds when it runs (read again after embedding, which can take
 * minutes, so an edit saved meanwhile is not undone in the collection, and again after writing, so a run overtaken
 * by a newer one writes again). A failure throws, and EventBridge retries the event (then keeps it in the
 * dead-letter queue).
 */
import { embedInBatches, passageEmbeddingModel, withoutVectors } from './answer/hybrid';
import { sameContent, type EmbeddedPassage } from './answer/passages';
import type { ConciergeEvent, Embedder, KnowledgeIndexWriter, KnowledgeStore, PassageCounts } from './ports';

/** A knowledge write: the whole knowledge base (an import), or one FAQ or document (`sourceId`; an edit or a deletion). */
export interface KnowledgeChange {
  readonly tenantId: string;
  /** The knowledge-base version the write produced. */
  readonly version: number;
  /** The FAQ or document changed; absent for a whole import. */
  readonly sourceId?: string;
}

export function knowledgeChangedEvent(change: KnowledgeChange): ConciergeEvent {
  return {
    type: 'knowledge.changed',
    tenantId: change.tenantId,
    detail: { version: change.version, ...(change.sourceId !== undefined ? { sourceId: change.sourceId } : {}) },
  };
}

export interface KnowledgeIndexingDeps {
  readonly store: Pick<KnowledgeStore, 'listPassages' | 'countPassages'> & Required<Pick<KnowledgeStore, 'storePassageVectors' | 'markIndexed' | 'indexedVersion'>>;
  readonly embedder: Embedder;
  /** A search index with its own copy of the passages (OpenSearch Serverless); none for the embedded index. */
  readonly index?: KnowledgeIndexWriter;
  /** Passages embedded, and their vectors kept, per round. @default 64 */
  readonly batchSize?: number;
}

export interface IndexingResult {
  /** The knowledge-base version that was indexed (the store's current one, which may be newer than the event's). */
  readonly version: number;
  /** Passages of the change (the whole knowledge base, or the one source's). */
  readonly passages: number;
  /** Of those, embedded now (they had no vector of the embedder's model). */
  readonly embedded: number;
  /** Vectors kept in the store (fewer than embedded when an edit changed a passage meanwhile). */
  readonly kept: number;
  /** Passages written to the search index (0 without one). */
  readonly indexed: number;
  /** Writes made to the search index (0 without one): more than one when the store changed while it was written. */
  readonly rounds: number;
}

export async function indexKnowledge(deps: KnowledgeIndexingDeps, change: KnowledgeChange): Promise<IndexingResult> {
  const { tenantId, sourceId } = change;
  const inScope = (passages: readonly EmbeddedPassage[]) => (sourceId === undefined ? passages : passages.filter((p) => p.sourceId === sourceId));
  const listed = await deps.store.listPassages(tenantId);
  const scoped = inScope(listed.passages);
  const made = new Map<string, EmbeddedPassage>();
  let kept = 0;
  await embedInBatches(deps.embedder, withoutVectors(deps.embedder, scoped), {
    batch: deps.batchSize ?? 64,
    onBatch: async (round) => {
      for (const p of round) made.set(p.id, p);
      kept += await deps.store.storePassageVectors(tenantId, round);
    },
  });
  if (!deps.index) return { version: listed.version, passages: scoped.length, embedded: made.size, kept, indexed: 0, rounds: 0 };

  // Embedding a large import takes minutes: an edit saved meanwhile must not be overwritten in the collection by the
  // text read before it. So the collection gets the store's state as it is now (with the vectors just kept); a
  // passage changed since has no vector yet, and the index writer embeds it.
  // Two runs for one tenant may still overlap: an older one's write can land after a newer one's. So after writing,
  // the store is read once more, and while it no longer holds what was written, the write is made again from it.
  // Whichever run writes last has then written the store's state, however the runs interleave.
  const model = passageEmbeddingModel(deps.embedder);
  let now = await deps.store.listPassages(tenantId);
  for (let round = 1; ; round++) {
    const complete = inScope(now.passages).map((p) => {
      const vector = made.get(p.id);
      return p.embedding?.model !== model && vector && sameContent(vector, p) ? vector : p;
    });
    if (sourceId === undefined) await deps.index.replaceAll(tenantId, complete);
    else await deps.index.replaceSource(tenantId, sourceId, complete);
    const after = await deps.store.listPassages(tenantId);
    if (samePassages(inScope(now.passages), inScope(after.passages))) {
      await deps.store.markIndexed(tenantId, now.version, { whole: sourceId === undefined });
      return { version: now.version, passages: complete.length, embedded: made.size, kept, indexed: complete.length, rounds: round };
    }
    if (round >= MAX_WRITE_ROUNDS) {
      // Edits keep arriving: EventBridge runs the event again later, from the state then.
      throw new Error(`knowledge of ${tenantId} changed during each of ${round} writes to the search index; leaving it for a retry`);
    }
    now = after;
  }
}

/** Writes to the search collection in one run before it gives up to a retry (each one follows an edit made during the last). */
export const MAX_WRITE_ROUNDS = 4;

/** The same passages with the same words and format (vectors aside): what the collection was given is still what the store holds. */
function samePassages(a: readonly EmbeddedPassage[], b: readonly EmbeddedPassage[]): boolean {
  if (a.length !== b.length) return false;
  const byId = new Map(b.map((p) => [p.id, p]));
  return a.every((p) => {
    const q = byId.get(p.id);
    return q !== undefined && q.sourceId === p.sourceId && q.kind === p.kind && q.format === p.format && sameContent(p, q);
  });
}

/** GET /v1/admin/knowledge/status: how far the knowledge indexer has got with the current knowledge base. */
export interface IndexingStatus {
  readonly version: number;
  readonly passages: number;
  /** Passages stored with a vector of the environment's embedding model (searched by meaning as well as by words). */
  readonly withVectors: number;
  /**
   * `indexing` while some passages still wait for their vector (they are found by their words meanwhile) or, with a
   * search collection, until the indexer has written this version to it; `ready` after.
   */
  readonly state: 'ready' | 'indexing';
}

export async function indexingStatus(deps: Pick<KnowledgeIndexingDeps, 'store' | 'embedder' | 'index'>, tenantId: string): Promise<IndexingStatus> {
  const [counts, indexed] = await Promise.all([passageCounts(deps, tenantId), deps.index ? deps.store.indexedVersion(tenantId) : undefined]);
  const { version, passages } = counts;
  const withVectors = counts.vectors[passageEmbeddingModel(deps.embedder)] ?? 0;
  const waiting = withVectors < passages || (indexed !== undefined && indexed < version);
  return { version, passages, withVectors, state: waiting ? 'indexing' : 'ready' };
}

/** The store's counts (the status is polled: the table counts without reading texts and vectors), or the passages counted here. */
async function passageCounts(deps: Pick<KnowledgeIndexingDeps, 'store'>, tenantId: string): Promise<PassageCounts> {
  if (deps.store.countPassages) return deps.store.countPassages(tenantId);
  const { version, passages } = await deps.store.listPassages(tenantId);
  return countsOf(version, passages);
}

/** A version's passages counted, with their vectors by model. */
export function countsOf(version: number, passages: readonly EmbeddedPassage[]): PassageCounts {
  const vectors: Record<string, number> = {};
  for (const p of passages) if (p.embedding) vectors[p.embedding.model] = (vectors[p.embedding.model] ?? 0) + 1;
  return { version, passages: passages.length, vectors };
}

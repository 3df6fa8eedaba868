/**
 * The knowledge indexer's use case (core/knowledge-indexing.ts) over the in-memory knowledge store: a write that
 * ran out of its embedding budget leaves passages without vectors; the indexer embeds exactly the changed ones,
 * keeps them, and reads the store's current state, whatever version its event names. Through the local cloud,
 * on DynamoDB Local and the bus: test/integration/knowledge-indexer.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmbeddingKnowledgeStore } from '../../lambdas/adapters/knowledge/embedding-store';
import { passageEmbeddingModel } from '../../lambdas/core/answer/hybrid';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema } from '../../lambdas/core/knowledge-base';
import { indexingStatus, indexKnowledge, knowledgeChangedEvent, MAX_WRITE_ROUNDS, type KnowledgeChange } from '../../lambdas/core/knowledge-indexing';
import { deleteFaq, putFaq } from '../../lambdas/core/knowledge-items';
import type { Embedder, KnowledgeIndexWriter } from '../../lambdas/core/ports';
import type { EmbeddedPassage } from '../../lambdas/core/answer/passages';
import { hashedEmbedding } from '../support/fake-bedrock-embeddings';
import { MemoryKnowledgeStore } from '../support/memory-knowledge-store';
import { loadConfig } from '../../lambdas/adapters/config';

const kb = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '../../local-cloud/seed/demo-kb.json'), 'utf8')));

/** A deterministic embedder that records the texts it embeds. */
class RecordingEmbedder implements Embedder {
  readonly model = 'hash-32';
  readonly dimensions = 32;
  readonly texts: string[] = [];
  async embed(texts: readonly string[]): Promise<number[][]> {
    this.texts.push(...texts);
    return texts.map((t) => hashedEmbedding(t, this.dimensions));
  }
}

/** A search index with its own copy, recording what it is told. */
class RecordingIndex implements KnowledgeIndexWriter {
  readonly calls: { op: string; sourceId?: string; ids: string[]; vectors: number }[] = [];
  async upsert(): Promise<void> {
    throw new Error('the indexer replaces, it does not upsert');
  }
  async remove(): Promise<void> {
    throw new Error('the indexer replaces, it does not remove');
  }
  async replaceSource(_tenantId: string, sourceId: string, passages: readonly EmbeddedPassage[]): Promise<void> {
    this.calls.push({ op: 'replaceSource', sourceId, ids: passages.map((p) => p.id), vectors: passages.filter((p) => p.embedding).length });
  }
  async replaceAll(_tenantId: string, passages: readonly EmbeddedPassage[]): Promise<void> {
    this.calls.push({ op: 'replaceAll', ids: passages.map((p) => p.id), vectors: passages.filter((p) => p.embedding).length });
  }
}

async function importedWithoutVectors(tenantId: string) {
  const store = new MemoryKnowledgeStore();
  const changes: KnowledgeChange[] = [];
  const writing = new EmbeddingKnowledgeStore(store, new RecordingEmbedder(), { embedBudgetMs: 0, onChanged: async (c) => void changes.push(c) });
  await provisionTenant(writing, { tenantId, widgetKey: `wk_${tenantId}_${'d'.repeat(24)}`, allowedOrigins: ['https://clinic.example'], kb });
  return { store, writing, changes };
}

describe('the knowledge indexer', () => {
  it('is told of an import that ran out of budget, and the status says indexing until it has run', async () => {
    const { store, changes } = await importedWithoutVectors('acme');
    const { version, passages } = await store.listPassages('acme');
    expect(changes).toEqual([{ tenantId: 'acme', version }]);
    expect(knowledgeChangedEvent({ tenantId: 'acme', version })).toEqual({ type: 'knowledge.changed', tenantId: 'acme', detail: { version } });
    expect(await indexingStatus({ store, embedder: new RecordingEmbedder() }, 'acme')).toEqual({ version, passages: passages.length, withVectors: 0, state: 'indexing' });

    const embedder = new RecordingEmbedder();
    const result = await indexKnowledge({ store, embedder, batchSize: 7 }, { tenantId: 'acme', version });
    expect(result).toEqual({ version, passages: passages.length, embedded: passages.length, kept: passages.length, indexed: 0, rounds: 0 });
    // Each passage once: its title, and its title with its text.
    expect(embedder.texts).toHaveLength(2 * passages.length);
    expect(await indexingStatus({ store, embedder: new RecordingEmbedder() }, 'acme')).toEqual({ version, passages: passages.length, withVectors: passages.length, state: 'ready' });
    for (const p of (await store.listPassages('acme')).passages) expect(p.embedding?.model).toBe(passageEmbeddingModel(embedder));

    // Run again (EventBridge delivers at least once): nothing left to embed.
    const again = await indexKnowledge({ store, embedder }, { tenantId: 'acme', version });
    expect(again).toMatchObject({ embedded: 0, kept: 0 });
    expect(embedder.texts).toHaveLength(2 * passages.length);
  });

  it('embeds only the edited source, and writes only that source to a search index', async () => {
    const { store, writing, changes } = await importedWithoutVectors('edits');
    const { version } = await store.listPassages('edits');
    const edited = await putFaq({ store: writing }, 'edits', 'parking', { question: 'Do you have parking?', answer: 'Yes: eight free spaces behind the building.', category: 'Visiting' });
    expect(changes.at(-1)).toEqual({ tenantId: 'edits', version: edited.version, sourceId: 'parking' });
    expect(edited.version).toBe(version + 1);

    const embedder = new RecordingEmbedder();
    const index = new RecordingIndex();
    const result = await indexKnowledge({ store, embedder, index }, { tenantId: 'edits', version: edited.version, sourceId: 'parking' });
    expect(result).toEqual({ version: edited.version, passages: 1, embedded: 1, kept: 1, indexed: 1, rounds: 1 });
    expect(embedder.texts).toEqual(['Do you have parking?', expect.stringContaining('eight free spaces')]);
    expect(index.calls).toEqual([{ op: 'replaceSource', sourceId: 'parking', ids: ['parking'], vectors: 1 }]);
    const status = await indexingStatus({ store, embedder: new RecordingEmbedder() }, 'edits');
    expect(status).toMatchObject({ withVectors: 1, state: 'indexing' });

    // The whole import's event, delivered late: the current state is indexed, the edit included.
    const whole = await indexKnowledge({ store, embedder, index }, { tenantId: 'edits', version });
    expect(whole.version).toBe(edited.version);
    expect(whole.embedded).toBe(status.passages - 1);
    expect(index.calls.at(-1)).toEqual({ op: 'replaceAll', ids: expect.arrayContaining(['parking']), vectors: status.passages });
    expect((await indexingStatus({ store, embedder: new RecordingEmbedder() }, 'edits')).state).toBe('ready');
  });

  it('writes the search index from the store as it is after embedding, so an edit saved meanwhile is not undone', async () => {
    const { store, writing } = await importedWithoutVectors('race');
    const { version } = await store.listPassages('race');
    const index = new RecordingIndex();
    const written: EmbeddedPassage[] = [];
    index.replaceAll = async (_tenantId, passages) => void written.push(...passages);
    // The admin fixes the parking FAQ while the indexer is embedding the import.
    const embedder = new RecordingEmbedder();
    let edited = false;
    const editingEmbedder: Embedder = {
      model: embedder.model,
      dimensions: embedder.dimensions,
      embed: async (texts) => {
        if (!edited) {
          edited = true;
          await putFaq({ store: writing }, 'race', 'parking', { question: 'Do you have parking?', answer: 'Yes: the Pier Lane car park, level 2.', category: 'Visiting' });
        }
        return embedder.embed(texts);
      },
    };
    const result = await indexKnowledge({ store, embedder: editingEmbedder, index, batchSize: 8 }, { tenantId: 'race', version });
    expect(result.version).toBe(version + 1);
    const parking = written.find((p) => p.id === 'parking');
    expect(parking?.text).toContain('Pier Lane car park');
    // Its vector (made for the old text) was neither kept nor sent: the index writer embeds the new text.
    expect(parking?.embedding).toBeUndefined();
    expect((await store.listPassages('race')).passages.find((p) => p.id === 'parking')?.embedding).toBeUndefined();
    expect(written.filter((p) => p.id !== 'parking').every((p) => p.embedding?.model === passageEmbeddingModel(embedder))).toBe(true);
  });

  it('writes again when a newer run wrote the collection before its own write landed, so the last write is the store’s state', async () => {
    const { store, writing } = await importedWithoutVectors('overlap');
    const { version } = await store.listPassages('overlap');
    const embedder = new RecordingEmbedder();
    // The collection: what the last write to each passage left there.
    const collection = new Map<string, string>();
    const fixed = { question: 'Do you have parking?', answer: 'Yes: the Pier Lane car park, level 2.', category: 'Visiting' };
    let overtaken = false;
    const collectionIndex = new RecordingIndex();
    collectionIndex.replaceSource = async (_tenantId, sourceId, passages) => {
      for (const id of [...collection.keys()]) if (id === sourceId || id.startsWith(`${sourceId}#`)) collection.delete(id);
      for (const p of passages) collection.set(p.id, p.text);
    };
    // The import's run is slow to write: meanwhile the parking FAQ is fixed and that edit's run writes it first.
    const slowIndex = new RecordingIndex();
    slowIndex.replaceAll = async (_tenantId, passages) => {
      if (!overtaken) {
        overtaken = true;
        const edit = await putFaq({ store: writing }, 'overlap', 'parking', fixed);
        await indexKnowledge({ store, embedder, index: collectionIndex }, { tenantId: 'overlap', version: edit.version, sourceId: 'parking' });
        expect(collection.get('parking')).toContain('Pier Lane car park');
      }
      collection.clear();
      for (const p of passages) collection.set(p.id, p.text);
    };
    const result = await indexKnowledge({ store, embedder, index: slowIndex }, { tenantId: 'overlap', version });
    expect(overtaken).toBe(true);
    // Its first write put the old parking text back over the edit's; it saw that and wrote the store's state again.
    expect(result).toMatchObject({ version: version + 1, rounds: 2 });
    expect(collection.get('parking')).toContain('Pier Lane car park');
    const stored = (await store.listPassages('overlap')).passages;
    expect(collection.size).toBe(stored.length);
    for (const p of stored) expect(collection.get(p.id)).toBe(p.text);
    expect(await store.indexedVersion('overlap')).toBe(version + 1);
  });

  it('leaves the event for a retry when the store changes during every write, recording no version as indexed', async () => {
    const { store, writing } = await importedWithoutVectors('busy');
    const { version } = await store.listPassages('busy');
    const index = new RecordingIndex();
    let edits = 0;
    index.replaceSource = async () => {
      edits += 1;
      await putFaq({ store: writing }, 'busy', 'parking', { question: 'Do you have parking?', answer: `Yes: ${edits} spaces behind the building.`, category: 'Visiting' });
    };
    await expect(indexKnowledge({ store, embedder: new RecordingEmbedder(), index }, { tenantId: 'busy', version, sourceId: 'parking' })).rejects.toThrow(
      `knowledge of busy changed during each of ${MAX_WRITE_ROUNDS} writes to the search index`,
    );
    expect(edits).toBe(MAX_WRITE_ROUNDS);
    expect(await store.indexedVersion('busy')).toBe(0);
  });

  it('is told again when an edit is repeated unchanged (a retry after the first notice was lost), with nothing written', async () => {
    const { store, writing, changes } = await importedWithoutVectors('retry');
    const body = { question: 'Do you have parking?', answer: 'Yes: eight free spaces behind the building.', category: 'Visiting' };
    const first = await putFaq({ store: writing }, 'retry', 'parking', body);
    const again = await putFaq({ store: writing }, 'retry', 'parking', body);
    expect(again.version).toBe(first.version);
    expect(changes.slice(-2)).toEqual([
      { tenantId: 'retry', version: first.version, sourceId: 'parking' },
      { tenantId: 'retry', version: first.version, sourceId: 'parking' },
    ]);
    expect((await store.listPassages('retry')).version).toBe(first.version);
  });

  it('is told again when a delete is repeated (the first notice lost), though the repeat answers 404', async () => {
    const { store, writing, changes } = await importedWithoutVectors('redelete');
    const { version } = await deleteFaq({ store: writing }, 'redelete', 'parking');
    await expect(deleteFaq({ store: writing }, 'redelete', 'parking')).rejects.toMatchObject({ code: 'not_found', message: 'there is no FAQ "parking"' });
    expect(changes.slice(-2)).toEqual([
      { tenantId: 'redelete', version, sourceId: 'parking' },
      { tenantId: 'redelete', version, sourceId: 'parking' },
    ]);
    expect((await store.listPassages('redelete')).version).toBe(version);
    // An id that never existed: the notice is harmless, the index is told to hold nothing for it, as it already does.
    const index = new RecordingIndex();
    await expect(deleteFaq({ store: writing }, 'redelete', 'never-there')).rejects.toMatchObject({ code: 'not_found' });
    await indexKnowledge({ store, embedder: new RecordingEmbedder(), index }, changes.at(-1) ?? { tenantId: 'redelete', version });
    expect(index.calls).toEqual([{ op: 'replaceSource', sourceId: 'never-there', ids: [], vectors: 0 }]);
  });

  it('with a search collection, says indexing until the indexer has written the current version to it, vectors or not', async () => {
    const store = new MemoryKnowledgeStore();
    const embedder = new RecordingEmbedder();
    // Small enough to be embedded whole while it is written.
    await provisionTenant(new EmbeddingKnowledgeStore(store, embedder), { tenantId: 'os', widgetKey: `wk_os_${'d'.repeat(24)}`, allowedOrigins: [], kb });
    const index = new RecordingIndex();
    const { version, passages } = await store.listPassages('os');
    expect(await indexingStatus({ store, embedder }, 'os')).toMatchObject({ withVectors: passages.length, state: 'ready' });
    expect(await indexingStatus({ store, embedder, index }, 'os')).toMatchObject({ withVectors: passages.length, state: 'indexing' });
    await indexKnowledge({ store, embedder, index }, { tenantId: 'os', version });
    expect(await store.indexedVersion('os')).toBe(version);
    expect(await indexingStatus({ store, embedder, index }, 'os')).toEqual({ version, passages: passages.length, withVectors: passages.length, state: 'ready' });
    // Vectors of another model (the environment changed embedder) do not count.
    const other = { model: 'other', dimensions: 32, embed: embedder.embed.bind(embedder) };
    expect(await indexingStatus({ store, embedder: other }, 'os')).toMatchObject({ withVectors: 0, state: 'indexing' });
  });

  it("says indexing while an import's run is still going, though the run of an edit made after it has finished", async () => {
    const { store, writing } = await importedWithoutVectors('early');
    const embedder = new RecordingEmbedder();
    const { version } = await store.listPassages('early');
    const edit = await putFaq({ store: writing }, 'early', 'parking', { question: 'Do you have parking?', answer: 'Yes: twelve spaces.', category: 'Visiting' });
    let editDuringImport: Awaited<ReturnType<typeof indexKnowledge>> | undefined;
    const index = new RecordingIndex();
    const importing = new RecordingIndex();
    // The import's run reaches the collection last (it had the whole knowledge base to embed); the edit's run is done by then.
    importing.replaceAll = async (tenantId, passages) => {
      editDuringImport ??= await indexKnowledge({ store, embedder, index }, { tenantId, version: edit.version, sourceId: 'parking' });
      expect(await indexingStatus({ store, embedder, index }, 'early')).toMatchObject({ version: edit.version, state: 'indexing' });
      await index.replaceAll(tenantId, passages);
    };
    await indexKnowledge({ store, embedder, index: importing }, { tenantId: 'early', version });
    expect(editDuringImport).toMatchObject({ version: edit.version, indexed: 1 });
    expect(index.calls.map((c) => c.op)).toEqual(['replaceSource', 'replaceAll']);
    expect(await indexingStatus({ store, embedder, index }, 'early')).toMatchObject({ version: edit.version, state: 'ready' });
  });

  it('writes a deleted source to the search index as no passages', async () => {
    const { store, writing } = await importedWithoutVectors('deletes');
    const { version } = await deleteFaq({ store: writing }, 'deletes', 'parking');
    const index = new RecordingIndex();
    const result = await indexKnowledge({ store, embedder: new RecordingEmbedder(), index }, { tenantId: 'deletes', version, sourceId: 'parking' });
    expect(result).toEqual({ version, passages: 0, embedded: 0, kept: 0, indexed: 0, rounds: 1 });
    expect(index.calls).toEqual([{ op: 'replaceSource', sourceId: 'parking', ids: [], vectors: 0 }]);
  });
});

describe('KNOWLEDGE_EMBED_BUDGET_MS', () => {
  it('defaults to 12 s, takes 0 to leave every vector to the indexer, and refuses anything but whole milliseconds up to 20 s', () => {
    expect(loadConfig([], {}).KNOWLEDGE_EMBED_BUDGET_MS).toBe(12_000);
    expect(loadConfig([], { KNOWLEDGE_EMBED_BUDGET_MS: '0' }).KNOWLEDGE_EMBED_BUDGET_MS).toBe(0);
    for (const bad of ['', '1.5', '-1', 'soon', '20001']) {
      expect(() => loadConfig([], { KNOWLEDGE_EMBED_BUDGET_MS: bad })).toThrow(/KNOWLEDGE_EMBED_BUDGET_MS/);
    }
  });
});

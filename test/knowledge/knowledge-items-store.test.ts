/**
 * Knowledge items one at a time (core/knowledge-items.ts) on the DynamoDB
 * adapter, against Amazon's DynamoDB Local: only the changed item's passages
 * move, the version is bumped atomically, documents too large for one
 * transaction are switched without ever being half-visible, and whole imports
 * still work after edits.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTable, startDynamoDbLocal, type DynamoDbLocalHandle } from '../../local-cloud/dynamodb-local';
import { DynamoStore } from '../../lambdas/adapters/dynamo/store';
import { keys } from '../../lambdas/adapters/dynamo/keys';
import { chunkDocument } from '../../lambdas/core/answer/passages';
import { importKnowledgeBase, provisionTenant } from '../../lambdas/core/knowledge';
import { deleteDocument, deleteFaq, putDocument, putFaq } from '../../lambdas/core/knowledge-items';
import type { KnowledgeBase } from '../../lambdas/core/knowledge-base';
import type { PdfTextExtractor } from '../../lambdas/core/ports';

const TABLE = 'knowledge-items-test';
let ddb: DynamoDbLocalHandle;
let db: DynamoDBDocumentClient;
let store: DynamoStore;
/** Runs once, just before the next TransactWriteItems request is sent (to interleave another writer). */
let beforeNextTransaction: (() => Promise<void>) | undefined;

const noPdf: PdfTextExtractor = {
  extractText: () => Promise.reject(new Error('no PDFs in this test')),
};

beforeAll(async () => {
  ddb = await startDynamoDbLocal({ port: 0 });
  const client = new DynamoDBClient({ endpoint: ddb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await ensureTable(client, TABLE);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'TransactWriteItemsCommand' && beforeNextTransaction) {
        const hook = beforeNextTransaction;
        beforeNextTransaction = undefined;
        await hook();
      }
      return next(args);
    },
    { step: 'initialize', name: 'interleaveAnotherWriter' },
  );
  db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  store = new DynamoStore(db, TABLE, { now: () => new Date() });
});

afterAll(async () => {
  db?.destroy();
  await ddb?.stop();
});

const baseKb = (): KnowledgeBase => ({
  business: {
    name: 'Corner Bakery',
    slug: 'corner-bakery',
    timezone: 'Europe/Madrid',
    phone: '+34 600 000 000',
    email: 'hola@corner-bakery.example',
    address: 'Calle Mayor 1, Madrid',
    website: 'https://corner-bakery.example',
    languages: ['en', 'es'],
  },
  hours: [{ day: 'mon', open: '08:00', close: '14:00' }],
  services: [],
  staff: [],
  faqs: [{ id: 'gluten', question: 'Do you have gluten-free bread?', answer: 'Yes, every Friday.', category: 'Products' }],
  documents: [{ id: 'story', title: 'Our story', text: '## Beginnings\n\nThe bakery opened in 1987 in a tiny shop.' }],
});

let tenantCounter = 0;
async function newTenant(): Promise<string> {
  tenantCounter += 1;
  const tenantId = `bakery-${tenantCounter}`;
  await provisionTenant(store, { tenantId, widgetKey: `wk_${tenantId}_${'a'.repeat(24)}`, allowedOrigins: ['https://corner-bakery.example'], kb: baseKb() });
  return tenantId;
}

/** Markdown long enough for `chunks` passages, every paragraph marked with `tag`. */
function longDocument(tag: string, chunks: number): string {
  const sections: string[] = [];
  for (let s = 0; s < chunks; s++) {
    const words = Array.from({ length: 100 }, (_, i) => `${tag}${s}w${i}`).join(' ');
    sections.push(`## Part ${s + 1}\n\nThis part is about ${tag}. ${words}.`);
  }
  return sections.join('\n\n');
}

async function rawItems(tenantId: string, prefix: string): Promise<Record<string, unknown>[]> {
  const { version } = await store.listPassages(tenantId);
  const out: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  // The partition is the version unless KBHEAD says otherwise; look at every KB partition up to the version.
  for (let partition = 1; partition <= version; partition++) {
    do {
      const page = await db.send(
        new QueryCommand({
          TableName: TABLE,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
          ExpressionAttributeValues: { ':pk': keys.kbPartition(tenantId, partition), ':p': prefix },
          ExclusiveStartKey: start,
        }),
      );
      out.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
  }
  return out;
}

const passageIds = async (tenantId: string): Promise<string[]> => (await store.listPassages(tenantId)).passages.map((p) => p.id).sort();

describe('knowledge items on DynamoDB', () => {
  it('creates, replaces and deletes an FAQ in place, bumping the version each time', async () => {
    const tenant = await newTenant();
    const before = await store.listPassages(tenant);
    expect(before.passages.map((p) => p.id).sort()).toEqual(['gluten', 'story#1']);

    const created = await putFaq({ store }, tenant, 'delivery', { question: 'Do you deliver?', answer: 'Within 3 km, free over 20 euro.', category: 'Orders' });
    expect(created).toMatchObject({ created: true, version: before.version + 1 });
    expect(await passageIds(tenant)).toEqual(['delivery', 'gluten', 'story#1']);

    const replaced = await putFaq({ store }, tenant, 'delivery', { question: 'Do you deliver?', answer: 'Within 5 km now.', category: 'Orders' });
    expect(replaced).toMatchObject({ created: false, version: before.version + 2 });
    const after = await store.listPassages(tenant);
    expect(after.passages.filter((p) => p.id === 'delivery')).toEqual([
      { id: 'delivery', kind: 'faq', title: 'Do you deliver?', text: 'Within 5 km now.', sourceId: 'delivery' },
    ]);
    expect((await store.getKnowledgeBase(tenant))?.faqs.map((f) => [f.id, f.answer])).toEqual([
      ['gluten', 'Yes, every Friday.'],
      ['delivery', 'Within 5 km now.'],
    ]);

    // The same FAQ again changes nothing, not even the version.
    await expect(putFaq({ store }, tenant, 'delivery', { question: 'Do you deliver?', answer: 'Within 5 km now.', category: 'Orders' })).resolves.toMatchObject({
      created: false,
      version: before.version + 2,
    });

    // Another wording of its question is a change: kept in the file and searched with the passage.
    const worded = await putFaq({ store }, tenant, 'delivery', { question: 'Do you deliver?', answer: 'Within 5 km now.', category: 'Orders', alternatives: ['Can you bring it to my house?'] });
    expect(worded).toMatchObject({ created: false, version: before.version + 3 });
    expect((await store.listPassages(tenant)).passages.find((p) => p.id === 'delivery')?.phrasings).toEqual(['Can you bring it to my house?']);
    expect((await store.getKnowledgeBase(tenant))?.faqs.find((f) => f.id === 'delivery')?.alternatives).toEqual(['Can you bring it to my house?']);

    await expect(deleteFaq({ store }, tenant, 'delivery')).resolves.toEqual({ version: before.version + 4, changed: true });
    expect(await passageIds(tenant)).toEqual(['gluten', 'story#1']);
    await expect(deleteFaq({ store }, tenant, 'delivery')).rejects.toMatchObject({ code: 'not_found' });
    expect((await store.getProfile(tenant))?.kbVersion).toBe(before.version + 4);
  });

  it('switches a document longer than one transaction without it ever being half-visible, and leaves no chunks behind', async () => {
    const tenant = await newTenant();
    const first = await putDocument({ store, pdf: noPdf }, tenant, 'manual', { title: 'Manual', format: 'markdown', text: longDocument('alpha', 130) });
    expect(first.item.chunks).toBeGreaterThan(100);
    const visible = async (): Promise<string[]> =>
      (await store.listPassages(tenant)).passages.filter((p) => p.sourceId === 'manual').map((p) => /This part is about (\w+)/.exec(p.text)?.[1] ?? '?');
    expect(new Set(await visible())).toEqual(new Set(['alpha']));
    expect(await visible()).toHaveLength(first.item.chunks);

    // Just before the switch, the new chunks are written but not visible: readers still see exactly the old document.
    let seenBeforeSwitch: string[] = [];
    let rawBeforeSwitch = 0;
    beforeNextTransaction = async () => {
      seenBeforeSwitch = await visible();
      rawBeforeSwitch = (await rawItems(tenant, keys.kbChunkPrefix('manual'))).length;
    };
    const second = await putDocument({ store, pdf: noPdf }, tenant, 'manual', { title: 'Manual', format: 'markdown', text: longDocument('beta', 120) });
    expect(seenBeforeSwitch).toHaveLength(first.item.chunks);
    expect(new Set(seenBeforeSwitch)).toEqual(new Set(['alpha']));
    expect(rawBeforeSwitch).toBe(first.item.chunks + second.item.chunks);

    expect(new Set(await visible())).toEqual(new Set(['beta']));
    const ids = (await store.listPassages(tenant)).passages.filter((p) => p.sourceId === 'manual').map((p) => p.id);
    expect(ids).toEqual(expect.arrayContaining(['manual#1', `manual#${second.item.chunks}`]));
    expect(new Set(ids).size).toBe(second.item.chunks);
    expect(await rawItems(tenant, keys.kbChunkPrefix('manual'))).toHaveLength(second.item.chunks);
    // The other items were not touched.
    expect(await passageIds(tenant)).toEqual(expect.arrayContaining(['gluten', 'story#1']));
  });

  it('counts the live passages and their vectors as listPassages gives them, old generations and all, without reading them', async () => {
    const tenant = await newTenant();
    await putDocument({ store, pdf: noPdf }, tenant, 'manual', { title: 'Manual', format: 'markdown', text: longDocument('gamma', 3) });
    // Replaced by a long one: its chunks are written before the switch, beside the live ones, and must not count yet.
    let before: unknown;
    let beforeListed = 0;
    beforeNextTransaction = async () => {
      before = await store.countPassages(tenant);
      beforeListed = (await store.listPassages(tenant)).passages.length;
    };
    const long = await putDocument({ store, pdf: noPdf }, tenant, 'manual', { title: 'Manual', format: 'markdown', text: longDocument('delta', 110) });
    expect(long.item.chunks).toBeGreaterThan(100);
    expect(beforeListed).toBe(2 + 3);
    expect(before).toMatchObject({ passages: 2 + 3, vectors: {} });
    const { version, passages } = await store.listPassages(tenant);
    // Vectors of two models on some passages.
    const withVector = (p: (typeof passages)[number], model: string) => ({ ...p, embedding: { model, vector: Float32Array.from([1, 0, 0, 0]) } });
    expect(await store.storePassageVectors(tenant, passages.slice(0, 2).map((p) => withVector(p, 'm1#title+body')))).toBe(2);
    expect(await store.storePassageVectors(tenant, passages.slice(2, 3).map((p) => withVector(p, 'm2#title+body')))).toBe(1);
    const listed = (await store.listPassages(tenant)).passages;
    const byModel: Record<string, number> = {};
    for (const p of listed) if (p.embedding) byModel[p.embedding.model] = (byModel[p.embedding.model] ?? 0) + 1;
    expect(byModel).toEqual({ 'm1#title+body': 2, 'm2#title+body': 1 });
    expect(await store.countPassages(tenant)).toEqual({ version, passages: listed.length, vectors: byModel });
    expect(listed.length).toBe(2 + long.item.chunks);
  });

  it('recomputes and retries when another writer changes the knowledge base during the switch, cleaning up its own chunks', async () => {
    const tenant = await newTenant();
    await putDocument({ store, pdf: noPdf }, tenant, 'manual', { title: 'Manual', format: 'markdown', text: longDocument('alpha', 110) });
    // Another admin's edit lands between our chunk writes and our switch.
    beforeNextTransaction = async () => {
      await putFaq({ store }, tenant, 'hours', { question: 'When are you open?', answer: 'Mondays 8 to 14.', category: 'Visit' });
    };
    const result = await putDocument({ store, pdf: noPdf }, tenant, 'manual', { title: 'Manual v2', format: 'markdown', text: longDocument('gamma', 105) });
    const kb = await store.getKnowledgeBase(tenant);
    expect(kb?.faqs.map((f) => f.id)).toEqual(['gluten', 'hours']);
    expect(kb?.documents.find((d) => d.id === 'manual')?.title).toBe('Manual v2');
    expect((await store.listPassages(tenant)).passages.filter((p) => p.sourceId === 'manual')).toHaveLength(result.item.chunks);
    expect(await rawItems(tenant, keys.kbChunkPrefix('manual'))).toHaveLength(result.item.chunks);
  });

  it('deletes a long document and all its chunks; a small one in one transaction', async () => {
    const tenant = await newTenant();
    await putDocument({ store, pdf: noPdf }, tenant, 'manual', { title: 'Manual', format: 'markdown', text: longDocument('alpha', 101) });
    await deleteDocument({ store }, tenant, 'manual');
    expect(await passageIds(tenant)).toEqual(['gluten', 'story#1']);
    expect(await rawItems(tenant, keys.kbChunkPrefix('manual'))).toEqual([]);
    expect(await rawItems(tenant, keys.kbDocumentHeadPrefix)).toEqual([]);

    await deleteDocument({ store }, tenant, 'story');
    expect(await passageIds(tenant)).toEqual(['gluten']);
    expect((await store.getKnowledgeBase(tenant))?.documents).toEqual([]);
    await expect(deleteDocument({ store }, tenant, 'story')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('replaces an imported document (chunks without a generation) with an edited one', async () => {
    const tenant = await newTenant();
    const text = '## Beginnings\n\nThe bakery opened in 1987.\n\n## Today\n\nWe bake sourdough every morning.';
    await putDocument({ store, pdf: noPdf }, tenant, 'story', { title: 'Our story', format: 'markdown', text });
    const passages = (await store.listPassages(tenant)).passages.filter((p) => p.sourceId === 'story');
    expect(passages).toEqual(chunkDocument({ id: 'story', title: 'Our story', text }));
  });

  it('keeps a document’s format with it and with its passages, imported or edited, short or longer than one transaction (was: lost)', async () => {
    const tenant = await newTenant();
    const plan = '# 1 crown per visit is covered in full.\n\n# of visits a year: two check-ups.';
    // An import: the file's document and its passage (one: no line of plain text is a heading).
    await importKnowledgeBase(store, tenant, { ...baseKb(), documents: [...baseKb().documents, { id: 'plan', title: 'Plan', format: 'text', text: plan }] });
    expect((await store.getKnowledgeBase(tenant))?.documents).toEqual([...baseKb().documents, { id: 'plan', title: 'Plan', format: 'text', text: plan }]);
    expect((await store.listPassages(tenant)).passages.filter((p) => p.sourceId === 'plan')).toEqual([
      { id: 'plan#1', kind: 'document', title: 'Plan', text: plan, sourceId: 'plan', format: 'text' },
    ]);
    // An edit in one transaction, and one switched in generations.
    await putDocument({ store, pdf: noPdf }, tenant, 'terms', { title: 'Terms', format: 'text', text: '# Terms\n\nSee the plan.' });
    const long = await putDocument({ store, pdf: noPdf }, tenant, 'manual', { title: 'Manual', format: 'text', text: longDocument('plain', 110) });
    expect(long.item.chunks).toBeGreaterThan(100);
    const { passages } = await store.listPassages(tenant);
    expect(passages.filter((p) => p.sourceId === 'terms').map((p) => [p.title, p.format])).toEqual([['Terms', 'text']]);
    const manual = passages.filter((p) => p.sourceId === 'manual');
    expect(new Set(manual.map((p) => `${p.title} ${p.format}`))).toEqual(new Set(['Manual text']));
    // A Markdown document's passages are stored as before: no format attribute.
    expect((await rawItems(tenant, keys.kbPassagePrefix)).filter((i) => i['sourceId'] === 'story').map((i) => 'format' in i)).toEqual([false]);
  });

  it('imports a whole knowledge base after edits into a fresh partition and removes the edited one', async () => {
    const tenant = await newTenant();
    await putFaq({ store }, tenant, 'delivery', { question: 'Do you deliver?', answer: 'Yes.', category: 'Orders' });
    await putDocument({ store, pdf: noPdf }, tenant, 'manual', { title: 'Manual', format: 'markdown', text: longDocument('alpha', 3) });
    const edited = await store.listPassages(tenant);
    expect(edited.version).toBe(3);

    await importKnowledgeBase(store, tenant, baseKb());
    const imported = await store.listPassages(tenant);
    expect(imported.version).toBe(4);
    expect(imported.passages.map((p) => p.id).sort()).toEqual(['gluten', 'story#1']);
    // Partition 1 (the one edited in place) is gone; partition 4 holds the import.
    const partition1 = await db.send(
      new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.kbPartition(tenant, 1) } }),
    );
    expect(partition1.Items).toEqual([]);

    // And edits continue in the new partition.
    await putFaq({ store }, tenant, 'delivery', { question: 'Do you deliver?', answer: 'Yes, again.', category: 'Orders' });
    expect(await passageIds(tenant)).toEqual(['delivery', 'gluten', 'story#1']);
  });

  it('sets the business on the profile without writing back an older version (a profile read that lags the import)', async () => {
    const tenant = await newTenant();
    const stale = await store.getProfile(tenant);
    if (!stale) throw new Error('no profile');
    // An eventually consistent read returning the profile as it was before the import.
    const lagging = Object.assign(Object.create(store) as DynamoStore, { getProfile: async () => stale });
    const kb = baseKb();
    const { version } = await importKnowledgeBase(lagging, tenant, { ...kb, business: { ...kb.business, name: 'Renamed Bakery' } });
    expect(version).toBeGreaterThan(stale.kbVersion);
    expect(await store.getProfile(tenant)).toMatchObject({ kbVersion: version, name: 'Renamed Bakery' });
  });

  it("still reads a file stored before its languages had to be the concierge's own, and takes a corrected import", async () => {
    const tenant = await newTenant();
    const { version } = await importKnowledgeBase(store, tenant, baseKb());
    // The stored file, as an import before the rule left it: a language the concierge does not answer in, twice.
    let rewritten = 0;
    for (let partition = 1; partition <= version; partition++) {
      const key = keys.kbItem(tenant, partition, 'BUSINESS');
      const item = (await db.send(new GetCommand({ TableName: TABLE, Key: key }))).Item;
      if (typeof item?.['kb'] !== 'string') continue;
      const kb = JSON.parse(item['kb']) as KnowledgeBase;
      const old = { ...kb, business: { ...kb.business, languages: ['fr', 'es', 'fr', 'en', 'es'] } };
      await db.send(new UpdateCommand({ TableName: TABLE, Key: key, UpdateExpression: 'SET kb = :kb', ExpressionAttributeValues: { ':kb': JSON.stringify(old) } }));
      rewritten++;
    }
    expect(rewritten).toBe(1);

    expect((await store.getKnowledgeBase(tenant))?.business.languages).toEqual(['es', 'en']);
    // An edit reads the stored file first; so does a whole import.
    await putFaq({ store }, tenant, 'parking', { question: 'Is there parking?', answer: 'On the street.', category: 'visit' });
    const kb = baseKb();
    await importKnowledgeBase(store, tenant, { ...kb, business: { ...kb.business, languages: ['en'] } });
    expect((await store.getKnowledgeBase(tenant))?.business.languages).toEqual(['en']);
  });

  it('refuses edits before any knowledge base exists, and when the version moved under a store call', async () => {
    const bare = 'bare-tenant';
    await expect(putFaq({ store }, bare, 'x', { question: 'Why?', answer: 'Because.', category: 'Misc' })).rejects.toMatchObject({ code: 'conflict' });
    const tenant = await newTenant();
    const current = await store.readKnowledgeBase(tenant);
    await db.send(
      new UpdateCommand({ TableName: TABLE, Key: keys.tenantProfile(tenant), UpdateExpression: 'SET kbVersion = kbVersion + :one', ExpressionAttributeValues: { ':one': 1 } }),
    );
    const kb = current?.kb ?? baseKb();
    await expect(
      store.replaceSource(tenant, current?.version ?? 0, { kind: 'faq', sourceId: 'x', kb, passages: [] }),
    ).resolves.toBe('stale');
  });
});

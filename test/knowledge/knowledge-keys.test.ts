/** Key shapes of the knowledge items edited one at a time (offline). */
import { keys } from '../../lambdas/adapters/dynamo/keys';

describe('knowledge item keys', () => {
  it('keeps the partition pointer beside the profile, in the tenant partition', () => {
    expect(keys.kbHead('demo')).toEqual({ pk: 'T#demo', sk: 'KBHEAD' });
    expect(keys.kbHead('demo').pk).toBe(keys.tenantProfile('demo').pk);
  });

  it('puts document heads and generation chunks in the knowledge-base partition, under the prefixes listPassages reads', () => {
    expect(keys.kbDocumentHead('demo', 4, 'price-list')).toEqual({ pk: 'T#demo#KB#4', sk: 'DOC#price-list' });
    expect(keys.kbDocumentHead('demo', 4, 'price-list').sk.startsWith(keys.kbDocumentHeadPrefix)).toBe(true);
    const chunk = keys.kbChunk('demo', 4, 'price-list', 'g3nXyz', 12);
    expect(chunk).toEqual({ pk: 'T#demo#KB#4', sk: 'PASSAGE#price-list#g3nXyz#12' });
    expect(chunk.sk.startsWith(keys.kbChunkPrefix('price-list'))).toBe(true);
    expect(chunk.sk.startsWith(keys.kbPassagePrefix)).toBe(true);
    // An imported chunk of the same document shares the document's prefix; an FAQ with the same id does not.
    expect(keys.kbItem('demo', 4, 'PASSAGE', 'price-list#3').sk.startsWith(keys.kbChunkPrefix('price-list'))).toBe(true);
    expect(keys.kbItem('demo', 4, 'PASSAGE', 'price-list').sk.startsWith(keys.kbChunkPrefix('price-list'))).toBe(false);
  });

  it('refuses ids and generations that could break out of their key part', () => {
    expect(() => keys.kbChunkPrefix('a#b')).toThrow(/document id/);
    expect(() => keys.kbChunk('demo', 1, 'doc', 'g#1', 1)).toThrow(/generation/);
    expect(() => keys.kbHead('Not A Tenant')).toThrow(/tenant id/);
  });
});

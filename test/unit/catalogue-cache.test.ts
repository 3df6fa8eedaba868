/**
 * The tenant catalogue cache (core/nlu/catalogue.ts): kept by knowledge-base version, so an edit is seen by the
 * next message that read the new version, and a message that read an older one is served the newer catalogue.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { knowledgeBaseSchema, type KnowledgeBase } from '../../lambdas/core/knowledge-base';
import { CachedCatalogue } from '../../lambdas/core/nlu/catalogue';

const demo = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '../../local-cloud/seed/demo-kb.json'), 'utf8')));

class Store {
  reads = 0;
  kb: KnowledgeBase = demo;
  version = 1;
  async getKnowledgeBase(): Promise<KnowledgeBase> {
    this.reads++;
    return this.kb;
  }
  async getProfile(): Promise<{ kbVersion: number }> {
    return { kbVersion: this.version };
  }
}

describe('cached catalogue', () => {
  it('reloads for a newer version, and serves an older one from the newer catalogue without reading', async () => {
    const store = new Store();
    const cache = new CachedCatalogue(store);
    expect((await cache.catalogue('t', 1))?.services.length).toBe(demo.services.length);
    await cache.catalogue('t', 1);
    expect(store.reads).toBe(1);

    store.kb = { ...demo, services: demo.services.slice(1) };
    store.version = 2;
    expect((await cache.catalogue('t', 2))?.services.length).toBe(demo.services.length - 1);
    expect(store.reads).toBe(2);
    // A message that read version 1 just before the edit.
    expect((await cache.catalogue('t', 1))?.version).toBe(2);
    expect(store.reads).toBe(2);
  });
});

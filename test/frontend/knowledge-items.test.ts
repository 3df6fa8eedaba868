/** The Knowledge page's item client (frontend/src/pages/knowledge/knowledge-api.ts): preconditions sent, wordings parsed. */
import { createApiClient, type FetchLike } from '../../frontend/src/api/client';
import { isEditConflict, knowledgeItemsApi, wordingsOf } from '../../frontend/src/pages/knowledge/knowledge-api';

const etag = `"${'a'.repeat(27)}"`;
const faq = { id: 'umbrellas', question: 'Do you lend umbrellas?', answer: 'Yes.', category: 'Visiting' };

function setup(responses: Response[]) {
  const calls: { url: string; init?: RequestInit }[] = [];
  const fetchFn: FetchLike = async (url, init) => {
    calls.push({ url, ...(init ? { init } : {}) });
    const next = responses.shift();
    if (!next) throw new Error('no more responses');
    return next;
  };
  return { items: knowledgeItemsApi(createApiClient({ apiUrl: 'https://api.example.com/prod', fetch: fetchFn, getIdToken: async () => 't' })), calls };
}
const json = (body: unknown, status = 200): Response => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('knowledge items client', () => {
  it('saves over the opened version with If-Match, creates with If-None-Match: *, deletes with If-Match', async () => {
    const { items, calls } = setup([
      json({ faq, etag }),
      json({ faq, created: false, kbVersion: 4, etag }),
      json({ faq, created: true, kbVersion: 5, etag }, 201),
      json({ deleted: { kind: 'faq', id: 'umbrellas' }, kbVersion: 6 }),
    ]);
    await expect(items.getFaq('umbrellas')).resolves.toEqual({ faq, etag });
    await items.saveFaq('umbrellas', faq, { etag });
    await items.saveFaq('umbrellas', faq, { create: true });
    await items.deleteFaq('umbrellas', etag);
    expect(calls.map((c) => [c.init?.method, c.url.replace('https://api.example.com/prod', ''), (c.init?.headers as Record<string, string>)['If-Match'], (c.init?.headers as Record<string, string>)['If-None-Match']])).toEqual([
      ['GET', '/v1/admin/knowledge/faqs/umbrellas', undefined, undefined],
      ['PUT', '/v1/admin/knowledge/faqs/umbrellas', etag, undefined],
      ['PUT', '/v1/admin/knowledge/faqs/umbrellas', undefined, '*'],
      ['DELETE', '/v1/admin/knowledge/faqs/umbrellas', etag, undefined],
    ]);
  });

  it('tells a refusal because the item changed (412) from other failures', async () => {
    const { items } = setup([
      json({ error: { code: 'precondition_failed', message: 'the FAQ "umbrellas" was changed by someone else since you opened it' } }, 412),
      json({ error: { code: 'conflict', message: 'no knowledge base yet' } }, 409),
    ]);
    const refused = await items.saveFaq('umbrellas', faq, { etag }).catch((e: unknown) => e);
    expect(isEditConflict(refused)).toBe(true);
    const other = await items.saveFaq('umbrellas', faq, { etag }).catch((e: unknown) => e);
    expect(isEditConflict(other)).toBe(false);
  });

  it('reads the wordings box one per line, without blanks, repeats or the question itself', () => {
    expect(wordingsOf('  Can I borrow one?\n\ncan i borrow one?\nDo you lend umbrellas?\nUmbrella for the rain? ', 'Do you lend umbrellas?')).toEqual(['Can I borrow one?', 'Umbrella for the rain?']);
    expect(wordingsOf('', 'Q?')).toEqual([]);
  });
});

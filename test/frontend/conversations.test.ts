import type { ConversationSummary } from '../../frontend/src/api/types';
import { appendPage, emptyList, firstPage, mergeFirstPage } from '../../frontend/src/lib/conversations';

const c = (id: string, preview = `preview ${id}`): ConversationSummary => ({
  conversationId: id,
  channel: 'web',
  mode: 'bot',
  createdAt: '2025-06-15T09:00:00Z',
  lastMessageAt: '2025-06-15T09:00:00Z',
  lastMessagePreview: preview,
  messageCount: 1,
  customerLabel: `Visitor ${id}`,
});
const ids = (items: readonly ConversationSummary[]): string[] => items.map((x) => x.conversationId);

describe('conversation list paging', () => {
  it('replaces the list when only the first page is loaded', () => {
    const state = firstPage({ items: [c('a'), c('b')], nextCursor: 'p2' });
    const next = mergeFirstPage(state, { items: [c('x'), c('a', 'new text')] });
    expect(ids(next.items)).toEqual(['x', 'a']);
    expect(next.items[1]?.lastMessagePreview).toBe('new text');
    expect(next.nextCursor).toBeUndefined();
    expect(mergeFirstPage(emptyList, { items: [c('a')] }).pages).toBe(1);
  });

  it('appends older pages without duplicates', () => {
    const state = appendPage(firstPage({ items: [c('a'), c('b')], nextCursor: 'p2' }), { items: [c('b'), c('c')], nextCursor: 'p3' });
    expect(ids(state.items)).toEqual(['a', 'b', 'c']);
    expect(state).toMatchObject({ pages: 2, nextCursor: 'p3' });
    expect(appendPage(state, { items: [c('d')] }).nextCursor).toBeUndefined();
  });

  it('keeps loaded older pages on refresh, moving updated conversations to the top', () => {
    const state = appendPage(firstPage({ items: [c('a'), c('b')], nextCursor: 'p2' }), { items: [c('c'), c('d')], nextCursor: 'p3' });
    const next = mergeFirstPage(state, { items: [c('d', 'new'), c('a')], nextCursor: 'q2' });
    expect(ids(next.items)).toEqual(['d', 'a', 'b', 'c']);
    expect(next).toMatchObject({ pages: 2, nextCursor: 'p3' });
  });
});

import type { ConversationPage, ConversationSummary } from '../api/types';

export interface ConversationListState {
  readonly items: readonly ConversationSummary[];
  readonly nextCursor?: string;
  /** How many pages are loaded; a refresh re-reads the first one only. */
  readonly pages: number;
}

export const emptyList: ConversationListState = { items: [], pages: 0 };

export function firstPage(page: ConversationPage): ConversationListState {
  return { items: page.items, pages: 1, ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}) };
}

/** Appends a "load more" page, skipping conversations already listed. */
export function appendPage(state: ConversationListState, page: ConversationPage): ConversationListState {
  const seen = new Set(state.items.map((c) => c.conversationId));
  return {
    items: [...state.items, ...page.items.filter((c) => !seen.has(c.conversationId))],
    pages: state.pages + 1,
    ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}),
  };
}

/**
 * A refreshed first page replaces the top of the list; everything else already
 * loaded stays below it, in its order, unless it moved up into the first page.
 */
export function mergeFirstPage(state: ConversationListState, page: ConversationPage): ConversationListState {
  if (state.pages <= 1) return firstPage(page);
  const fresh = new Set(page.items.map((c) => c.conversationId));
  const older = state.items.filter((c) => !fresh.has(c.conversationId));
  return {
    items: [...page.items, ...older],
    pages: state.pages,
    ...(state.nextCursor !== undefined ? { nextCursor: state.nextCursor } : {}),
  };
}

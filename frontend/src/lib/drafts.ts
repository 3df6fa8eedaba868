/**
 * Inbox reply drafts, one per conversation and staff member, kept for the browser tab (sessionStorage): opening
 * another conversation, another section of the app or reloading keeps what was typed, and coming back shows it again,
 * as in Chatwoot or Intercom. Before, the reply box was emptied whenever the conversation pane changed. Signing out
 * drops every draft (they may quote customers, and the next person at the desk is someone else), as does closing the
 * tab. A session that ended without the button (its tokens expired or revoked, the sign-in screen shown) keeps them for
 * the same person signing in again; whoever else signs in at that tab drops them (`dropOthersDrafts`). Storage that is
 * full or turned off keeps the draft in the page only.
 */
const PREFIX = 'concierge.inbox-draft:';

/** What of Storage the drafts use (a Map-backed stand-in in tests). */
export interface DraftStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  key(index: number): string | null;
  readonly length: number;
}

const keyOf = (staff: string, conversationId: string): string => `${PREFIX}${staff}:${conversationId}`;

/** The tab's sessionStorage, or undefined where the browser refuses it (some privacy modes throw on access). */
export function tabStorage(): DraftStorage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}

/** The draft `staff` left in this conversation ('' when none). */
export function readDraft(storage: DraftStorage | undefined, staff: string, conversationId: string): string {
  try {
    return storage?.getItem(keyOf(staff, conversationId)) ?? '';
  } catch {
    return '';
  }
}

/** Keeps the draft; an empty or blank one (sent, or cleared) is removed. */
export function keepDraft(storage: DraftStorage | undefined, staff: string, conversationId: string, text: string): void {
  try {
    if (text.trim() === '') storage?.removeItem(keyOf(staff, conversationId));
    else storage?.setItem(keyOf(staff, conversationId), text);
  } catch {
    // Full or turned off: the draft stays in the page only.
  }
}

/** Drops every inbox draft kept in this tab (signing out). */
export function dropAllDrafts(storage: DraftStorage | undefined): void {
  dropDrafts(storage, () => true);
}

/** Drops the drafts of everyone but `staff` (signed in at a tab whose previous session ended without signing out). */
export function dropOthersDrafts(storage: DraftStorage | undefined, staff: string): void {
  dropDrafts(storage, (key) => !key.startsWith(`${PREFIX}${staff}:`));
}

function dropDrafts(storage: DraftStorage | undefined, drop: (key: string) => boolean): void {
  if (storage === undefined) return;
  try {
    const keys: string[] = [];
    for (let i = 0; i < storage.length; i++) {
      const key = storage.key(i);
      if (key?.startsWith(PREFIX) && drop(key)) keys.push(key);
    }
    for (const key of keys) storage.removeItem(key);
  } catch {
    // Nothing kept to drop.
  }
}

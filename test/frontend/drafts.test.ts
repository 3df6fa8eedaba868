/**
 * Inbox reply drafts (frontend/src/lib/drafts.ts): kept per staff member and conversation, removed when blank,
 * all dropped at sign-out, and storage that refuses writes never breaks the reply box.
 */
import { dropAllDrafts, dropOthersDrafts, keepDraft, readDraft, type DraftStorage } from '../../frontend/src/lib/drafts';

function memoryStorage(): DraftStorage & { readonly map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
    key: (i) => [...map.keys()][i] ?? null,
    get length() {
      return map.size;
    },
  };
}

describe('inbox reply drafts', () => {
  it('keeps a draft per staff member and conversation, and removes it once blank (sent or cleared)', () => {
    const s = memoryStorage();
    keepDraft(s, 'sam@x.example', 'c1', 'Let me check');
    keepDraft(s, 'sam@x.example', 'c2', 'Other one');
    expect(readDraft(s, 'sam@x.example', 'c1')).toBe('Let me check');
    expect(readDraft(s, 'sam@x.example', 'c2')).toBe('Other one');
    expect(readDraft(s, 'ana@x.example', 'c1')).toBe(''); // another staff member at the same browser
    keepDraft(s, 'sam@x.example', 'c1', '   ');
    expect(readDraft(s, 'sam@x.example', 'c1')).toBe('');
    expect(s.map.size).toBe(1);
  });

  it('drops every draft at sign-out and leaves what is not a draft', () => {
    const s = memoryStorage();
    s.setItem('amplify-signin-with-hostedUI', 'false');
    keepDraft(s, 'sam@x.example', 'c1', 'a');
    keepDraft(s, 'sam@x.example', 'c2', 'b');
    keepDraft(s, 'ana@x.example', 'c3', 'c');
    dropAllDrafts(s);
    expect([...s.map.keys()]).toEqual(['amplify-signin-with-hostedUI']);
  });

  it("someone else signing in at the tab drops the drafts a session ended without signing out left; the same person keeps theirs", () => {
    const s = memoryStorage();
    s.setItem('amplify-signin-with-hostedUI', 'false');
    keepDraft(s, 'sam@x.example', 'c1', 'Your results came back fine');
    keepDraft(s, 'sam@x.example.org', 'c2', 'not the same person');
    keepDraft(s, 'ana@x.example', 'c3', 'mine');
    dropOthersDrafts(s, 'ana@x.example');
    expect(readDraft(s, 'sam@x.example', 'c1')).toBe('');
    expect(readDraft(s, 'sam@x.example.org', 'c2')).toBe('');
    expect(readDraft(s, 'ana@x.example', 'c3')).toBe('mine');
    expect(s.getItem('amplify-signin-with-hostedUI')).toBe('false');
  });

  it('storage that throws (full, or turned off) loses nothing but the keeping', () => {
    const refusing: DraftStorage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => {
        throw new Error('SecurityError');
      },
      key: () => null,
      get length(): number {
        throw new Error('SecurityError');
      },
    };
    expect(() => keepDraft(refusing, 's', 'c', 'text')).not.toThrow();
    expect(readDraft(refusing, 's', 'c')).toBe('');
    expect(() => dropAllDrafts(refusing)).not.toThrow();
    expect(readDraft(undefined, 's', 'c')).toBe('');
  });
});

/**
 * Unsaved edits are never lost silently (frontend/src/lib/unsaved.ts): while an editor holds edits, closing the
 * tab asks (beforeunload), and the hash router asks before leaving the page, putting the address back when the
 * user stays. A stand-in window (an EventTarget with an address, a history and a scripted confirm) plays the browser.
 */
import { askBeforeUnload, followHash, holdUnsaved, LEAVE_MESSAGE, UnsavedChanges, type GuardedWindow } from '../../frontend/src/lib/unsaved';
import type { Route } from '../../frontend/src/lib/routes';

interface FakeWindow extends GuardedWindow {
  /** What confirm was asked, in order. */
  readonly asked: string[];
  /** Answers confirm gives, in order (then: stay). */
  readonly answers: boolean[];
  /** Every replaceState's address. */
  readonly replaced: string[];
  /** Back, Forward or a typed address: the address changes, then hashchange fires (as browsers do). */
  go(hash: string): void;
  /** A left click on a link: followed (a new history entry) unless a listener cancelled the click. */
  clickLink(href: string): void;
  /** How many history entries link clicks added. */
  readonly pushed: string[];
  /** Closes the tab: true when the browser would ask first. */
  unload(): boolean;
}

function fakeWindow(hash: string): FakeWindow {
  const target = new EventTarget();
  let href = `https://admin.example.com/app/index.html${hash}`;
  const asked: string[] = [];
  const answers: boolean[] = [];
  const replaced: string[] = [];
  const pushed: string[] = [];
  const go = (next: string): void => {
    href = new URL(next, href).href;
    target.dispatchEvent(new Event('hashchange'));
  };
  return {
    asked,
    answers,
    replaced,
    pushed,
    location: {
      get hash() {
        return new URL(href).hash;
      },
      get href() {
        return href;
      },
    },
    history: {
      state: null,
      replaceState: (_data: unknown, _unused: string, url?: string | URL | null) => {
        href = new URL(String(url), href).href;
        replaced.push(href);
      },
    },
    addEventListener: (type, listener) => target.addEventListener(type, listener),
    removeEventListener: (type, listener) => target.removeEventListener(type, listener),
    confirm: (message?: string) => {
      asked.push(message ?? '');
      return answers.shift() ?? false;
    },
    go,
    clickLink(link: string) {
      const event = new Event('click', { cancelable: true });
      const anchor = { getAttribute: (name: string) => (name === 'href' ? link : null), target: '' };
      Object.defineProperties(event, {
        button: { value: 0 },
        target: { value: { closest: (selector: string) => (selector === 'a[href]' ? anchor : null) } },
      });
      target.dispatchEvent(event);
      if (event.defaultPrevented) return;
      pushed.push(link);
      go(link);
    },
    unload() {
      const event = new Event('beforeunload', { cancelable: true });
      // Node's Event has a read-only returnValue; a browser's BeforeUnloadEvent lets it be set.
      Object.defineProperty(event, 'returnValue', { value: undefined, writable: true });
      target.dispatchEvent(event);
      return event.defaultPrevented;
    },
  };
}

function follow(win: FakeWindow, registry: UnsavedChanges): { routes: Route[]; stop: () => void } {
  const routes: Route[] = [];
  const stop = followHash(win, registry, (r) => routes.push(r));
  return { routes, stop };
}

describe('the unsaved-changes registry', () => {
  it('is dirty while any editor holds edits, and lets leaving go ahead without asking when none does', () => {
    const registry = new UnsavedChanges();
    const a = {};
    const b = {};
    const ask = jest.fn(() => false);
    expect(registry.mayLeave(ask)).toBe(true);
    registry.mark(a, true);
    registry.mark(b, true);
    registry.mark(a, false);
    expect(registry.any).toBe(true);
    expect(registry.mayLeave(ask)).toBe(false);
    expect(ask).toHaveBeenCalledWith(LEAVE_MESSAGE);
    registry.mark(b, false);
    expect(registry.any).toBe(false);
  });
});

describe('closing or reloading the tab', () => {
  it('makes the browser ask while edits are held, and no longer once they are saved or discarded', () => {
    const win = fakeWindow('#/widget');
    const registry = new UnsavedChanges();
    expect(win.unload()).toBe(false);
    const release = holdUnsaved(win, registry, {});
    expect(registry.any).toBe(true);
    expect(win.unload()).toBe(true);
    release();
    expect(registry.any).toBe(false);
    expect(win.unload()).toBe(false);
  });

  it('sets returnValue too (older browsers ask only then)', () => {
    const event = new Event('beforeunload', { cancelable: true });
    Object.defineProperty(event, 'returnValue', { value: undefined, writable: true });
    askBeforeUnload(event);
    expect(event.defaultPrevented).toBe(true);
    expect((event as unknown as { returnValue: unknown }).returnValue).toBe(LEAVE_MESSAGE);
  });
});

describe('the hash router', () => {
  it('follows every change without asking when nothing is unsaved', () => {
    const win = fakeWindow('#/widget');
    const { routes } = follow(win, new UnsavedChanges());
    win.go('#/inbox/waiting');
    expect(win.asked).toEqual([]);
    expect(routes).toEqual([{ name: 'widget' }, { name: 'inbox', queue: 'waiting' }]);
  });

  it('asks before leaving a page with unsaved edits; staying keeps the route and puts the address back', () => {
    const win = fakeWindow('#/widget');
    const registry = new UnsavedChanges();
    const { routes } = follow(win, registry);
    holdUnsaved(win, registry, {});
    win.go('#/inbox/waiting');
    expect(win.asked).toEqual(['You have unsaved changes. Leave this page?']);
    expect(routes).toEqual([{ name: 'widget' }]);
    expect(win.location.hash).toBe('#/widget');
    expect(win.replaced).toEqual(['https://admin.example.com/app/index.html#/widget']);
  });

  it('leaves when the user says so, and asks again on the next page only if it holds edits', () => {
    const win = fakeWindow('#/services');
    const registry = new UnsavedChanges();
    const { routes } = follow(win, registry);
    const release = holdUnsaved(win, registry, {});
    win.answers.push(true);
    win.go('#/calendar');
    expect(routes.at(-1)).toEqual({ name: 'calendar' });
    expect(win.location.hash).toBe('#/calendar');
    expect(win.replaced).toEqual([]);
    release(); // the page unmounted
    win.go('#/services');
    expect(win.asked).toHaveLength(1);
    expect(routes.at(-1)).toEqual({ name: 'services' });
  });

  it('after staying, a later move asks again and the address put back is the page the user stayed on', () => {
    const win = fakeWindow('#/settings');
    const registry = new UnsavedChanges();
    const { routes } = follow(win, registry);
    holdUnsaved(win, registry, {});
    win.go('#/outbox');
    win.go('#/team');
    expect(win.asked).toHaveLength(2);
    expect(win.replaced).toEqual(['https://admin.example.com/app/index.html#/settings', 'https://admin.example.com/app/index.html#/settings']);
    expect(routes).toEqual([{ name: 'settings' }]);
  });

  it('cancels a link click the user stays from before it adds a history entry, and asks once for one they follow', () => {
    const win = fakeWindow('#/widget');
    const registry = new UnsavedChanges();
    const { routes } = follow(win, registry);
    holdUnsaved(win, registry, {});
    win.clickLink('#/inbox/waiting');
    expect(win.asked).toEqual([LEAVE_MESSAGE]);
    expect(win.pushed).toEqual([]);
    expect(win.location.hash).toBe('#/widget');
    win.answers.push(true);
    win.clickLink('#/inbox/waiting');
    expect(win.asked).toHaveLength(2);
    expect(win.pushed).toEqual(['#/inbox/waiting']);
    expect(routes.at(-1)).toEqual({ name: 'inbox', queue: 'waiting' });
  });

  it('does not ask for a link to the page already shown', () => {
    const win = fakeWindow('#/inbox/waiting');
    const registry = new UnsavedChanges();
    follow(win, registry);
    holdUnsaved(win, registry, {});
    win.clickLink('#/inbox/waiting/');
    expect(win.asked).toEqual([]);
  });

  it('does not ask when the address changes but the page does not (a trailing slash)', () => {
    const win = fakeWindow('#/widget');
    const registry = new UnsavedChanges();
    const { routes } = follow(win, registry);
    holdUnsaved(win, registry, {});
    win.go('#/widget/');
    expect(win.asked).toEqual([]);
    expect(routes).toHaveLength(2);
  });

  it('stops following once unsubscribed', () => {
    const win = fakeWindow('#/widget');
    const { routes, stop } = follow(win, new UnsavedChanges());
    stop();
    win.go('#/inbox');
    expect(routes).toEqual([{ name: 'widget' }]);
  });
});

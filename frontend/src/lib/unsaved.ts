/**
 * Unsaved edits are never lost silently. Every editor with edits not yet saved marks itself here
 * (hooks/useUnsavedChanges.ts); while any is marked:
 * - closing or reloading the tab makes the browser ask first (`beforeunload`);
 * - moving to another section of the app (a link, Back/Forward, a typed address) asks "Leave this page?"
 *   first, and staying puts the previous address back (hooks/useHashRoute.ts, `followHash` below);
 * - signing out asks first (Shell).
 * No React here, so the rules are tested with a stand-in window.
 */
import { hrefFor, parseRoute, type Route } from './routes';

export const LEAVE_MESSAGE = 'You have unsaved changes. Leave this page?';

/** The editors holding unsaved edits (each marks itself with an object of its own). */
export class UnsavedChanges {
  private readonly holders = new Set<object>();

  mark(holder: object, dirty: boolean): void {
    if (dirty) this.holders.add(holder);
    else this.holders.delete(holder);
  }

  get any(): boolean {
    return this.holders.size > 0;
  }

  /** Whether leaving may go ahead: nothing is unsaved, or the user said so when asked. */
  mayLeave(ask: (message: string) => boolean): boolean {
    return !this.any || ask(LEAVE_MESSAGE);
  }
}

/** The app's one registry. */
export const unsavedChanges = new UnsavedChanges();

/** What of `window` the guards use (a stand-in in tests). */
export interface GuardedWindow {
  readonly location: { readonly hash: string; readonly href: string };
  readonly history: { readonly state: unknown; replaceState(data: unknown, unused: string, url?: string | URL | null): void };
  addEventListener(type: 'hashchange' | 'beforeunload' | 'click', listener: (event: Event) => void): void;
  removeEventListener(type: 'hashchange' | 'beforeunload' | 'click', listener: (event: Event) => void): void;
  confirm(message?: string): boolean;
}

/** The `beforeunload` listener of an editor with unsaved edits: the browser asks before the tab closes or reloads. */
export function askBeforeUnload(event: Event): void {
  event.preventDefault();
  // Older browsers ask only when returnValue is set to something.
  (event as BeforeUnloadEvent).returnValue = LEAVE_MESSAGE;
}

/**
 * Marks `holder` as holding unsaved edits and makes the browser ask before the tab closes or reloads, until the
 * returned function is called (saved, discarded or the editor closed).
 */
export function holdUnsaved(win: Pick<GuardedWindow, 'addEventListener' | 'removeEventListener'>, registry: UnsavedChanges, holder: object): () => void {
  registry.mark(holder, true);
  win.addEventListener('beforeunload', askBeforeUnload);
  return () => {
    win.removeEventListener('beforeunload', askBeforeUnload);
    registry.mark(holder, false);
  };
}

const sameRoute = (a: Route, b: Route): boolean => hrefFor(a) === hrefFor(b);

/** The in-app address a plain left click on a link would go to (undefined: not such a click, or another document). */
function linkTarget(event: Event, currentHref: string): URL | undefined {
  const click = event as MouseEvent;
  if (click.defaultPrevented || click.button !== 0 || click.metaKey || click.ctrlKey || click.shiftKey || click.altKey) return undefined;
  const target = click.target as { closest?: (selector: string) => { getAttribute(name: string): string | null; target?: string } | null } | null;
  const link = typeof target?.closest === 'function' ? target.closest('a[href]') : null;
  const href = link?.getAttribute('href');
  if (!link || href == null || (link.target !== undefined && link.target !== '' && link.target !== '_self')) return undefined;
  const url = new URL(href, currentHref);
  const here = new URL(currentHref);
  return url.origin === here.origin && url.pathname === here.pathname && url.search === here.search && url.hash !== '' ? url : undefined;
}

/**
 * Follows the address's hash: `onRoute` gets each new route. Leaving the current route while edits are unsaved
 * asks first. A link click the user stays from is cancelled before it adds a history entry; Back, Forward or a typed
 * address has already moved, so staying puts the previous address back (replaceState: no hashchange of its own).
 * Either way `onRoute` is not called. Returns the unsubscribe function.
 */
export function followHash(win: GuardedWindow, registry: UnsavedChanges, onRoute: (route: Route) => void): () => void {
  let current = parseRoute(win.location.hash);
  let currentHref = win.location.href;
  /** The address a link click was let go to: its hashchange does not ask again. */
  let approved: string | undefined;
  const onClick = (event: Event): void => {
    const url = linkTarget(event, currentHref);
    if (url === undefined || sameRoute(parseRoute(url.hash), current)) return;
    if (registry.mayLeave((message) => win.confirm(message))) approved = url.href;
    else event.preventDefault();
  };
  const onChange = (): void => {
    const next = parseRoute(win.location.hash);
    const asked = approved === win.location.href;
    approved = undefined;
    if (!asked && !sameRoute(next, current) && !registry.mayLeave((message) => win.confirm(message))) {
      win.history.replaceState(win.history.state, '', currentHref);
      return;
    }
    current = next;
    currentHref = win.location.href;
    onRoute(next);
  };
  win.addEventListener('click', onClick);
  win.addEventListener('hashchange', onChange);
  onRoute(current);
  return () => {
    win.removeEventListener('click', onClick);
    win.removeEventListener('hashchange', onChange);
  };
}

/**
 * The one script a business pastes:
 *
 *   <script src="https://<widget host>/widget/loader.js" data-tenant="<public key>" async></script>
 *
 * Optional `data-lang` (en|es) and `data-position` (right|left). It reads
 * `config.json` beside itself, then the tenant's widget config (cached for the
 * tab once the visitor opens the chat: nothing is stored before), draws the
 * launcher inside a shadow root, and loads `ui.js` from the
 * same folder when the browser is idle or on first open. It defines no
 * globals and never throws into the host page.
 */
import loaderCss from './loader.css';
import { isMountWidget, type MountWidget, type WidgetController } from './contract';
import { parseEnvConfig, parsePosition, parseTenantConfig, tenantConfigUrl, themeCss, type TenantConfig } from './lib/config';
import { adoptStyles, svgIcon } from './lib/dom';
import { launcherTranslator, pickLang } from './lib/i18n';
import { loadCachedConfig, loadConversation, safeStorage, saveCachedConfig } from './lib/storage';

const CHAT_ICON = ['M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z'];
const CLOSE_ICON = ['M6 6l12 12M18 6L6 18'];

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { credentials: 'omit', headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

function whenBodyReady(): Promise<HTMLElement> {
  return new Promise((resolve) => {
    if (document.body) resolve(document.body);
    else document.addEventListener('DOMContentLoaded', () => resolve(document.body), { once: true });
  });
}

function whenIdle(fn: () => void): void {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(fn, { timeout: 5000 });
  else setTimeout(fn, 2000);
}

/**
 * Keeps the launcher and the panel on the screen when the host page is wider than the phone. Mobile browsers then
 * widen the layout viewport, which position:fixed is relative to, to the page's width (and its height in
 * proportion): right- and bottom-anchored elements land off the screen. While the visual viewport (what is on the
 * screen) is smaller than the layout viewport (`probe`, a fixed inset:0 box) and the visitor has not zoomed in, the
 * frame gets `cw--vv` and the visual viewport's box as --cw-vx/--cw-vy/--cw-vw/--cw-vh (loader.css, ui.css).
 * Otherwise nothing is set and the plain anchoring stays, which browsers move smoothly with their toolbars. One
 * read and at most one write per frame; nothing runs while nothing changes.
 */
function followVisualViewport(frame: HTMLElement, probe: HTMLElement): void {
  const vv = window.visualViewport;
  if (!vv || typeof ResizeObserver !== 'function') return;
  let queued = false;
  let applied = '';
  const update = (): void => {
    queued = false;
    const layout = probe.getBoundingClientRect();
    const box = [vv.offsetLeft, vv.offsetTop, vv.width, vv.height];
    const follow = vv.scale <= 1.001 && (layout.width - vv.width > 1 || layout.height - vv.height > 1);
    const next = follow ? box.join() : '';
    if (next === applied) return;
    applied = next;
    frame.classList.toggle('cw--vv', follow);
    ['x', 'y', 'w', 'h'].forEach((name, i) => frame.style.setProperty(`--cw-v${name}`, follow ? `${box[i]}px` : ''));
  };
  const schedule = (): void => {
    if (!queued) {
      queued = true;
      requestAnimationFrame(update);
    }
  };
  vv.addEventListener('resize', schedule);
  vv.addEventListener('scroll', schedule);
  new ResizeObserver(schedule).observe(probe); // also reports the first size
}

/** The tenant's config, from this tab's cache or fetched; `remember` caches a fetched one (called on first open). */
async function tenantConfig(apiUrl: string, key: string): Promise<{ tenant: TenantConfig; remember: () => void } | undefined> {
  const cache = safeStorage(() => window.sessionStorage);
  const cached = parseTenantConfig(loadCachedConfig(cache, key, Date.now()));
  if (cached) return { tenant: cached, remember: () => undefined };
  const fetchedAt = Date.now();
  const raw = await getJson(tenantConfigUrl(apiUrl, key));
  const tenant = parseTenantConfig(raw);
  return tenant ? { tenant, remember: () => saveCachedConfig(cache, key, raw, fetchedAt) } : undefined;
}

async function boot(script: HTMLScriptElement): Promise<void> {
  const key = (script.dataset.tenant ?? '').trim();
  if (!/^[A-Za-z0-9_-]{4,128}$/.test(key)) throw new Error('data-tenant is missing or malformed');
  const base = script.src;
  const env = parseEnvConfig(await getJson(new URL('config.json', base).href));
  if (!env) throw new Error('config.json is malformed');
  const config = await tenantConfig(env.apiUrl, key);
  if (!config) throw new Error('widget config is malformed');
  const { tenant, remember } = config;
  const lang = pickLang(script.dataset.lang, tenant.languages, navigator.languages ?? [navigator.language]);
  const position = parsePosition(script.dataset.position) ?? tenant.position;
  const t = launcherTranslator(lang);
  const nonce = script.nonce || undefined;

  const body = await whenBodyReady();
  if (document.querySelector('[data-concierge-widget]')) return; // the tag was pasted twice
  const host = document.createElement('div');
  host.setAttribute('data-concierge-widget', '');
  const root = host.attachShadow({ mode: 'open' });
  adoptStyles(root, loaderCss + themeCss(tenant.colour), nonce);

  const frame = document.createElement('div');
  frame.className = `cw cw--${position}`;
  frame.lang = lang;
  const slot = document.createElement('div');
  const launcher = document.createElement('button');
  launcher.type = 'button';
  launcher.className = 'cw-launcher';
  launcher.setAttribute('aria-expanded', 'false');
  launcher.setAttribute('aria-label', t('openChat', { name: tenant.name }));
  const badge = document.createElement('span');
  badge.className = 'cw-badge';
  badge.hidden = true;
  launcher.append(svgIcon(CHAT_ICON, 'cw-icon cw-icon--chat'), svgIcon(CLOSE_ICON, 'cw-icon cw-icon--close'), badge);
  frame.append(slot, launcher);
  const probe = document.createElement('div');
  probe.className = 'cw-vp';
  root.append(frame, probe);
  body.appendChild(host);
  followVisualViewport(frame, probe);

  let isOpen = false;
  let unread = 0;
  const label = (): void =>
    launcher.setAttribute(
      'aria-label',
      isOpen ? t('closeChat') : t('openChat', { name: tenant.name }) + (unread ? `. ${t('unread', { count: unread })}` : ''),
    );

  // Idle time only fetches and compiles ui.js; the UI mounts (and remembers anything) on first open.
  let ui: Promise<MountWidget> | undefined;
  let controller: WidgetController | undefined;
  const load = (): Promise<MountWidget> =>
    (ui ??= import(new URL('ui.js', base).href)
      .then((mod: unknown) => {
        const mount: unknown = typeof mod === 'object' && mod !== null && 'mount' in mod ? mod.mount : undefined;
        if (!isMountWidget(mount)) throw new Error('ui.js has no mount()');
        return mount;
      })
      .catch((err: unknown) => {
        ui = undefined; // let the next click try again
        throw err;
      }));

  const mountUi = (mount: MountWidget): WidgetController =>
    (controller ??= mount({
      root,
      container: slot,
      launcher,
      key,
      env,
      tenant,
      lang,
      position,
      ...(nonce ? { nonce } : {}),
      onOpenChange(open) {
        isOpen = open;
        frame.classList.toggle('is-open', open);
        launcher.setAttribute('aria-expanded', String(open));
        label();
      },
      onUnread(count) {
        unread = count;
        badge.hidden = count === 0;
        badge.textContent = count > 9 ? '9+' : String(count);
        label();
      },
    }));

  launcher.addEventListener('click', () => {
    if (controller) return controller.toggle();
    remember(); // the visitor opened the chat: only now does the widget write to storage
    launcher.setAttribute('aria-busy', 'true');
    load()
      .then((mount) => mountUi(mount).open())
      .catch((err: unknown) => console.warn('[concierge] could not load the chat', err))
      .finally(() => launcher.removeAttribute('aria-busy'));
  });
  // A visitor waiting for (or talking to) a person who moves to another page keeps the conversation live, so the
  // person's reply shows as unread on the launcher; anyone else connects only when they open the chat.
  const waitingForPerson = loadConversation(safeStorage(() => window.localStorage), key)?.withPerson === true;
  whenIdle(() =>
    void load()
      .then((mount) => {
        if (waitingForPerson) mountUi(mount).connect();
      })
      .catch(() => undefined),
  );
}

const current = document.currentScript;
if (current instanceof HTMLScriptElement) {
  boot(current).catch((err: unknown) => console.warn('[concierge] widget not started:', err));
}

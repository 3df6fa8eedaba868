/**
 * The widget's settings as an owner edits them on the admin Widget page: brand
 * colour, corner, greeting per language, languages, logo and the origins
 * allowed to open the chat. They live on the tenant profile, so the public
 * widget config route and the WebSocket $connect origin check read them with
 * their next request (no server-side cache). The widget key is shown, never
 * changed here.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { conflict, notFound } from './errors';
import type { TenantProfile } from './ports';

/** Languages the widget and the concierge speak. */
export const WIDGET_LANGUAGES = ['en', 'es'] as const;
export type WidgetLanguage = (typeof WIDGET_LANGUAGES)[number];
export const MAX_GREETING_CHARS = 200;
export const MAX_ALLOWED_ORIGINS = 20;
/** WCAG 2.x AA for normal text: the widget draws white text on the brand colour. */
export const MIN_CONTRAST_WITH_WHITE = 4.5;

/** WCAG 2.x relative luminance of a `#rrggbb` colour. */
export function relativeLuminance(hex: string): number {
  const channel = (i: number): number => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** WCAG 2.x contrast ratio of two `#rrggbb` colours (1..21). */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x);
  return ((hi ?? 0) + 0.05) / ((lo ?? 0) + 0.05);
}

const colourSchema = z
  .string()
  .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour written #rrggbb')
  .transform((c) => c.toLowerCase())
  .superRefine((colour, ctx) => {
    const ratio = contrastRatio(colour, '#ffffff');
    if (ratio < MIN_CONTRAST_WITH_WHITE) {
      ctx.addIssue({
        code: 'custom',
        message: `white text on ${colour} has a contrast of ${ratio.toFixed(2)}:1; WCAG AA needs at least ${MIN_CONTRAST_WITH_WHITE}:1, so choose a darker colour`,
      });
    }
  });

const greetingText = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(MAX_GREETING_CHARS, `must be at most ${MAX_GREETING_CHARS} characters`)
  // eslint-disable-next-line no-control-regex
  .refine((t) => !/[\u0000-\u001f\u007f]/.test(t), 'must be one line of plain text')
  .refine((t) => !/[<>]/.test(t), 'must be plain text (no < or >)');

/**
 * An exact origin a business's pages are served from: `https://host[:port]`;
 * `http:` only for localhost and 127.0.0.1. Stored as the browser sends it in
 * the Origin header (lower case, default port dropped).
 */
export const originSchema = z
  .string()
  .trim()
  .max(300, 'must be at most 300 characters')
  .transform((raw, ctx) => {
    const fail = (message: string): never => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    if (raw.includes('*')) return fail(`${raw}: wildcards are not allowed; list each origin`);
    const shape = /^(https?):\/\/([^/?#@\s]+?)\/?$/i.exec(raw);
    if (!shape) return fail(`${raw}: must be an exact origin like https://www.example.com (no path, query or fragment)`);
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return fail(`${raw}: is not a valid origin`);
    }
    if (url.protocol === 'http:' && url.hostname !== 'localhost' && url.hostname !== '127.0.0.1') {
      return fail(`${raw}: must use https (http only for localhost and 127.0.0.1)`);
    }
    return url.origin;
  });

const logoUrlSchema = z
  .string()
  .trim()
  .max(2048, 'must be at most 2048 characters')
  .refine((v) => {
    try {
      const url = new URL(v);
      return url.protocol === 'https:' && url.username === '' && url.password === '';
    } catch {
      return false;
    }
  }, 'must be an https:// URL');

/** `PUT /v1/admin/widget`: every field of the widget's settings; `revision` (from GET) refuses an edit made on stale settings. */
export const widgetSettingsBodySchema = z
  .strictObject({
    colour: colourSchema,
    position: z.enum(['right', 'left']),
    greeting: z.strictObject({ en: greetingText.optional(), es: greetingText.optional() }),
    languages: z
      .array(z.enum(WIDGET_LANGUAGES))
      .min(1, 'choose at least one language')
      .refine((l) => new Set(l).size === l.length, 'must not repeat a language'),
    logoUrl: logoUrlSchema.optional(),
    allowedOrigins: z.array(originSchema).max(MAX_ALLOWED_ORIGINS, `must list at most ${MAX_ALLOWED_ORIGINS} origins`),
    revision: z.string().regex(/^[0-9a-f]{16}$/, 'must be the revision GET returned').optional(),
  })
  .superRefine((body, ctx) => {
    for (const lang of body.languages) {
      if (body.greeting[lang] === undefined) ctx.addIssue({ code: 'custom', path: ['greeting', lang], message: 'is required for every chosen language' });
    }
    const seen = new Set<string>();
    body.allowedOrigins.forEach((origin, i) => {
      if (seen.has(origin)) ctx.addIssue({ code: 'custom', path: ['allowedOrigins', i], message: `${origin} is listed twice` });
      seen.add(origin);
    });
  });

export type WidgetSettingsBody = z.infer<typeof widgetSettingsBodySchema>;

/** The part of the tenant profile this page edits. */
export interface WidgetSettings {
  readonly theme: TenantProfile['theme'];
  readonly languages: readonly string[];
  readonly allowedOrigins: readonly string[];
}

/** Reads and writes the widget's settings on the tenant profile. */
export interface WidgetSettingsStore {
  /** The tenant profile, read strongly consistent (read-modify-write). */
  getProfileConsistent(tenantId: string): Promise<TenantProfile | undefined>;
  /**
   * Replaces the theme, languages and allowed origins (nothing else of the
   * profile) only while they still equal `expected`; false when they did not.
   */
  replaceWidgetSettings(tenantId: string, expected: WidgetSettings, next: WidgetSettings): Promise<boolean>;
}

/** What GET and PUT answer. */
export interface WidgetSettingsView {
  readonly widgetKey: string;
  readonly colour: string;
  readonly position: 'right' | 'left';
  readonly greeting: Readonly<Record<string, string>>;
  readonly languages: readonly string[];
  readonly logoUrl?: string;
  readonly allowedOrigins: readonly string[];
  /** Changes whenever the settings change; send it back with PUT. */
  readonly revision: string;
  readonly supportedLanguages: readonly string[];
  /** The embed snippet's loader URL, when the environment names the widget's host. */
  readonly loaderUrl?: string;
  /** The `<script>` tag to paste (see {@link embedSnippet}), when `loaderUrl` is known. */
  readonly snippet?: string;
}

const settingsOf = (p: TenantProfile): WidgetSettings => ({ theme: p.theme, languages: p.languages, allowedOrigins: p.allowedOrigins });

/** A short hash of the settings, independent of key order. */
export function revisionOf(s: WidgetSettings): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .filter(([, x]) => x !== undefined)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([k, x]) => [k, canonical(x)]),
          )
        : v;
  return createHash('sha256').update(JSON.stringify(canonical(s))).digest('hex').slice(0, 16);
}

/** The `<script>` tag a business pastes: exactly what widget/src/loader.ts reads (`data-tenant`). */
export function embedSnippet(loaderUrl: string, widgetKey: string): string {
  const attr = (v: string): string => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<script src="${attr(loaderUrl)}" data-tenant="${attr(widgetKey)}" async></script>`;
}

export function widgetSettingsView(profile: TenantProfile, loaderUrl?: string): WidgetSettingsView {
  return {
    widgetKey: profile.widgetKey,
    colour: profile.theme.colour,
    position: profile.theme.position,
    greeting: profile.theme.greeting,
    languages: profile.languages,
    ...(profile.theme.logoUrl ? { logoUrl: profile.theme.logoUrl } : {}),
    allowedOrigins: profile.allowedOrigins,
    revision: revisionOf(settingsOf(profile)),
    supportedLanguages: WIDGET_LANGUAGES,
    ...(loaderUrl ? { loaderUrl, snippet: embedSnippet(loaderUrl, profile.widgetKey) } : {}),
  };
}

export async function getWidgetSettings(store: Pick<WidgetSettingsStore, 'getProfileConsistent'>, tenantId: string, loaderUrl?: string): Promise<WidgetSettingsView> {
  const profile = await store.getProfileConsistent(tenantId);
  if (!profile) throw notFound('your tenant has no profile yet');
  return widgetSettingsView(profile, loaderUrl);
}

/**
 * Replaces the widget's settings: re-reads the profile, refuses an edit made
 * on settings that changed since (`revision`), and writes under a condition on
 * the values just read, so two concurrent saves never silently overwrite each
 * other (the loser gets 409 and reloads).
 */
export async function putWidgetSettings(
  store: WidgetSettingsStore,
  tenantId: string,
  body: WidgetSettingsBody,
  loaderUrl?: string,
): Promise<WidgetSettingsView> {
  const profile = await store.getProfileConsistent(tenantId);
  if (!profile) throw notFound('your tenant has no profile yet');
  const current = settingsOf(profile);
  if (body.revision !== undefined && body.revision !== revisionOf(current)) {
    throw conflict('the widget settings were changed by someone else since you loaded them; reload and try again');
  }
  const greeting: Record<string, string> = {};
  for (const lang of WIDGET_LANGUAGES) {
    const text = body.greeting[lang];
    if (text !== undefined) greeting[lang] = text;
  }
  const next: WidgetSettings = {
    theme: { colour: body.colour, position: body.position, greeting, ...(body.logoUrl ? { logoUrl: body.logoUrl } : {}) },
    languages: body.languages,
    allowedOrigins: body.allowedOrigins,
  };
  if (!(await store.replaceWidgetSettings(tenantId, current, next))) {
    throw conflict('the widget settings were changed by someone else while saving; reload and try again');
  }
  return widgetSettingsView({ ...profile, ...next }, loaderUrl);
}

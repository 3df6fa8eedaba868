/**
 * The Widget page's editable draft and the pure rules around it: the colour's
 * contrast with white text (the same WCAG formula the server refuses with, and
 * the widget's own colour helpers for the preview), origins typed one per line,
 * and the embed snippet. No React here, so it is easy to test.
 */
import { accentOnWhite, contrastRatio, greetingFor, onColour } from '../../../../widget/src/lib/config';
import { ApiError } from '../../lib/api-error';
import type { WidgetSettings, WidgetSettingsInput } from './widget-api';

export const MIN_CONTRAST = 4.5;
export const MAX_GREETING_CHARS = 200;

export const languageNames: Readonly<Record<string, string>> = { en: 'English', es: 'Spanish' };

export interface WidgetDraft {
  readonly colour: string;
  readonly position: 'right' | 'left';
  readonly greeting: Readonly<Record<string, string>>;
  readonly languages: readonly string[];
  readonly logoUrl: string;
  /** One origin per line, as typed. */
  readonly originsText: string;
}

export function draftOf(s: WidgetSettings): WidgetDraft {
  return {
    colour: s.colour,
    position: s.position,
    greeting: { ...s.greeting },
    languages: [...s.languages],
    logoUrl: s.logoUrl ?? '',
    originsText: s.allowedOrigins.join('\n'),
  };
}

export function originsOf(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** What PUT sends: greetings of languages that are not chosen and are empty are left out. */
export function inputOf(draft: WidgetDraft, revision: string): WidgetSettingsInput {
  const greeting: Record<string, string> = {};
  for (const [lang, text] of Object.entries(draft.greeting)) {
    if (text.trim() !== '' || draft.languages.includes(lang)) greeting[lang] = text;
  }
  const logoUrl = draft.logoUrl.trim();
  return {
    colour: draft.colour,
    position: draft.position,
    greeting,
    languages: draft.languages,
    ...(logoUrl !== '' ? { logoUrl } : {}),
    allowedOrigins: originsOf(draft.originsText),
    revision,
  };
}

/**
 * Whether the draft says something other than the saved settings: what the page would lose on leaving. Blank
 * greetings count as none and origins as the list they make, so typing and deleting again is no change.
 */
export function draftChanged(draft: WidgetDraft, saved: WidgetSettings): boolean {
  const meaning = (d: WidgetDraft) => ({
    colour: d.colour.toLowerCase(),
    position: d.position,
    languages: d.languages,
    logoUrl: d.logoUrl.trim(),
    origins: originsOf(d.originsText),
    greeting: Object.entries(d.greeting)
      .filter(([, text]) => text.trim() !== '')
      .sort(([a], [b]) => a.localeCompare(b)),
  });
  return JSON.stringify(meaning(draft)) !== JSON.stringify(meaning(draftOf(saved)));
}

export const isHexColour = (v: string): boolean => /^#[0-9a-fA-F]{6}$/.test(v);

/** White text's contrast on the colour, or undefined for a colour not written #rrggbb. */
export function whiteTextContrast(colour: string): number | undefined {
  return isHexColour(colour) ? contrastRatio(colour.toLowerCase(), '#ffffff') : undefined;
}

/** The colours the widget itself derives from the brand colour (widget/src/lib/config.ts). */
export function previewColours(colour: string): { readonly brand: string; readonly onBrand: string; readonly accent: string } | undefined {
  if (!isHexColour(colour)) return undefined;
  const brand = colour.toLowerCase();
  return { brand, onBrand: onColour(brand), accent: accentOnWhite(brand) };
}

/** The greeting the widget would show in `lang` (falling back like the widget does). */
export function previewGreeting(draft: WidgetDraft, lang: string): string | undefined {
  const greeting: Record<string, string> = {};
  for (const [l, t] of Object.entries(draft.greeting)) if (t.trim() !== '') greeting[l] = t.trim();
  return greetingFor({ name: '', greeting, colour: draft.colour, position: draft.position, languages: draft.languages }, lang);
}

/**
 * The tag to paste; the server's when it knows the widget's host, else one
 * pointing at the widget served beside this admin UI (the local cloud's layout).
 */
export function snippetOf(settings: WidgetSettings, baseUrl: string): string {
  if (settings.snippet !== undefined) return settings.snippet;
  const src = new URL('../widget/loader.js', baseUrl).href;
  return `<script src="${src}" data-tenant="${settings.widgetKey}" async></script>`;
}

/**
 * Whether a refused save was refused because someone saved the settings since they were loaded (409, the
 * revision moved on): saving again cannot help, loading their version can, so the page offers a reload.
 */
export const isStaleSave = (err: unknown): boolean => err instanceof ApiError && err.status === 409;

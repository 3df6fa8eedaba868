/**
 * Parsing of the two configuration documents the loader fetches, by hand so no
 * schema library reaches the browser. Anything malformed is refused or replaced
 * by a safe default; nothing from these documents is ever used as markup.
 */

export type Position = 'right' | 'left';

/** `config.json` beside the loader, written per environment by the host serving the widget. */
export interface EnvConfig {
  readonly wsUrl: string;
  readonly apiUrl: string;
}

/** `GET {apiUrl}/v1/public/widget/{key}/config`. */
export interface TenantConfig {
  readonly name: string;
  readonly greeting: Readonly<Record<string, string>>;
  readonly colour: string;
  readonly position: Position;
  readonly languages: readonly string[];
  readonly logoUrl?: string;
}

export const DEFAULT_COLOUR = '#0f766e';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function urlWithScheme(v: unknown, schemes: readonly string[]): string | undefined {
  if (typeof v !== 'string') return undefined;
  try {
    const u = new URL(v);
    return schemes.includes(u.protocol) ? v : undefined;
  } catch {
    return undefined;
  }
}

export function parseEnvConfig(v: unknown): EnvConfig | undefined {
  if (!isRecord(v)) return undefined;
  const wsUrl = urlWithScheme(v.wsUrl, ['ws:', 'wss:']);
  const apiUrl = urlWithScheme(v.apiUrl, ['http:', 'https:']);
  if (!wsUrl || !apiUrl) return undefined;
  return { wsUrl, apiUrl: apiUrl.replace(/\/+$/, '') };
}

export function isHexColour(v: unknown): v is string {
  return typeof v === 'string' && /^#[0-9a-fA-F]{6}$/.test(v);
}

export function parsePosition(v: unknown): Position | undefined {
  return v === 'left' || v === 'right' ? v : undefined;
}

export function parseTenantConfig(v: unknown): TenantConfig | undefined {
  if (!isRecord(v)) return undefined;
  const name = typeof v.name === 'string' ? v.name.trim().slice(0, 120) : '';
  if (!name) return undefined;
  const greeting: Record<string, string> = {};
  if (isRecord(v.greeting)) {
    for (const [lang, text] of Object.entries(v.greeting)) {
      if (/^[a-z]{2}$/.test(lang) && typeof text === 'string' && text.trim()) greeting[lang] = text.trim().slice(0, 1000);
    }
  }
  const languages = Array.isArray(v.languages)
    ? v.languages.filter((l): l is string => typeof l === 'string' && /^[a-z]{2}(-[A-Z]{2})?$/.test(l))
    : [];
  const logoUrl = urlWithScheme(v.logoUrl, ['https:', 'http:']);
  return {
    name,
    greeting,
    colour: isHexColour(v.colour) ? v.colour.toLowerCase() : DEFAULT_COLOUR,
    position: parsePosition(v.position) ?? 'right',
    languages: languages.length > 0 ? languages : ['en'],
    ...(logoUrl ? { logoUrl } : {}),
  };
}

/** The greeting in `lang`, else English, else any. */
export function greetingFor(config: TenantConfig, lang: string): string | undefined {
  return config.greeting[lang] ?? config.greeting.en ?? Object.values(config.greeting)[0];
}

/** WCAG 2.x relative luminance of a `#rrggbb` colour. */
export function luminance(hex: string): number {
  const channel = (i: number): number => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

const WHITE = '#ffffff';
// Pure black: the only dark text that guarantees ≥ 4.5:1 against every brand colour when white does not.
const INK = '#000000';

/** Text colour to put on the brand colour: white or near-black, whichever contrasts more. */
export function onColour(background: string): string {
  return contrastRatio(background, WHITE) >= contrastRatio(background, INK) ? WHITE : INK;
}

/**
 * A version of the brand colour usable as text/outline on white (≥ 4.5:1):
 * darkened step by step when the brand colour is too light.
 */
export function accentOnWhite(hex: string): string {
  let [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let out = hex.toLowerCase();
  for (let i = 0; i < 20 && contrastRatio(out, WHITE) < 4.5; i++) {
    [r, g, b] = [r, g, b].map((c) => Math.floor(c * 0.85));
    out = '#' + [r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('');
  }
  return out;
}

/** Custom properties for the shadow root; every value is a validated `#rrggbb`. */
export function themeCss(colour: string): string {
  const brand = isHexColour(colour) ? colour.toLowerCase() : DEFAULT_COLOUR;
  return `:host{--cw-brand:${brand};--cw-on-brand:${onColour(brand)};--cw-accent:${accentOnWhite(brand)}}`;
}

/** `{apiUrl}/v1/public/widget/{key}/config`, with the key encoded. */
export function tenantConfigUrl(apiUrl: string, key: string): string {
  return `${apiUrl}/v1/public/widget/${encodeURIComponent(key)}/config`;
}

/** `{wsUrl}?key=…&visitor=…`, keeping any query the environment already put on the URL. */
export function socketUrl(wsUrl: string, key: string, visitorId: string): string {
  const u = new URL(wsUrl);
  u.searchParams.set('key', key);
  u.searchParams.set('visitor', visitorId);
  return u.toString();
}

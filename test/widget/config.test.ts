import {
  accentOnWhite,
  contrastRatio,
  DEFAULT_COLOUR,
  greetingFor,
  onColour,
  parseEnvConfig,
  parseTenantConfig,
  socketUrl,
  tenantConfigUrl,
  themeCss,
} from '../../widget/src/lib/config';
import fc from 'fast-check';

describe('config.json', () => {
  it('accepts ws(s) and http(s) URLs and trims a trailing slash from the API URL', () => {
    expect(parseEnvConfig({ wsUrl: 'wss://ws.example.com/prod', apiUrl: 'https://api.example.com/' })).toEqual({
      wsUrl: 'wss://ws.example.com/prod',
      apiUrl: 'https://api.example.com',
    });
  });
  it.each([
    [{ wsUrl: 'https://x', apiUrl: 'https://y' }],
    [{ wsUrl: 'ws://x', apiUrl: 'javascript:alert(1)' }],
    [{ wsUrl: 'ws://x' }],
    ['nope'],
    [null],
  ])('refuses %j', (v) => expect(parseEnvConfig(v)).toBeUndefined());
});

describe('tenant widget config', () => {
  const valid = { name: 'Harbour Dental Studio', greeting: { en: 'Hi!', es: '¡Hola!' }, colour: '#0F766E', position: 'left', languages: ['en', 'es'] };

  it('parses a valid document', () => {
    expect(parseTenantConfig(valid)).toEqual({ ...valid, colour: '#0f766e' });
  });
  it('falls back to safe defaults for bad fields', () => {
    const c = parseTenantConfig({ name: ' X ', greeting: { en: 5, 'x-bad': 'no' }, colour: 'red;background:url(x)', position: 'top', languages: 'en', logoUrl: 'javascript:1' });
    expect(c).toEqual({ name: 'X', greeting: {}, colour: DEFAULT_COLOUR, position: 'right', languages: ['en'] });
  });
  it('needs a name', () => expect(parseTenantConfig({ ...valid, name: '  ' })).toBeUndefined());
  it('keeps an http(s) logo URL', () => expect(parseTenantConfig({ ...valid, logoUrl: 'https://cdn.example/logo.png' })?.logoUrl).toBe('https://cdn.example/logo.png'));
  it('greets in the language, else English, else any', () => {
    const c = parseTenantConfig(valid);
    if (!c) throw new Error('parse failed');
    expect(greetingFor(c, 'es')).toBe('¡Hola!');
    expect(greetingFor(c, 'de')).toBe('Hi!');
    expect(greetingFor({ ...c, greeting: { es: 'Hola' } }, 'en')).toBe('Hola');
    expect(greetingFor({ ...c, greeting: {} }, 'en')).toBeUndefined();
  });
});

describe('colours', () => {
  const hex = fc
    .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }))
    .map((rgb) => '#' + rgb.map((c) => c.toString(16).padStart(2, '0')).join(''));

  it('text on the brand colour always reaches WCAG AA (4.5:1)', () => {
    fc.assert(fc.property(hex, (c) => contrastRatio(c, onColour(c)) >= 4.5));
  });
  it('the accent used on white always reaches 4.5:1', () => {
    fc.assert(fc.property(hex, (c) => contrastRatio(accentOnWhite(c), '#ffffff') >= 4.5));
  });
  it('keeps a brand colour that is already dark enough', () => expect(accentOnWhite('#0f766e')).toBe('#0f766e'));
  it('known contrast ratios', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(onColour('#0f766e')).toBe('#ffffff');
    expect(onColour('#fde047')).toBe('#000000');
  });
  it('theme CSS only ever contains validated colours', () => {
    expect(themeCss('#0f766e')).toBe(':host{--cw-brand:#0f766e;--cw-on-brand:#ffffff;--cw-accent:#0f766e}');
    expect(themeCss('red}body{display:none')).toContain(`--cw-brand:${DEFAULT_COLOUR}`);
  });
});

describe('URLs', () => {
  it('encodes the widget key into the config URL', () => {
    expect(tenantConfigUrl('https://api.example.com', 'pk/../x?y')).toBe('https://api.example.com/v1/public/widget/pk%2F..%2Fx%3Fy/config');
  });
  it('adds key and visitor to the socket URL, keeping existing query parameters', () => {
    expect(socketUrl('wss://ws.example.com/prod', 'pk_1', 'a'.repeat(32))).toBe(`wss://ws.example.com/prod?key=pk_1&visitor=${'a'.repeat(32)}`);
    expect(socketUrl('ws://127.0.0.1:9/?stage=x', 'k&1', 'b'.repeat(32))).toBe(`ws://127.0.0.1:9/?stage=x&key=k%261&visitor=${'b'.repeat(32)}`);
  });
});

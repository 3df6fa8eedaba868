import { baseLang, dictionary, format, languages, launcherTranslator, pickLang, translator } from '../../widget/src/lib/i18n';

describe('i18n', () => {
  it('has every string in every language, none empty, with the same placeholders', () => {
    const en = dictionary('en');
    for (const lang of languages) {
      const dict = dictionary(lang);
      expect(Object.keys(dict).sort()).toEqual(Object.keys(en).sort());
      const placeholders = (s: string): string[] => (s.match(/\{\w+\}/g) ?? []).sort();
      const english = new Map(Object.entries(en));
      for (const [key, value] of Object.entries(dict)) {
        expect(value.trim()).not.toBe('');
        expect([key, placeholders(value)]).toEqual([key, placeholders(english.get(key) ?? '')]);
      }
    }
  });

  it('translates with parameters', () => {
    expect(translator('en')('openChat', { name: 'Harbour Dental Studio' })).toBe('Chat with Harbour Dental Studio');
    expect(translator('es')('openChat', { name: 'Harbour Dental Studio' })).toBe('Chatea con Harbour Dental Studio');
    expect(translator('es')('source', { title: '¿Hay aparcamiento?' })).toBe('Fuente: ¿Hay aparcamiento?');
    expect(launcherTranslator('es')('unread', { count: 3 })).toBe('Mensajes nuevos: 3');
  });

  it('the launcher strings agree with the full dictionary', () => {
    for (const lang of languages) {
      const t = translator(lang);
      const l = launcherTranslator(lang);
      for (const key of ['openChat', 'closeChat', 'unread'] as const) expect(l(key, { name: 'X', count: 2 })).toBe(t(key, { name: 'X', count: 2 }));
    }
  });

  it('format leaves unknown placeholders visible and never evaluates anything', () => {
    expect(format('Hi {name}, {missing}', { name: '<b>Ann</b>' })).toBe('Hi <b>Ann</b>, {missing}');
    expect(format('{a}{a}', { a: '$&' })).toBe('$&$&');
  });

  it('reduces language tags to a language we speak', () => {
    expect(baseLang('es-MX')).toBe('es');
    expect(baseLang('EN_gb')).toBe('en');
    expect(baseLang('fr')).toBeUndefined();
    expect(baseLang('')).toBeUndefined();
    expect(baseLang(null)).toBeUndefined();
  });

  describe('pickLang: data-lang, then the browser when the business offers it, then the business, then English', () => {
    it('data-lang wins', () => expect(pickLang('es', ['en'], ['en-US'])).toBe('es'));
    it('an unsupported data-lang is ignored', () => expect(pickLang('fr', ['en', 'es'], ['es-ES'])).toBe('es'));
    it("the browser's language when offered", () => expect(pickLang(undefined, ['en', 'es'], ['es-MX', 'en'])).toBe('es'));
    it("the browser's next language when the first is not offered", () => expect(pickLang(undefined, ['en', 'es'], ['fr-FR', 'es'])).toBe('es'));
    it("the business's first language when the browser's is not offered", () => expect(pickLang(undefined, ['es', 'en'], ['de-DE'])).toBe('es'));
    it('a Spanish browser on an English-only business gets English', () => expect(pickLang(undefined, ['en'], ['es-ES'])).toBe('en'));
    it('English when nothing is known', () => expect(pickLang(undefined, [], [])).toBe('en'));
  });
});

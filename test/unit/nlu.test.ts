import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { knowledgeBaseSchema } from '../../lambdas/core/knowledge-base';
import { editDistance, extractContact, maskPii, matchServices, matchStaff } from '../../lambdas/core/nlu/entities';
import { TfidfVectorizer } from '../../lambdas/core/nlu/features';
import { englishGloss, glossQuery } from '../../lambdas/core/nlu/glossary';
import { classifierOf, understand } from '../../lambdas/core/nlu/index';
import type { TenantCatalogue } from '../../lambdas/core/nlu/catalogue';
import { IntentClassifier, INTENTS, labelledUtterances } from '../../lambdas/core/nlu/intents';
import { detectLanguage } from '../../lambdas/core/nlu/language';
import { argmax, SoftmaxRegression } from '../../lambdas/core/nlu/logreg';
import { normaliseTimes, offsetMinutes, parseWhen, zonedToUtc, type WhenOptions } from '../../lambdas/core/nlu/time';

const kb = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '../../local-cloud/seed/demo-kb.json'), 'utf8')));

describe('TF-IDF features and softmax regression', () => {
  it('gives L2-normalised sparse vectors and ignores unseen features', () => {
    const v = new TfidfVectorizer().fit(['book an appointment', 'cancel my appointment']);
    const x = v.transform('Book an APPOINTMENT');
    const norm = Math.sqrt(Array.from(x.values).reduce((s, a) => s + a * a, 0));
    expect(norm).toBeCloseTo(1, 5);
    expect(v.transform('zzz qqq').indices.length).toBe(0);
  });

  it('learns a separable problem, deterministically', () => {
    const texts = ['red apple', 'green apple', 'red cherry', 'blue sky', 'grey sky', 'blue sea'];
    const labels = [0, 0, 0, 1, 1, 1];
    const v = new TfidfVectorizer().fit(texts);
    const train = () => new SoftmaxRegression(v.size, 2).train(texts.map((t, i) => ({ x: v.transform(t), y: labels[i] ?? 0 })), { epochs: 30 });
    const a = train();
    const b = train();
    expect(argmax(a.predict(v.transform('an apple')))).toBe(0);
    expect(argmax(a.predict(v.transform('the sky')))).toBe(1);
    expect(Array.from(a.predict(v.transform('apple sky')))).toEqual(Array.from(b.predict(v.transform('apple sky'))));
  });
});

describe('intent classifier', () => {
  const classifier = IntentClassifier.train(kb.faqs.map((f) => f.question));

  it('has labelled examples in English and Spanish for every intent', () => {
    const rows = labelledUtterances();
    for (const intent of INTENTS) expect(rows.filter((r) => r.intent === intent).length).toBeGreaterThanOrEqual(25);
    expect(rows.length).toBeGreaterThan(600);
  });

  it.each([
    ['hey, good afternoon', 'greeting'],
    ['buenas tardes', 'greeting'],
    ['cheers, that was really useful', 'thanks'],
    ['see you later, bye', 'goodbye'],
    ['yes, that would be great', 'affirm'],
    ['no, not right now', 'deny'],
    ['could I speak to an actual human being', 'human'],
    ['quiero hablar con alguien del equipo, por favor', 'human'],
    ['I would like to book a cleaning for Friday', 'book'],
    ['quiero reservar una limpieza para el viernes', 'book'],
    ['I need to move my Thursday appointment to next week', 'reschedule'],
    ['please cancel my booking for tomorrow', 'cancel'],
    ['what time is my appointment on Monday?', 'my_bookings'],
    ['the service was awful and nobody apologised', 'complaint'],
    ['what is the capital of Peru', 'out_of_scope'],
    ['do you have parking?', 'question'],
    ['¿cuánto cuesta una revisión?', 'question'],
  ] as const)('%s → %s', (text, intent) => {
    expect(classifier.predict(text).intent).toBe(intent);
  });
});

describe('language', () => {
  it.each([
    ['¿Tienen aparcamiento?', 'es'],
    ['cuanto cuesta la limpieza', 'es'],
    ['How much is whitening?', 'en'],
    ["I'd like to book", 'en'],
  ] as const)('%s → %s', (text, lang) => expect(detectLanguage(text)).toBe(lang));

  it('keeps the conversation language when the text says too little', () => {
    expect(detectLanguage('ok', 'es')).toBe('es');
    expect(detectLanguage('Invisalign?', 'es')).toBe('es');
    expect(detectLanguage('ok', 'en')).toBe('en');
  });

  it('keeps a Spanish conversation Spanish on a one- or two-word English-looking message', () => {
    expect(detectLanguage('parking?', 'es')).toBe('es');
    expect(detectLanguage('parking?')).toBe('en');
    expect(detectLanguage('what are your opening hours on saturday?', 'es')).toBe('en');
  });
});

describe('dates and times in the tenant time zone', () => {
  // Friday 27 March 2026, 10:00 in Dublin (GMT); Dublin moves to IST (UTC+1) on Sunday 29 March at 01:00 UTC.
  const options: WhenOptions = { lang: 'en', timezone: 'Europe/Dublin', now: new Date('2026-03-27T10:00:00Z'), hours: kb.hours };
  const when = (text: string, lang: 'en' | 'es' = 'en') => parseWhen(text, { ...options, lang });

  it('reads a weekday named on that day as today, whatever the hour and the zone', () => {
    // Friday 27 March 2026 at 15:00 in Madrid (after noon: chrono, given the real instant, moved it a week ahead).
    const madrid = (text: string, lang: 'en' | 'es' = 'en') => parseWhen(text, { lang, timezone: 'Europe/Madrid', now: new Date('2026-03-27T14:00:00Z'), hours: kb.hours });
    expect(madrid('friday at 5pm')).toMatchObject({ date: '2026-03-27', start: '17:00' });
    expect(madrid('el viernes a las 18', 'es')).toMatchObject({ date: '2026-03-27', start: '18:00' });
    // Saturday 08:00 in Tokyo is still Friday in UTC.
    expect(parseWhen('saturday', { lang: 'en', timezone: 'Asia/Tokyo', now: new Date('2026-03-27T23:00:00Z'), hours: kb.hours })).toMatchObject({ date: '2026-03-28' });
  });

  it('reads Spanish parts of the day after a time, "pasado mañana" and "el día 5"', () => {
    expect(when('Quiero una cita a las 7 de la mañana', 'es')).toMatchObject({ start: '07:00' });
    expect(when('a las 8 de la tarde', 'es')).toMatchObject({ start: '20:00' });
    expect(when('pasado mañana a las 10', 'es')).toMatchObject({ date: '2026-03-29', start: '10:00' });
    expect(when('el día 5', 'es')?.start).toBeUndefined();
  });

  it('gives "after" a time past closing no end before its start', () => {
    const w = when('after 11pm tonight');
    expect(w?.start).toBe('23:00');
    expect(w?.end === undefined || w.end > (w.start ?? '')).toBe(true);
  });

  it('computes offsets and wall-clock instants with DST', () => {
    expect(offsetMinutes(new Date('2026-01-15T12:00:00Z'), 'Europe/Dublin')).toBe(0);
    expect(offsetMinutes(new Date('2026-07-15T12:00:00Z'), 'Europe/Dublin')).toBe(60);
    expect(offsetMinutes(new Date('2026-07-15T12:00:00Z'), 'America/New_York')).toBe(-240);
    expect(zonedToUtc('2026-03-29', '15:00', 'Europe/Dublin').toISOString()).toBe('2026-03-29T14:00:00.000Z');
    expect(zonedToUtc('2026-03-28', '15:00', 'Europe/Dublin').toISOString()).toBe('2026-03-28T15:00:00.000Z');
    // The skipped hour resolves after the gap; the repeated hour to its first occurrence.
    expect(zonedToUtc('2026-03-29', '01:30', 'Europe/Dublin').toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(zonedToUtc('2026-10-25', '01:30', 'Europe/Dublin').toISOString()).toBe('2026-10-25T00:30:00.000Z');
  });

  it('reads spelled-out times', () => {
    expect(normaliseTimes('half past four')).toContain('4:30');
    expect(normaliseTimes('a las cuatro y media')).toContain('4:30');
    expect(normaliseTimes('quarter to five')).toContain('4:45');
  });

  it.each([
    ['tomorrow at half past four', { date: '2026-03-28', start: '16:30' }],
    ['next Tuesday around noon', { date: '2026-03-31', start: '12:00', approximate: true }],
    ['on the 1st at 1', { date: '2026-04-01', start: '13:00' }],
    ["Monday 2 o'clock", { date: '2026-03-30', start: '14:00' }],
    ['after 6 on Thursday', { date: '2026-04-02', start: '18:00', end: '19:30' }],
    ['between 2 and 4 tomorrow', { date: '2026-03-28', start: '14:00', end: '16:00' }],
    ['Sunday 29 March at 3pm', { date: '2026-03-29', start: '15:00', startUtc: '2026-03-29T14:00:00.000Z' }],
    ['this afternoon', { date: '2026-03-27', start: '12:00', end: '17:00' }],
    ['at 9:15am', { start: '09:15' }],
  ])('%s', (text, expected) => {
    expect(when(text)).toEqual(expect.objectContaining(expected));
  });

  it.each([
    ['mañana a las cuatro y media', { date: '2026-03-28', start: '16:30' }],
    ['el martes a las 5', { date: '2026-03-31', start: '17:00' }],
    ['el jueves entre las 2 y las 4', { date: '2026-04-02', start: '14:00', end: '16:00' }],
    ['el 1 de abril por la tarde', { date: '2026-04-01', start: '12:00', end: '17:00' }],
    ['después de las 6 el jueves', { date: '2026-04-02', start: '18:00' }],
    ['el lunes sobre las diez', { date: '2026-03-30', start: '10:00', approximate: true }],
  ])('%s (es)', (text, expected) => {
    expect(when(text, 'es')).toEqual(expect.objectContaining(expected));
  });

  it('finds nothing in messages without a date or time', () => {
    expect(when('how much is whitening?')).toBeUndefined();
    expect(when('it costs €80 and takes 45 minutes')).toBeUndefined();
    expect(when('I waited an hour and nobody came')).toBeUndefined();
  });

  it('never throws and always returns well-formed times (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const w = when(text);
        if (!w) return true;
        return [w.start, w.end].every((t) => t === undefined || /^\d{2}:\d{2}$/.test(t)) && (w.date === undefined || /^\d{4}-\d{2}-\d{2}$/.test(w.date));
      }),
      { numRuns: 300 },
    );
  });
});

describe('a name with Spanish letters', () => {
  it('does not switch an English conversation to Spanish ("José Núñez" as the answer to "what name?")', () => {
    for (const name of ['José Núñez', 'Iñaki Peña', 'María Ibáñez']) expect(detectLanguage(name, 'en')).toBe('en'); // was es
    expect(detectLanguage('¿tienen parking?', 'en')).toBe('es');
    expect(detectLanguage('hola, buenos días', 'en')).toBe('es');
  });
});

describe('catalogue entities', () => {
  it.each([
    ['can I book a cleaning?', 'checkup-clean'],
    ['quiero una limpieza', 'checkup-clean'],
    ['precio del blanqueamiento', 'teeth-whitening'],
    ['teeth whitning please', 'teeth-whitening'],
    ['Invisalign consult', 'aligner-consultation'],
    ['I need an urgent appointment, toothache', 'emergency'],
  ])('%s → %s', (text, id) => {
    expect(matchServices(text, kb.services)[0]?.id).toBe(id);
  });

  it("finds a service by its name in a reply language, words the glossary does not know (\"alisado brasileño\")", () => {
    const salon = [
      { id: 'keratin', name: 'Keratin smoothing treatment', names: { es: 'Alisado brasileño' } },
      { id: 'colour', name: 'Full colour', names: { es: 'Tinte completo' } },
    ];
    expect(matchServices('¿cuánto cuesta un alisado brasileño?', salon)[0]?.id).toBe('keratin');
    expect(matchServices('keratin smoothing please', salon)[0]?.id).toBe('keratin');
    expect(matchServices('quiero un tinte', salon)[0]?.id).toBe('colour');
    expect(matchServices('alisado', [{ id: 'keratin', name: 'Keratin smoothing treatment' }])).toEqual([]);
  });

  it('does not invent a service', () => {
    expect(matchServices('do you have parking?', kb.services)).toEqual([]);
    expect(matchServices('I want an appointment', kb.services)).toEqual([]);
  });

  it('matches staff by name (typos tolerated) or by a role only one of them has', () => {
    expect(matchStaff('with Dr Gallagher please', kb.staff)[0]?.id).toBe('niamh-gallagher');
    expect(matchStaff('can Martha do it', kb.staff)[0]?.id).toBe('marta-ruiz');
    expect(matchStaff('with the hygienist', kb.staff)[0]?.id).toBe('marta-ruiz');
    expect(matchStaff('con la higienista', kb.staff)[0]?.id).toBe('marta-ruiz');
    expect(matchStaff('do you have parking', kb.staff)).toEqual([]);
  });

  it('measures edit distance with transpositions', () => {
    expect(editDistance('whiten', 'whitne')).toBe(1);
    expect(editDistance('abc', 'abcdef', 2)).toBe(3);
  });
});

describe('contact details and PII masking', () => {
  it('extracts name, phone and email', () => {
    expect(extractContact('Hi, my name is Aoife Byrne, call me on +353 87 123 4567 or aoife@example.ie')).toEqual({
      name: 'Aoife Byrne',
      phone: '+353871234567',
      email: 'aoife@example.ie',
    });
    expect(extractContact('me llamo Lucía, mi móvil es 612 345 678')).toEqual({ name: 'Lucía', phone: '612345678' });
    expect(extractContact("I'm nervous about the dentist")).toEqual({});
  });

  it('reads no phone number out of a date or a clock time next to it', () => {
    expect(extractContact('on 02.12.2026 please, 087 123 4567')).toEqual({ phone: '0871234567' }); // was 02122026
    expect(extractContact('booking ref 2026-12-02, phone +34 612 345 678')).toEqual({ phone: '+34612345678' }); // was 20261202
    expect(extractContact('el 02/12/2026 a las 10:00, 612 345 678')).toEqual({ phone: '612345678' });
    expect(extractContact('any time 10.30 am to 12.30 pm on 0871234567')).toEqual({ phone: '0871234567' });
    expect(extractContact('only a date: 12.12.2026')).toEqual({});
  });

  it('masks them for logs', () => {
    expect(maskPii('my name is Aoife Byrne, email aoife@example.ie, phone 087 123 4567')).toBe('my name is [name], email [email], phone [phone]');
    fc.assert(
      fc.property(fc.emailAddress(), (email) => !maskPii(`write to ${email} please`).includes(email)),
      { numRuns: 100 },
    );
  });
});

describe('Spanish glossary', () => {
  it('glosses Spanish questions into English search terms', () => {
    expect(englishGloss('¿tienen aparcamiento?')).toContain('parking');
    expect(glossQuery('¿venden tarjetas regalo?')).toContain('gift vouchers');
    expect(glossQuery('¿se puede pagar el Invisalign a plazos?')).toContain('invisalign');
  });
});

describe('understand()', () => {
  it('puts language, intent and entities together', () => {
    const catalogue = { version: 1, business: kb.business, hours: kb.hours, services: kb.services, staff: kb.staff, faqQuestions: kb.faqs.map((f) => f.question) };
    const u = understand({ tenantId: 'demo', text: 'quiero pedir cita para un blanqueamiento el martes a las cinco', catalogue, now: new Date('2026-03-27T10:00:00Z') });
    expect(u).toEqual(
      expect.objectContaining({ lang: 'es', intent: 'book', service: expect.objectContaining({ id: 'teeth-whitening' }), when: expect.objectContaining({ date: '2026-03-31', start: '17:00' }) }),
    );
  });
});

describe('phone numbers inside words', () => {
  it('takes no phone from digits inside a word or id, and still finds a real one', async () => {
    const { extractContact } = await import('../../lambdas/core/nlu/entities');
    expect(extractContact('Is there parking by privacy3f59680344e1?').phone).toBeUndefined();
    expect(extractContact('order ab12345678cd please').phone).toBeUndefined();
    expect(extractContact('call me on +34 612 345 678 tomorrow').phone).toBe('+34612345678');
  });
});

describe('the intent classifier cache', () => {
  const catalogueOf = (version: number, faqQuestions: readonly string[]): TenantCatalogue => ({
    version,
    business: kb.business,
    hours: kb.hours,
    services: kb.services,
    staff: kb.staff,
    faqQuestions,
  });

  it('keeps a model by the FAQ questions it was trained on: a new version with the same questions reuses it', () => {
    const questions = kb.faqs.map((f) => f.question);
    const first = classifierOf(catalogueOf(7, questions));
    // An answer or a document changed: a new knowledge-base version, the same questions (a new array, as read again).
    expect(classifierOf(catalogueOf(8, [...questions]))).toBe(first);
    // A question added: trained again, and that model recognises the new question as a question.
    const added = classifierOf(catalogueOf(9, [...questions, 'Do you lend umbrellas to patients?']));
    expect(added).not.toBe(first);
    expect(added.predict('Do you lend umbrellas to patients?').intent).toBe('question');
    expect(classifierOf()).toBe(classifierOf());
  });
});

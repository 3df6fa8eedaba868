/**
 * core/channels/format.ts: text adapted per channel (Markdown, options, sources), GSM-7 vs UCS-2 lengths,
 * sentence-boundary splitting within each provider's limit, and numbered replies mapped back to quick replies.
 */
import fc from 'fast-check';
import {
  buttonsOf,
  foldToGsm,
  formatForChannel,
  numberedOptions,
  resolveNumberedReply,
  smsEncodingOf,
  smsLength,
  smsPartCount,
  splitText,
  stripMarkdown,
  toWhatsAppMarkdown,
} from '../../lambdas/core/channels/format';
import type { QuickReply } from '../../lambdas/core/protocol';

const qr = (label: string, text = label): QuickReply => ({ label, text });
const three = [qr('Book a cleaning', 'I want to book a cleaning'), qr('Opening hours', 'What are your opening hours?'), qr('Talk to a person', 'I want to speak to a human')];

describe('Markdown', () => {
  it('is removed for SMS and Messenger: emphasis, headings, code, links as "title: url"', () => {
    expect(stripMarkdown('**Parking** is _free_ at the [car park](https://example.com/park).')).toBe('Parking is free at the car park: https://example.com/park.');
    expect(stripMarkdown('# Prices\n- Cleaning `€60`\n* Whitening')).toBe('Prices\n- Cleaning €60\n- Whitening');
    expect(stripMarkdown('See [https://x.io/a](https://x.io/a)')).toBe('See https://x.io/a');
  });

  it('keeps snake_case words, arithmetic and lone asterisks', () => {
    expect(stripMarkdown('use my_booking_id and 2 * 3 = 6')).toBe('use my_booking_id and 2 * 3 = 6');
  });

  it('becomes WhatsApp light Markdown: *bold*, _italic_, headings bold', () => {
    expect(toWhatsAppMarkdown('**Open** __today__\n## Hours')).toBe('*Open* _today_\n*Hours*');
    expect(toWhatsAppMarkdown('[Map](https://maps.example/x)')).toBe('Map: https://maps.example/x');
  });
});

describe('SMS encoding', () => {
  it('tells GSM-7 from UCS-2 and counts extension characters twice', () => {
    expect(smsEncodingOf('Hello, see you at 10:00!')).toBe('GSM-7');
    expect(smsEncodingOf('Cita confirmada: mañana a las 10')).toBe('GSM-7'); // ñ is in the basic set
    expect(smsEncodingOf('Bye 👋')).toBe('UCS-2');
    expect(smsLength('€10 [a]')).toBe(10);
    expect(smsLength('👋')).toBe(2); // a surrogate pair is two UCS-2 units
  });

  it('counts parts: 160/153 in GSM-7, 70/67 in UCS-2', () => {
    expect(smsPartCount('a'.repeat(160))).toBe(1);
    expect(smsPartCount('a'.repeat(161))).toBe(2);
    expect(smsPartCount('ü'.repeat(160))).toBe(1); // ü is GSM-7
    expect(smsPartCount('ł'.repeat(70))).toBe(1);
    expect(smsPartCount('ł'.repeat(71))).toBe(2);
  });

  it('folds typographic punctuation so a curly quote does not make the message UCS-2', () => {
    const text = foldToGsm('We’re open “today” – 9…5');
    expect(text).toBe('We\'re open "today" - 9...5');
    expect(smsEncodingOf(text)).toBe('GSM-7');
  });
});

describe('splitting', () => {
  it('keeps a text within the limit whole', () => {
    expect(splitText('One. Two.', 100)).toEqual(['One. Two.']);
  });

  it('cuts on sentence boundaries', () => {
    const s1 = `${'a'.repeat(50)}.`;
    const s2 = `${'b'.repeat(50)}!`;
    const s3 = `${'c'.repeat(50)}?`;
    expect(splitText(`${s1} ${s2} ${s3}`, 110)).toEqual([`${s1} ${s2}`, s3]);
  });

  it('cuts an over-long sentence on white space, and an over-long word anywhere', () => {
    const words = Array.from({ length: 30 }, (_v, i) => `word${i}`).join(' ');
    const parts = splitText(words, 40);
    expect(parts.every((p) => p.length <= 40)).toBe(true);
    expect(parts.join(' ')).toBe(words);
    expect(splitText('x'.repeat(95), 40)).toEqual(['x'.repeat(40), 'x'.repeat(40), 'x'.repeat(15)]);
  });

  it('never exceeds the limit and loses no non-space character (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 600 }), fc.integer({ min: 20, max: 200 }), (text, max) => {
        const parts = splitText(text, max);
        for (const p of parts) expect([...p].length).toBeLessThanOrEqual(max);
        expect(parts.join('').replace(/\s/g, '')).toBe(text.replace(/\s/g, ''));
      }),
      { numRuns: 300 },
    );
  });
});

describe('formatForChannel', () => {
  it('SMS: plain text, sources as short lines, quick replies numbered with "Reply 1, 2 or 3."', () => {
    const [segment, ...rest] = formatForChannel('sms', {
      text: '**Yes** — parking is free. See [the map](https://ex.am/ple).',
      sources: [{ id: 'faq-parking', title: 'Parking', kind: 'faq' }],
      quickReplies: three,
    });
    expect(rest).toEqual([]);
    expect(segment?.text).toBe(
      'Yes - parking is free. See the map: https://ex.am/ple.\n\nSource: Parking\n\n1. Book a cleaning\n2. Opening hours\n3. Talk to a person\nReply 1, 2 or 3.',
    );
    expect(smsEncodingOf(segment?.text ?? '')).toBe('GSM-7');
  });

  it('in Spanish: "Responda 1, 2 o 3." and "Fuente:" (was English around Spanish options)', () => {
    const [sms] = formatForChannel('sms', { text: 'Sí, el aparcamiento es gratis.', lang: 'es', sources: [{ id: 'p', title: 'Aparcamiento', kind: 'faq' }], quickReplies: three });
    expect(sms?.text).toBe('Sí, el aparcamiento es gratis.\n\nFuente: Aparcamiento\n\n1. Book a cleaning\n2. Opening hours\n3. Talk to a person\nResponda 1, 2 o 3.');
    // Options the text already numbers (the booking dialog's slots): only the line that says how to answer.
    const [wa] = formatForChannel('whatsapp', { text: 'Estas horas están libres:\n1. Book a cleaning\n2. Opening hours', lang: 'es', quickReplies: three.slice(0, 2) });
    expect(wa?.text.endsWith('\n\nResponda 1 o 2.')).toBe(true);
  });

  it('SMS: a long answer is split into segments of at most 1600 (GSM-7 septets), options on the last', () => {
    const sentence = 'Our clinic offers cleaning, whitening and check-ups every weekday. ';
    const segments = formatForChannel('sms', { text: sentence.repeat(60), quickReplies: three.slice(0, 2) });
    expect(segments.length).toBe(3);
    for (const s of segments) {
      expect(smsLength(s.text)).toBeLessThanOrEqual(1600);
      expect(s.text.endsWith('weekday.') || s.text.endsWith('Reply 1 or 2.')).toBe(true);
    }
    expect(segments[2]?.text.endsWith('Reply 1 or 2.')).toBe(true);
  });

  it('SMS: extension characters count double towards the 1600 limit', () => {
    const segments = formatForChannel('sms', { text: '€'.repeat(1000) });
    expect(segments.map((s) => [...s.text].length)).toEqual([800, 200]);
  });

  it('WhatsApp: light Markdown, at most three numbered options, italic sources', () => {
    const [segment] = formatForChannel('whatsapp', {
      text: '**Open** until 18:00.',
      sources: [{ id: 'h', title: 'Opening hours', kind: 'faq' }],
      quickReplies: [...three, qr('Prices')],
    });
    expect(segment?.text).toBe('*Open* until 18:00.\n\n_Source: Opening hours_\n\n1. Book a cleaning\n2. Opening hours\n3. Talk to a person\nReply 1, 2 or 3.');
  });

  it("WhatsApp: segments of at most 1600 characters (Twilio's Body limit holds for WhatsApp too: error 21617)", () => {
    const segments = formatForChannel('whatsapp', { text: 'Ok. '.repeat(500) });
    expect(segments.length).toBe(2);
    for (const s of segments) expect([...s.text].length).toBeLessThanOrEqual(1600);
    expect(segments.map((s) => s.text).join(' ')).toBe('Ok. '.repeat(500).trim());
  });

  it('Messenger: plain text ≤ 2000 per segment, quick replies as buttons (≤ 13, titles ≤ 20) on the last one', () => {
    const many = Array.from({ length: 15 }, (_v, i) => qr(`A rather long option number ${i + 1}`, `option ${i + 1}`));
    const segments = formatForChannel('messenger', { text: '**Hi**. '.repeat(600), quickReplies: many });
    expect(segments.length).toBe(2);
    for (const s of segments) expect([...s.text].length).toBeLessThanOrEqual(2000);
    expect(segments[0]?.buttons).toBeUndefined();
    const buttons = segments[1]?.buttons ?? [];
    expect(buttons).toHaveLength(13);
    expect(buttons[0]).toEqual({ title: 'A rather long optio…', payload: 'option 1' });
    for (const b of buttons) expect([...b.title].length).toBeLessThanOrEqual(20);
    expect(segments[0]?.text.startsWith('Hi. Hi.')).toBe(true);
  });

  it('an empty text with options still sends the options', () => {
    expect(formatForChannel('sms', { text: '', quickReplies: [qr('Yes'), qr('No')] })).toEqual([{ text: '1. Yes\n2. No\nReply 1 or 2.' }]);
    expect(formatForChannel('messenger', { text: ' ', quickReplies: [qr('Yes')] })).toEqual([{ text: '…', buttons: [{ title: 'Yes', payload: 'Yes' }] }]);
    expect(formatForChannel('sms', { text: '   ' })).toEqual([]);
  });

  it('numbers a single option without "or"', () => {
    expect(numberedOptions([qr('Yes')], 3)).toBe('1. Yes\nReply 1.');
    expect(buttonsOf(undefined)).toEqual([]);
  });
});

describe('resolveNumberedReply', () => {
  it('maps "2", "2.", "#2", "option 2" to the second quick reply text', () => {
    for (const typed of ['2', ' 2 ', '2.', '2)', '#2', 'Option 2', 'opción 2']) expect(resolveNumberedReply(typed, three)).toBe('What are your opening hours?');
  });

  it('maps a label typed out', () => {
    expect(resolveNumberedReply('talk to a person', three)).toBe('I want to speak to a human');
  });

  it('leaves other text, out-of-range numbers and numbers without options alone', () => {
    expect(resolveNumberedReply('4', three)).toBe('4');
    expect(resolveNumberedReply('0', three)).toBe('0');
    expect(resolveNumberedReply('2 people please', three)).toBe('2 people please');
    expect(resolveNumberedReply('2', undefined)).toBe('2');
    expect(resolveNumberedReply('2', [])).toBe('2');
  });

  it('only counts the options the channel showed (WhatsApp shows three)', () => {
    const four = [...three, qr('Prices', 'How much is it?')];
    expect(resolveNumberedReply('4', four, 'whatsapp')).toBe('4');
    expect(resolveNumberedReply('4', four, 'sms')).toBe('How much is it?');
  });
});

describe('numbered options the text already lists, and self-numbered scales', () => {
  const slots = [qr('Thu, 10 Dec, 14:00 · Dr Gallagher'), qr('Thu, 10 Dec, 15:30 · Dr Gallagher')];

  it('writes only "Reply 1 or 2." when the text numbers the same options in order', () => {
    const text = 'These times are free:\n1. Thu, 10 Dec, 14:00 with Dr Gallagher\n2. Thu, 10 Dec, 15:30 with Dr Gallagher\nWhich one suits you?';
    const [segment] = formatForChannel('whatsapp', { text, quickReplies: slots });
    expect(segment?.text).toBe(`${text}\n\nReply 1 or 2.`);
  });

  it('still lists the options when the text numbers something else', () => {
    const text = 'To whiten:\n1. Book a check-up\n2. Then a whitening session';
    const [segment] = formatForChannel('sms', { text, quickReplies: slots });
    expect(segment?.text).toContain('\n1. Thu, 10 Dec, 14:00 - Dr Gallagher\n2. Thu, 10 Dec, 15:30 - Dr Gallagher\nReply 1 or 2.');
  });

  it('does not list a 1–5 scale again, nor cut it to three on WhatsApp, and resolves all five', () => {
    const scale = ['1', '2', '3', '4', '5'].map((n) => qr(n, n));
    const [segment] = formatForChannel('whatsapp', { text: 'How satisfied are you? Choose from 1 to 5.', quickReplies: scale });
    expect(segment?.text).toBe('How satisfied are you? Choose from 1 to 5.');
    expect(resolveNumberedReply('5', scale, 'whatsapp')).toBe('5');
  });
});

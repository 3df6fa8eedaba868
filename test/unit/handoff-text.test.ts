/**
 * What the handoff reads in a customer's message (core/handoff-text.ts): the callback contact, read in the business's
 * country so that a date, a time or a range of hours is never taken for a phone number; and a satisfaction score as
 * people write it on WhatsApp and SMS, without taking an ordinary message that starts with a number for one.
 */
import { contactIn, csatScoreIn, handoffText } from '../../lambdas/core/handoff-text';

describe('the callback contact in a message, read in the business country', () => {
  it.each([
    ['Please call me about my appointment on 02.12.2026, my number is 087 123 4567', '087 123 4567'],
    ['call me 087 123 4567 - 10am is best', '087 123 4567'],
    ['call me 087 123 4567 - 10 is best', '087 123 4567'],
    ['087 123 4567, 10-12 is best', '087 123 4567'],
    ['on 12.12.2026 087 123 4567', '087 123 4567'],
    ['tomorrow 28.11.2026 on 087 123 4567', '087 123 4567'],
    ['call 087 123 4567 after 5.30 pm', '087 123 4567'],
    ['0871234567 2 people', '0871234567'],
    ['my mobile: 087 123 4567 (after 6)', '087 123 4567'],
    ['(087) 123 4567', '(087) 123 4567'],
    ['00353 87 123 4567', '00353 87 123 4567'],
    // Written with its country code: a valid number of that country, wherever the business is.
    ['call me on +34 612 34 56 78 please', '+34 612 34 56 78'],
    ['mail me at Maria.Lopez@Example.com', 'maria.lopez@example.com'],
  ])('at an Irish business finds %j → %j', (text, contact) => {
    expect(contactIn(text, 'IE')).toBe(contact);
  });

  it.each([
    // The reported case: a date (12.12.2026 is even a valid Dublin number) is not a contact.
    'my appointment is on 02.12.2026',
    'my appointment is on 12.12.2026',
    'any time 10-12 or after 5.30pm',
    // A Spanish mobile without its +34 is not an Irish number; nor is a number that no country has.
    'Mi número es 612 345 678',
    '+44 7700 900123',
  ])('at an Irish business finds no contact in %j', (text) => {
    expect(contactIn(text, 'IE')).toBeUndefined();
  });

  it('reads the local numbers of the business country', () => {
    expect(contactIn('Mi número es 612 345 678', 'ES')).toBe('612 345 678');
    expect(contactIn('612.34.56.78', 'ES')).toBe('612.34.56.78');
    expect(contactIn('llámame el 02.12.2026 al 612 345 678', 'ES')).toBe('612 345 678');
  });

  it('without a known country, still skips dates and ranges around the number', () => {
    expect(contactIn('Please call me about my appointment on 02.12.2026, my number is 087 123 4567')).toBe('087 123 4567');
    expect(contactIn('call me 087 123 4567 - 10 is best')).toBe('087 123 4567');
    expect(contactIn('my appointment is on 02.12.2026')).toBeUndefined();
  });
});

describe('a satisfaction score as people write it', () => {
  it.each([
    ['5 - great service, thank you', 5],
    ['5, thanks', 5],
    ['4 – quick and friendly', 4],
    ['3: ok', 3],
    ['5!', 5],
    ['5 stars, thanks!', 5],
    ['5/5 great stuff', 5],
    ['4 de 5', 4],
    ['five', 5],
    ['Four!', 4],
    ['four out of five', 4],
    ['cinco', 5],
    ['Tres estrellas', 3],
    ['una estrella', 1],
    ['⭐⭐⭐⭐⭐', 5],
    ['⭐️⭐️⭐️', 3],
    ['★★', 2],
  ])('reads %j as %d', (text, score) => {
    expect(csatScoreIn(text)).toBe(score);
  });

  it.each([
    '2 more questions please',
    '2-3 people tomorrow',
    '2 - 3 people',
    '5:30 works for me',
    '1.5 hours?',
    '1. what time do you open?',
    '2, 3 or 4 of us',
    '3 people',
    'five people tomorrow',
    'one more thing',
    '⭐⭐⭐⭐⭐⭐',
    'Excellent',
    '6 - great',
    '1, what time do you close?',
    '1 - I need to rebook',
    '2, can I rebook',
    '3, tomorrow at 5 please',
    '5 - great service, thank you so much, but I also wanted to know about whitening',
    '2 - ¿abrís mañana?',
  ])('does not read %j as a score', (text) => {
    expect(csatScoreIn(text)).toBeUndefined();
  });
});

describe('the callback offer on a phone channel', () => {
  it('says the number they write from will be used, in English and Spanish, and does not ask for one', () => {
    const en = handoffText.callback('en', 'after_hours', { day: 'mon', time: '09:00', today: false }, true);
    expect(en).toMatch(/We're back on Monday at 09:00\. We'll get back to you on this number/);
    expect(en).not.toMatch(/phone number/i);
    expect(handoffText.callback('es', 'nobody_available', undefined, true)).toMatch(/Te contactaremos en este número/);
    expect(handoffText.callback('en', 'nobody_available')).toMatch(/Leave a phone number or an email address/);
  });
});

/**
 * How many people a booking is for (core/nlu/party.ts): read in English and Spanish where the words say people, and
 * never from a time, a day, a price or a length (docs/decisions.md 114).
 */
import { partySizeIn } from '../../lambdas/core/nlu/party';

describe('partySizeIn', () => {
  it.each([
    ['a table for 4 on Friday at 8pm', 4],
    ['for 4 people', 4],
    ['party of 6', 6],
    ['we are 3', 3],
    ["we're 5", 5],
    ['there are 4 of us', 4],
    ['table for two', 2],
    ['Dinner table for 4 tonight', 4],
    ['Table for 2 at 7', 2],
    ['table for 2 10am', 2],
    ['just the two of us', 2],
    ['a table for one', 1],
    ['a group of 12 on Saturday', 12],
    ['mesa para 6 personas el sábado', 6],
    ['6 personas', 6],
    ['somos 5', 5],
    ['Somos 3 adultos', 3],
    ['una mesa para dos', 2],
    ['una mesa para dos personas', 2],
    ['mesa para una persona', 1],
    ['una mesa para 4 a las 21:00', 4],
    ['reserva para 8 el viernes', 8],
    ['una mesa para cenar para dos', 2],
    ['mesa el sábado para 6', 6],
    ['a table tomorrow for 4', 4],
  ])('"%s" is for %d', (text, n) => {
    expect(partySizeIn(text)).toBe(n);
  });

  it.each([
    ['for 4 please', 4],
    ['for 4', 4],
    ['para 6', 6],
    ['para dos, por favor', 2],
    ['actually, for 5', 5],
  ])('"%s", a message of its own while booking, is for %d (and not read inside other words)', (text, n) => {
    expect(partySizeIn(text, { alone: true })).toBe(n);
    expect(partySizeIn(text)).toBeUndefined();
  });

  it.each([
    // times
    'a table at 4',
    'book me for 4pm',
    'can I book a cleaning for 3?',
    'book it for 3',
    'table for 8:30',
    'reservation for 10:30',
    'mesa para las 8',
    'at 4 30',
    'half four',
    'Friday 4 10am',
    'next Thursday after 2',
    // dates
    'mesa para el 6',
    'reserva para 6 de mayo',
    'a table for the 4th',
    'table for 4th of July',
    'table tomorrow for the 4th',
    'mesa el sábado para las 9',
    'a table tomorrow for 8pm',
    'can you do 12/4?',
    // prices
    '€40 for 2',
    'it costs 40 euros for 2',
    // durations
    'table for 2 hours',
    'for 2 hours',
    'mesa para 2 horas',
    'la reserva dura 2 horas',
    'table for a couple of hours',
    'we are 10 minutes late',
    // other numbers and words
    'una mesa para una cena de cumpleaños',
    'there are 4 slots?',
    'we are open',
    '600 123 456',
    '4',
  ])('"%s" says no party size', (text) => {
    expect(partySizeIn(text, { alone: true })).toBeUndefined();
  });
});

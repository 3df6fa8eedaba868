/**
 * Phone numbers written without a country code are read in the business's country (core/phone.ts), so a customer
 * staff typed as "087 555 0101" is the +353 customer who writes on WhatsApp; a number the country does not know stays
 * as written.
 */
import { getCountries } from 'libphonenumber-js/max';
import { businessCountryOf, phoneInCountry, phoneToShow } from '../../lambdas/core/phone';
import { PHONE_COUNTRIES } from '../../lambdas/core/phone-countries';
import { customerKeyOf } from '../../lambdas/core/booking/service';

describe('businessCountryOf', () => {
  it('is the business country when given, else the country of its own international number', () => {
    expect(businessCountryOf({ phone: '01 555 0142', country: 'IE' })).toBe('IE');
    expect(businessCountryOf({ phone: '+353 1 555 0142' })).toBe('IE');
    expect(businessCountryOf({ phone: '+34 915 55 01 42' })).toBe('ES');
    expect(businessCountryOf({ phone: '+1 415 555 2671' })).toBe('US');
    // The given country wins over the number's (a Spanish clinic with a UK switchboard).
    expect(businessCountryOf({ phone: '+44 20 7946 0958', country: 'ES' })).toBe('ES');
  });

  it('is unknown when the business wrote its own number the local way and gave no country', () => {
    expect(businessCountryOf({ phone: '01 555 0142' })).toBeUndefined();
    expect(businessCountryOf({ phone: 'call us' })).toBeUndefined();
  });
});

describe('phoneInCountry', () => {
  it('reads a local number in the business country, trunk 0 and all', () => {
    expect(phoneInCountry('087 555 0101', 'IE')).toBe('+353875550101');
    expect(phoneInCountry('(01) 555-0142', 'IE')).toBe('+35315550142');
    expect(phoneInCountry('612 34 56 78', 'ES')).toBe('+34612345678');
    expect(phoneInCountry('06 12 34 56 78', 'FR')).toBe('+33612345678');
    // The same customer as the one WhatsApp verifies.
    expect(customerKeyOf({ phone: phoneInCountry('087 555 0101', 'IE') })).toBe(customerKeyOf({ phone: 'whatsapp:+353875550101'.slice('whatsapp:'.length) }));
  });

  it("keeps a number written with + as written, and reads 00… by the country's own international prefix", () => {
    expect(phoneInCountry(' +34 600 111 222 ', 'IE')).toBe('+34 600 111 222');
    expect(phoneInCountry('0034 600 111 222', 'IE')).toBe('+34600111222');
    // Australia dials out with 0011: "0011 34…" is a Spanish number, not +11 34… (found in review).
    expect(phoneInCountry('0011 34 600 111 222', 'AU')).toBe('+34600111222');
    expect(phoneInCountry('011 34 600 111 222', 'US')).toBe('+34600111222');
    // Without a country the 00 stays for customerKeyOf, which reads it as +.
    expect(customerKeyOf({ phone: phoneInCountry('0034 600 111 222', undefined) })).toBe('phone:+34600111222');
  });

  it('does not guess at a number the country does not know, or without a country', () => {
    // A Spanish mobile typed without +34 at an Irish clinic is not an Irish number.
    expect(phoneInCountry('600 111 222', 'IE')).toBe('600 111 222');
    expect(phoneInCountry('087 555 0101', undefined)).toBe('087 555 0101');
    expect(phoneInCountry('12345', 'IE')).toBe('12345');
  });
});

it("lists exactly libphonenumber's countries, which the knowledge base checks business.country against", () => {
  expect([...PHONE_COUNTRIES].sort()).toEqual([...getCountries()].sort());
});

describe('phoneToShow', () => {
  it('writes a local number the international way, spaced, and the same customer as its E.164 form', () => {
    expect(phoneToShow('087 123 4567', 'IE')).toBe('+353 87 123 4567');
    expect(customerKeyOf({ phone: phoneToShow('087 123 4567', 'IE') })).toBe('phone:+353871234567');
  });

  it('keeps what it cannot place, and what already has its country code, as written', () => {
    expect(phoneToShow(' +34 600 111 222 ', 'IE')).toBe('+34 600 111 222');
    expect(phoneToShow('600 111 222', 'IE')).toBe('600 111 222');
    expect(phoneToShow('087 123 4567', undefined)).toBe('087 123 4567');
  });
});

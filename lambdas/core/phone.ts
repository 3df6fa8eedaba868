/**
 * Phone numbers as people type them for a business: staff write a local customer's number the local way
 * ("087 555 0101" at a Dublin clinic), and so do customers in the chat. A number is one customer everywhere only in
 * international form (E.164, `+353875550101`): it is the key that finds their bookings (booking/service.ts
 * `customerKeyOf`), the number a text goes to, and what a WhatsApp or SMS message verifies. So a number written
 * without a country code is read in the business's country — its knowledge base's `business.country`, else the
 * country of the business's own phone number — and kept as written when that country does not know it.
 *
 * Validation uses libphonenumber's full metadata (`/max`): the smaller set accepts any number of the right length,
 * and a Spanish mobile typed at an Irish clinic without its +34 would be taken for an Irish number.
 */
import { parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';
import { PHONE_COUNTRIES } from './phone-countries';

export type { CountryCode };

/** A phone number as a person writes one: digits with spaces, dots, dashes or brackets, an optional leading +. */
export const PHONE_TEXT = /^\+?[0-9][0-9 ().-]{5,24}$/;

/** What a business tells about its country: an explicit ISO 3166 code, or its own phone number. */
export interface BusinessPhoneDetails {
  readonly phone: string;
  readonly country?: string | undefined;
}

/** The country local numbers are read in: `business.country`, else that of the business's phone when it is international. */
export function businessCountryOf(business: BusinessPhoneDetails): CountryCode | undefined {
  if (business.country !== undefined && PHONE_COUNTRIES.has(business.country)) return business.country as CountryCode;
  const own = parsePhoneNumberFromString(business.phone);
  return own?.isValid() ? own.country : undefined;
}

/**
 * The number in international form when it can be known: as written when it starts with + (spaces, dots, dashes and
 * brackets dropped), else read as a number of `country` (its trunk 0, its international prefix such as 00 or 0011)
 * when it is a valid one there. Otherwise the number as written (trimmed): a number the business cannot place is not
 * guessed at.
 */
export function phoneInCountry(phone: string, country: CountryCode | undefined): string {
  return localNumber(phone, country)?.number ?? phone.trim();
}

/**
 * A number written without + as a valid number of `country`, else undefined. 00… is read by the country's own
 * international prefix (0011 in Australia).
 */
function localNumber(phone: string, country: CountryCode | undefined): PhoneNumber | undefined {
  const written = phone.trim();
  if (written.replace(/[\s().-]/g, '').startsWith('+') || country === undefined) return undefined;
  const local = parsePhoneNumberFromString(written, country);
  return local?.isValid() ? local : undefined;
}

/**
 * A number to show and to call back on: as `phoneInCountry` reads it, written the international way with spaces
 * (`087 123 4567` at a Dublin clinic → `+353 87 123 4567`), so the customer sees which number will be called and it
 * keys the same customer (a privacy request finds it); a number written with its country code, or one the country
 * does not know, stays as written.
 */
export function phoneToShow(phone: string, country: CountryCode | undefined): string {
  return localNumber(phone, country)?.formatInternational() ?? phone.trim();
}

/** A customer's contact with its phone read in the business's country (`phoneInCountry`); the rest as given. */
export function contactInCountry<T extends { readonly phone?: string | undefined }>(contact: T, business: BusinessPhoneDetails): T {
  return contact.phone === undefined ? contact : { ...contact, phone: phoneInCountry(contact.phone, businessCountryOf(business)) };
}

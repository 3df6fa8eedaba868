/**
 * Digits in a message that are not a phone number: shared by the booking dialog's contact reading (nlu/entities.ts)
 * and the handoff's callback contact (handoff-text.ts). No imports: the handoff functions carry it without the NLU.
 */

/**
 * Dates and clock times: digits a phone pattern would take ("02.12.2026", "2026-12-02", "10am", "5.30 pm"), and
 * some of which are valid numbers somewhere (12.12.2026 is a Dublin number). Blanked out before numbers are looked
 * for; a number written with dots ("612.34.56.78") is not a date, its groups being part of a longer run.
 */
const DATE = /(?<![\d./-])(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})|\d{4}[./-]\d{1,2}[./-]\d{1,2})(?![./-]?\d)/g;
const CLOCK = /(?<![\d.])\d{1,2}(?:[:.]\d{2})?\s*[ap]\.?m\b\.?/gi;

/** The text with its dates and clock times replaced by " | ", so no phone number is read out of them. */
export function withoutDatesAndTimes(text: string): string {
  return text.replace(DATE, ' | ').replace(CLOCK, ' | ');
}

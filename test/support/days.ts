/**
 * Days for booking tests: the demo clinic is open Monday to Saturday, and a Tuesday-to-Friday day at least a few
 * days ahead is bookable whatever today is (no notice or Saturday-hours surprises).
 */

/** A weekday (Tue-Fri) at least `minDays` ahead in the time zone `tz` (the business's), as YYYY-MM-DD. */
export function futureWeekday(minDays: number, tz = 'Europe/Dublin'): string {
  for (let i = minDays; ; i++) {
    const d = new Date(Date.now() + i * 86_400_000);
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
    const weekday = new Date(`${day}T12:00:00Z`).getUTCDay();
    if (weekday >= 2 && weekday <= 5) return day;
  }
}

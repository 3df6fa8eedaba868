/**
 * The built-in calendar: the bookings themselves.
 *
 * This is honest, not a stub: the admin UI's calendar view reads the Booking
 * records (BookingStore.listBookings), and the slot locks written with each
 * booking are what makes a time busy. There is no second copy to keep in step,
 * so creating an "event" has nothing to write and deleting one has nothing to
 * remove — cancelling the booking (which releases its locks) is the deletion.
 * The returned id, `builtin:<bookingId>`, says where the event lives.
 */
import type { Calendar, CalendarEvent } from '../../core/booking/ports';

export class BuiltinCalendar implements Calendar {
  readonly provider = 'builtin' as const;

  /** The booking is the event: nothing to write. */
  async upsertEvent(event: CalendarEvent): Promise<{ eventId: string }> {
    return { eventId: `builtin:${event.bookingId}` };
  }

  /** The booking's own status change removes it from the calendar view: nothing to delete. */
  async deleteEvent(): Promise<void> {
    // Deliberately empty: see the module comment.
  }
}

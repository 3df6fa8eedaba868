import { useCallback, useMemo, useState } from 'react';
import { bookingsApi } from '../../api/bookings';
import { ErrorBanner } from '../../components/ErrorBanner';
import { Loading } from '../../components/Loading';
import { useSession } from '../../hooks/session';
import { useLoader } from '../../hooks/useLoader';
import { addDays, byDay, clockIn, dayIn, dayLabel, daysOf, rangeOf, type CalendarView } from './calendar';
import { StatusBadge, serviceName, staffName, type CalendarContext } from './parts';
import { BookingDetails } from './BookingDetails';
import { NewBookingForm } from './NewBookingForm';
import './bookings.css';

/** The bookings calendar (day and week views in the business's time zone), booking details, and manual bookings. Staff and admins. */
export function CalendarPage() {
  const { api } = useSession();
  const bookings = useMemo(() => bookingsApi(api), [api]);
  const loadContext = useCallback(
    async (signal: AbortSignal): Promise<CalendarContext> => {
      const [kb, settings] = await Promise.all([api.getKnowledge({ signal }), bookings.getSettings({ signal })]);
      return { kb, settings, timezone: kb.business.timezone };
    },
    [api, bookings],
  );
  const { data: context, error: contextError, reload: reloadContext } = useLoader(loadContext);

  return (
    <div className="bookings" data-testid="calendar-page">
      <div className="page-title-row">
        <h1 tabIndex={-1}>Calendar</h1>
      </div>
      {contextError !== undefined && (
        <ErrorBanner error={contextError} title="Could not load the calendar" testId="calendar-error">
          <button type="button" className="button button--secondary" onClick={reloadContext}>
            Try again
          </button>
        </ErrorBanner>
      )}
      {context === undefined ? contextError === undefined && <Loading label="Loading the calendar…" /> : <Calendar context={context} />}
    </div>
  );
}

function Calendar({ context }: { context: CalendarContext }) {
  const { api } = useSession();
  const bookings = useMemo(() => bookingsApi(api), [api]);
  const { kb, timezone } = context;
  const today = dayIn(new Date(), timezone);
  const [view, setView] = useState<CalendarView>('week');
  const [anchor, setAnchor] = useState(today);
  const [selected, setSelected] = useState<string>();
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string>();
  const range = useMemo(() => rangeOf(view, anchor), [view, anchor]);
  const load = useCallback((signal: AbortSignal) => bookings.list(range, { signal }), [bookings, range]);
  const { data, error, loading, reload } = useLoader(load);
  const days = daysOf(view, anchor);
  const grouped = useMemo(() => byDay(data?.items ?? [], timezone), [data, timezone]);
  const selectedBooking = data?.items.find((b) => b.bookingId === selected);
  const step = view === 'day' ? 1 : 7;
  const title = view === 'day' ? dayLabel(anchor) : `${dayLabel(days[0] ?? anchor)} – ${dayLabel(days[6] ?? anchor)}`;

  return (
    <>
      <p className="muted page-intro">
        Bookings in the business's time zone ({timezone}). Select a booking to see its details, cancel or move it.
      </p>
      <div className="bk-toolbar" role="toolbar" aria-label="Calendar view">
        <div className="bk-toolbar__group">
          <button type="button" className="button button--secondary" aria-pressed={view === 'day'} onClick={() => setView('day')} data-testid="calendar-view-day">
            Day
          </button>
          <button type="button" className="button button--secondary" aria-pressed={view === 'week'} onClick={() => setView('week')} data-testid="calendar-view-week">
            Week
          </button>
        </div>
        <div className="bk-toolbar__group">
          <button type="button" className="button button--secondary" onClick={() => setAnchor(addDays(anchor, -step))} data-testid="calendar-prev">
            {view === 'day' ? 'Previous day' : 'Previous week'}
          </button>
          <button type="button" className="button button--secondary" onClick={() => setAnchor(today)} data-testid="calendar-today">
            Today
          </button>
          <button type="button" className="button button--secondary" onClick={() => setAnchor(addDays(anchor, step))} data-testid="calendar-next">
            {view === 'day' ? 'Next day' : 'Next week'}
          </button>
        </div>
        <button type="button" className="button" onClick={() => setCreating(true)} data-testid="calendar-new-booking">
          New booking
        </button>
      </div>
      <h2 className="bk-range" aria-live="polite" data-testid="calendar-range">
        {title}
      </h2>
      <p role="status" className="muted" data-testid="calendar-notice">
        {notice ?? ''}
      </p>
      {error !== undefined && (
        <ErrorBanner error={error} title="Could not load the bookings" testId="calendar-bookings-error">
          <button type="button" className="button button--secondary" onClick={reload}>
            Try again
          </button>
        </ErrorBanner>
      )}
      <div className={`bk-grid bk-grid--${view}`} aria-busy={loading} data-testid={`calendar-${view}`}>
        {days.map((day) => {
          const list = grouped.get(day) ?? [];
          const headingId = `bk-day-${day}`;
          return (
            <section key={day} className={`bk-day${day === today ? ' bk-day--today' : ''}`} aria-labelledby={headingId} data-testid="calendar-day" data-day={day}>
              <h3 id={headingId} className="bk-day__title">
                {dayLabel(day)}
                {day === today && <span className="tag">Today</span>}
              </h3>
              {list.length === 0 ? (
                <p className="muted small">{data === undefined ? '…' : 'No bookings'}</p>
              ) : (
                <ul className="bk-day__list">
                  {list.map((b) => (
                    <li key={b.bookingId}>
                      <button
                        type="button"
                        className={`bk-item bk-item--${b.status}`}
                        onClick={() => setSelected(b.bookingId)}
                        data-testid="calendar-booking"
                        data-booking-id={b.bookingId}
                      >
                        <span className="bk-item__time">
                          {clockIn(b.start, timezone)}–{clockIn(b.end, timezone)}
                        </span>
                        <span className="bk-item__what">
                          {serviceName(kb, b.serviceId)}
                          {b.partySize !== undefined && <> · {b.partySize === 1 ? '1 person' : `${b.partySize} people`}</>}
                        </span>
                        <span className="bk-item__who">
                          {b.customer.name} · {staffName(kb, b.staffId)}
                        </span>
                        <StatusBadge status={b.status} />
                      </button>
                    </li>
                  ))}
                </ul>
              )}
            </section>
          );
        })}
      </div>
      {selectedBooking !== undefined && (
        <BookingDetails
          booking={selectedBooking}
          context={context}
          onClose={() => setSelected(undefined)}
          onChanged={(message, booking) => {
            setNotice(message);
            setSelected(booking.bookingId);
            reload();
          }}
        />
      )}
      {creating && (
        <NewBookingForm
          context={context}
          initialDate={anchor < today ? today : anchor}
          onClose={() => setCreating(false)}
          onBooked={(booking) => {
            setCreating(false);
            setNotice(`Booked ${serviceName(kb, booking.serviceId)} for ${booking.customer.name} on ${dayLabel(dayIn(booking.start, timezone))} at ${clockIn(booking.start, timezone)}.`);
            setView('week');
            setAnchor(dayIn(booking.start, timezone));
            reload();
          }}
        />
      )}
    </>
  );
}

import { useMemo, useState, type FormEvent } from 'react';
import { SlotRefusedError, activeBookingStatuses, bookingsApi, type Booking, type Slot } from '../../api/bookings';
import { ErrorBanner } from '../../components/ErrorBanner';
import { useSession } from '../../hooks/session';
import { useUnsavedChanges } from '../../hooks/useUnsavedChanges';
import { describeError, type ErrorView } from '../../lib/api-error';
import { formatDateTime, formatPrice } from '../../lib/format';
import { clockIn, dayIn, dayLabel, problemLabels } from './calendar';
import { cancelNotice, checkoutLinkNote } from './notices';
import { StatusBadge, serviceName, staffName, type CalendarContext } from './parts';
import { Dialog } from './Dialog';
import { SlotPicker, slotKey } from './SlotPicker';

const paymentLabels: Readonly<Record<Booking['payment']['status'], string>> = {
  none: 'No deposit',
  pending: 'Deposit due',
  paid: 'Deposit paid',
  refunded: 'Deposit refunded',
  failed: 'Deposit failed',
};

/** One booking: its details, and (while active) cancel with a confirmation step, or move it to another free time. */
export function BookingDetails({
  booking,
  context,
  onClose,
  onChanged,
}: {
  booking: Booking;
  context: CalendarContext;
  onClose: () => void;
  onChanged: (message: string, booking: Booking) => void;
}) {
  const { kb, timezone } = context;
  const [mode, setMode] = useState<'view' | 'cancel' | 'reschedule'>('view');
  const active = activeBookingStatuses.includes(booking.status);
  const when = `${dayLabel(dayIn(booking.start, timezone))}, ${clockIn(booking.start, timezone)}–${clockIn(booking.end, timezone)}`;

  return (
    <Dialog title={`${serviceName(kb, booking.serviceId)} · ${booking.customer.name}`} onClose={onClose} testId="booking-details">
      <dl className="details bk-details">
        <dt>When</dt>
        <dd data-testid="booking-when">{when}</dd>
        <dt>With</dt>
        <dd>{staffName(kb, booking.staffId)}</dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={booking.status} />
          {booking.statusReason !== undefined && booking.statusReason !== '' && <span className="muted"> {booking.statusReason}</span>}
        </dd>
        <dt>Customer</dt>
        <dd>
          {booking.customer.name}
          {booking.customer.phone !== undefined && <> · {booking.customer.phone}</>}
          {booking.customer.email !== undefined && <> · {booking.customer.email}</>}
        </dd>
        {booking.partySize !== undefined && (
          <>
            <dt>People</dt>
            <dd data-testid="booking-party">{booking.partySize === 1 ? '1 person' : `${booking.partySize} people`}</dd>
          </>
        )}
        <dt>Price</dt>
        <dd>
          {formatPrice(booking.priceCents, booking.currency)}
          {booking.depositCents > 0 && (
            <>
              {' '}
              · deposit {formatPrice(booking.depositCents, booking.currency)}: <span data-testid="booking-payment">{paymentLabels[booking.payment.status]}</span>
            </>
          )}
        </dd>
        {booking.payment.checkoutUrl !== undefined && (
          <>
            <dt>Payment link</dt>
            <dd>
              <a href={booking.payment.checkoutUrl} target="_blank" rel="noreferrer" data-testid="booking-checkout-url">
                {booking.payment.checkoutUrl}
              </a>{' '}
              <span className="muted">{checkoutLinkNote(booking)}</span>
            </dd>
          </>
        )}
        <dt>Booked</dt>
        <dd>
          {formatDateTime(booking.createdAt, { timeZone: timezone })} {booking.source === 'staff' ? 'by staff' : `through ${booking.channel}`}
        </dd>
      </dl>
      {mode === 'view' && active && (
        <div className="button-row">
          <button type="button" className="button button--secondary" onClick={() => setMode('reschedule')} data-testid="booking-reschedule">
            Move booking
          </button>
          <button type="button" className="button bk-danger" onClick={() => setMode('cancel')} data-testid="booking-cancel">
            Cancel booking
          </button>
        </div>
      )}
      {mode === 'cancel' && (
        <CancelStep
          booking={booking}
          onBack={() => setMode('view')}
          onDone={(b, refunded) => {
            setMode('view');
            onChanged(refunded ? 'Booking cancelled; the deposit was refunded.' : 'Booking cancelled.', b);
          }}
        />
      )}
      {mode === 'reschedule' && (
        <RescheduleStep
          booking={booking}
          context={context}
          onBack={() => setMode('view')}
          onDone={(b) => {
            setMode('view');
            onChanged(`Booking moved to ${dayLabel(dayIn(b.start, timezone))} at ${clockIn(b.start, timezone)}.`, b);
          }}
        />
      )}
    </Dialog>
  );
}

function CancelStep({ booking, onBack, onDone }: { booking: Booking; onBack: () => void; onDone: (booking: Booking, refunded: boolean) => void }) {
  const { api } = useSession();
  const bookings = useMemo(() => bookingsApi(api), [api]);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<ErrorView>();
  const [busy, setBusy] = useState(false);
  useUnsavedChanges(reason.trim() !== '');

  const confirm = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    try {
      const result = await bookings.cancel(booking.bookingId, reason.trim());
      onDone(result.booking, result.refunded);
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };

  return (
    <form className="bk-confirm" role="alertdialog" aria-labelledby="bk-cancel-title" aria-describedby="bk-cancel-notice" onSubmit={(e) => void confirm(e)}>
      <h3 id="bk-cancel-title">Cancel this booking?</h3>
      <p id="bk-cancel-notice" data-testid="booking-refund-notice">
        {cancelNotice(booking)}
      </p>
      <div className="field">
        <label htmlFor="bk-cancel-reason">Reason (kept with the booking)</label>
        <input id="bk-cancel-reason" type="text" maxLength={200} value={reason} onChange={(e) => setReason(e.target.value)} data-testid="booking-cancel-reason" />
      </div>
      {error !== undefined && <ErrorBanner error={error} title="Could not cancel" testId="booking-cancel-error" />}
      <div className="button-row">
        <button type="submit" className="button bk-danger" disabled={busy} data-testid="booking-cancel-confirm">
          {busy ? 'Cancelling…' : 'Yes, cancel the booking'}
        </button>
        <button type="button" className="button button--secondary" onClick={onBack}>
          Keep it
        </button>
      </div>
    </form>
  );
}

function RescheduleStep({ booking, context, onBack, onDone }: { booking: Booking; context: CalendarContext; onBack: () => void; onDone: (booking: Booking) => void }) {
  const { api } = useSession();
  const bookings = useMemo(() => bookingsApi(api), [api]);
  const { kb, timezone } = context;
  const [date, setDate] = useState(dayIn(booking.start, timezone));
  const [anyone, setAnyone] = useState(false);
  const [slots, setSlots] = useState<readonly Slot[]>();
  const [note, setNote] = useState<string>();
  const [chosen, setChosen] = useState<Slot>();
  const [error, setError] = useState<ErrorView>();
  const [busy, setBusy] = useState(false);
  useUnsavedChanges(chosen !== undefined);

  const find = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      const found = await bookings.availability({ serviceId: booking.serviceId, date, ...(anyone ? {} : { staffId: booking.staffId }) });
      setChosen(undefined);
      setSlots(found.slots.length > 0 ? found.slots : found.alternatives);
      setNote(found.slots.length > 0 ? undefined : `${found.problem !== undefined ? (problemLabels[found.problem] ?? found.problem) : 'No free time that day.'} The nearest free times:`);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const move = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (chosen === undefined) {
      setError({ message: 'Choose a free time first.', field: 'start' });
      return;
    }
    setBusy(true);
    try {
      onDone(await bookings.reschedule(booking.bookingId, { start: chosen.start, ...(chosen.staffId !== booking.staffId ? { staffId: chosen.staffId } : {}) }));
    } catch (err) {
      if (err instanceof SlotRefusedError && err.status === 409 && err.alternatives.length > 0) {
        setSlots(err.alternatives);
        setChosen(undefined);
        setNote('That time was just taken. The nearest free times:');
      }
      setError(describeError(err));
      setBusy(false);
    }
  };

  return (
    <form className="bk-confirm" aria-labelledby="bk-move-title" onSubmit={(e) => void move(e)}>
      <h3 id="bk-move-title">Move this booking</h3>
      <div className="bk-form__row">
        <div className="field">
          <label htmlFor="bk-move-date">New day</label>
          <input id="bk-move-date" type="date" value={date} onChange={(e) => setDate(e.target.value)} data-testid="booking-move-date" />
        </div>
        <label className="bk-check">
          <input type="checkbox" checked={anyone} onChange={(e) => setAnyone(e.target.checked)} /> Anyone who does this service
        </label>
      </div>
      <div className="button-row">
        <button type="button" className="button button--secondary" onClick={() => void find()} disabled={busy} data-testid="booking-move-find">
          Find free times
        </button>
      </div>
      <p role="status" className="muted">
        {note ?? (slots !== undefined && slots.length === 0 ? 'No free time.' : '')}
      </p>
      {slots !== undefined && slots.length > 0 && (
        <SlotPicker legend="Free times" slots={slots} kb={kb} timezone={timezone} value={chosen ? slotKey(chosen) : undefined} onChange={setChosen} />
      )}
      {error !== undefined && <ErrorBanner error={error} title="Could not move the booking" testId="booking-move-error" />}
      <div className="button-row">
        <button type="submit" className="button" disabled={busy || chosen === undefined} data-testid="booking-move-confirm">
          Move booking
        </button>
        <button type="button" className="button button--secondary" onClick={onBack}>
          Back
        </button>
      </div>
    </form>
  );
}

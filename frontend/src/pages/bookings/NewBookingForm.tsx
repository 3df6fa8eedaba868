import { useMemo, useState, type FormEvent } from 'react';
import { SlotRefusedError, bookingsApi, type Booking, type Slot } from '../../api/bookings';
import { ErrorBanner } from '../../components/ErrorBanner';
import { useSession } from '../../hooks/session';
import { useUnsavedChanges } from '../../hooks/useUnsavedChanges';
import { describeError, type ErrorView } from '../../lib/api-error';
import { formatDuration, formatPrice } from '../../lib/format';
import { problemLabels } from './calendar';
import type { CalendarContext } from './parts';
import { Dialog } from './Dialog';
import { SlotPicker, slotKey } from './SlotPicker';

/** A manual booking: service, staff (or anyone), day → free times → customer → book. */
export function NewBookingForm({
  context,
  initialDate,
  onClose,
  onBooked,
}: {
  context: CalendarContext;
  initialDate: string;
  onClose: () => void;
  onBooked: (booking: Booking) => void;
}) {
  const { api } = useSession();
  const bookings = useMemo(() => bookingsApi(api), [api]);
  const { kb, timezone } = context;
  const [serviceId, setServiceId] = useState(kb.services[0]?.id ?? '');
  const [staffId, setStaffId] = useState('');
  const [date, setDate] = useState(initialDate);
  const [slots, setSlots] = useState<readonly Slot[]>();
  const [slotNote, setSlotNote] = useState<string>();
  const [chosen, setChosen] = useState<Slot>();
  const [name, setName] = useState('');
  const [phone, setPhone] = useState('');
  const [email, setEmail] = useState('');
  /** How many people, as typed (empty: not said). */
  const [people, setPeople] = useState('');
  const [lang, setLang] = useState(kb.business.languages[0] ?? 'en');
  const [error, setError] = useState<ErrorView>();
  const [busy, setBusy] = useState(false);
  const service = kb.services.find((s) => s.id === serviceId);
  const staffForService = kb.staff.filter((m) => m.serviceIds.includes(serviceId));
  // A time chosen or a customer typed is work not yet booked: leaving the page, reloading or signing out asks first.
  useUnsavedChanges(chosen !== undefined || name.trim() !== '' || phone.trim() !== '' || email.trim() !== '');

  const resetSlots = (): void => {
    setSlots(undefined);
    setChosen(undefined);
    setSlotNote(undefined);
  };

  const findTimes = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      const found = await bookings.availability({ serviceId, date, ...(staffId !== '' ? { staffId } : {}) });
      setChosen(undefined);
      if (found.slots.length > 0) {
        setSlots(found.slots);
        setSlotNote(undefined);
      } else {
        setSlots(found.alternatives);
        const why = found.problem !== undefined ? (problemLabels[found.problem] ?? found.problem) : 'No free time that day.';
        setSlotNote(found.alternatives.length > 0 ? `${why} The nearest free times:` : why);
      }
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (chosen === undefined) {
      setError({ message: 'Choose a free time first.', field: 'start' });
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const booking = await bookings.create({
        serviceId: chosen.serviceId,
        staffId: chosen.staffId,
        start: chosen.start,
        customer: { name: name.trim(), ...(phone.trim() !== '' ? { phone: phone.trim() } : {}), ...(email.trim() !== '' ? { email: email.trim() } : {}) },
        // Sent as typed: the server checks it (a whole number 1-50) and names the field when it is not.
        ...(people.trim() !== '' ? { partySize: Number(people.trim()) } : {}),
        lang,
      });
      onBooked(booking);
    } catch (err) {
      if (err instanceof SlotRefusedError && err.status === 409) {
        setSlots(err.alternatives);
        setChosen(undefined);
        setSlotNote('That time was just taken. The nearest free times:');
      }
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title="New booking" onClose={onClose} testId="new-booking">
      <form className="bk-form" onSubmit={(e) => void submit(e)} noValidate>
        <div className="bk-form__row">
          <div className="field">
            <label htmlFor="nb-service">Service</label>
            <select
              id="nb-service"
              value={serviceId}
              onChange={(e) => {
                setServiceId(e.target.value);
                setStaffId('');
                resetSlots();
              }}
              data-testid="nb-service"
            >
              {kb.services.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
            {service !== undefined && (
              <span className="muted small" data-testid="nb-service-info">
                {formatDuration(service.durationMinutes)} · {formatPrice(service.priceCents, service.currency)}
                {service.depositCents > 0 ? ` · deposit ${formatPrice(service.depositCents, service.currency)} (a payment link goes to the customer's e-mail, else by SMS to their phone, and shows on the booking to pass on)` : ''}
              </span>
            )}
          </div>
          <div className="field">
            <label htmlFor="nb-staff">With</label>
            <select
              id="nb-staff"
              value={staffId}
              onChange={(e) => {
                setStaffId(e.target.value);
                resetSlots();
              }}
              data-testid="nb-staff"
            >
              <option value="">Anyone who does it</option>
              {staffForService.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="nb-date">Day</label>
            <input
              id="nb-date"
              type="date"
              required
              value={date}
              onChange={(e) => {
                setDate(e.target.value);
                resetSlots();
              }}
              data-testid="nb-date"
            />
          </div>
        </div>
        <div className="button-row">
          <button type="button" className="button button--secondary" onClick={() => void findTimes()} disabled={busy || serviceId === '' || date === ''} data-testid="nb-find">
            Find free times
          </button>
        </div>
        <p role="status" className="muted" data-testid="nb-slot-note">
          {slotNote ?? (slots !== undefined && slots.length === 0 ? 'No free time.' : '')}
        </p>
        {slots !== undefined && slots.length > 0 && (
          <SlotPicker legend="Free times" slots={slots} kb={kb} timezone={timezone} value={chosen ? slotKey(chosen) : undefined} onChange={setChosen} />
        )}
        <fieldset className="bk-customer">
          <legend>Customer</legend>
          <div className="field">
            <label htmlFor="nb-name">Name</label>
            <input id="nb-name" type="text" required maxLength={120} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} data-testid="nb-name" />
          </div>
          <div className="bk-form__row">
            <div className="field">
              <label htmlFor="nb-phone">Phone</label>
              <input id="nb-phone" type="tel" maxLength={26} autoComplete="off" value={phone} onChange={(e) => setPhone(e.target.value)} data-testid="nb-phone" />
            </div>
            <div className="field">
              <label htmlFor="nb-email">E-mail</label>
              <input id="nb-email" type="email" maxLength={254} autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} data-testid="nb-email" />
            </div>
            <div className="field">
              <label htmlFor="nb-party">People</label>
              <input
                id="nb-party"
                type="number"
                inputMode="numeric"
                min={1}
                max={50}
                step={1}
                placeholder="Not said"
                value={people}
                onChange={(e) => setPeople(e.target.value)}
                aria-invalid={error?.field === 'partySize' ? true : undefined}
                data-testid="nb-party"
              />
            </div>
            <div className="field">
              <label htmlFor="nb-lang">Language</label>
              <select id="nb-lang" value={lang} onChange={(e) => setLang(kb.business.languages.find((l) => l === e.target.value) ?? lang)} data-testid="nb-lang">
                {kb.business.languages.map((l) => (
                  <option key={l} value={l}>
                    {l}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <p className="muted small">A phone number or an e-mail address is needed for the confirmation and the reminder: by e-mail, else by SMS to the phone. A number without its country code (+…) is read as one of the business's country.</p>
        </fieldset>
        {error !== undefined && <ErrorBanner error={error} title="Could not book" testId="nb-error" />}
        <div className="button-row">
          <button type="submit" className="button" disabled={busy} data-testid="nb-submit">
            {busy ? 'Working…' : 'Book'}
          </button>
          <button type="button" className="button button--secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

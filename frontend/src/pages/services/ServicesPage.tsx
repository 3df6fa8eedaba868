import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { bookingsApi, type BookingException, type BookingSettings } from '../../api/bookings';
import { weekdays, type KnowledgeBase, type OpeningHours, type Service, type StaffMember, type Weekday } from '../../api/types';
import { ErrorBanner } from '../../components/ErrorBanner';
import { Loading } from '../../components/Loading';
import { useSession } from '../../hooks/session';
import { useUnsavedChanges } from '../../hooks/useUnsavedChanges';
import { describeError, type ErrorView } from '../../lib/api-error';
import { CatalogueConflict, catalogueOf, droppedExceptions, LANGUAGE_LABELS, namesWith, saveCatalogue, withoutStaff } from './save-catalogue';
import { weekdayLabels } from '../../lib/format';
import '../bookings/bookings.css';

const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** A lower-case id from a label, not among `taken`. */
export function idFrom(label: string, taken: ReadonlySet<string>, fallback: string): string {
  const base = label.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48) || fallback;
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  return id;
}

const toCents = (value: string): number => {
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? Math.round(n * 100) : 0;
};
const toInt = (value: string): number => {
  const n = Number(value);
  return Number.isFinite(n) ? Math.round(n) : 0;
};

interface Draft {
  readonly kb: KnowledgeBase;
  readonly settings: BookingSettings;
  /** The knowledge base as last read or saved: what the page's edits are made from. */
  readonly baseline: KnowledgeBase;
}

/** Admins only: services (duration, price, deposit, buffer), staff and their services, weekly hours, exceptions, and the booking policy. */
export function ServicesPage() {
  const { api } = useSession();
  const bookings = useMemo(() => bookingsApi(api), [api]);
  const [draft, setDraft] = useState<Draft>();
  const [loadError, setLoadError] = useState<ErrorView>();
  const [saveError, setSaveError] = useState<{ error: ErrorView; title: string }>();
  const [kbDirty, setKbDirty] = useState(false);
  const [settingsDirty, setSettingsDirty] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  /** Said after a save when the server left out exceptions of staff no longer on the team. */
  const [dropNote, setDropNote] = useState('');
  useUnsavedChanges(kbDirty || settingsDirty);

  const load = useCallback(async () => {
    try {
      const [kb, settings] = await Promise.all([api.getKnowledge(), bookings.getSettings()]);
      setDraft({ kb, settings, baseline: kb });
      setLoadError(undefined);
    } catch (err) {
      setLoadError(describeError(err));
    }
  }, [api, bookings]);
  useEffect(() => {
    void load();
  }, [load]);

  const editKb = (change: (kb: KnowledgeBase) => KnowledgeBase): void => {
    setDraft((d) => (d ? { ...d, kb: change(d.kb) } : d));
    setKbDirty(true);
    setSaved(false);
  };
  const editSettings = (change: (s: BookingSettings) => BookingSettings): void => {
    setDraft((d) => (d ? { ...d, settings: change(d.settings) } : d));
    setSettingsDirty(true);
    setSaved(false);
  };

  const save = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (!draft) return;
    setSaving(true);
    setSaved(false);
    setDropNote('');
    setSaveError(undefined);
    try {
      if (kbDirty) {
        try {
          const stored = await saveCatalogue(api, draft.baseline, draft.kb);
          setDraft((d) => (d ? { ...d, kb: { ...stored, ...catalogueOf(d.kb) }, baseline: stored } : d));
        } catch (err) {
          const error: ErrorView = err instanceof CatalogueConflict ? { message: err.message } : describeError(err);
          setSaveError({ error, title: 'Could not save services, staff and hours' });
          return;
        }
        setKbDirty(false);
      }
      if (settingsDirty) {
        try {
          const stored = await bookings.putSettings(draft.settings);
          setDraft((d) => (d ? { ...d, settings: stored } : d));
          const dropped = droppedExceptions(draft.settings, stored);
          if (dropped.length > 0) {
            setDropNote(`Time off of people no longer on the staff was removed: ${dropped.map((e) => `${e.staffId ?? ''} ${e.from}–${e.to}`).join(', ')}.`);
          }
        } catch (err) {
          setSaveError({ error: describeError(err), title: 'Could not save the exceptions and booking policy' });
          return;
        }
        setSettingsDirty(false);
      }
      setSaved(true);
    } finally {
      setSaving(false);
    }
  };

  return (
    <div className="services" data-testid="services-page">
      <h1 tabIndex={-1}>Services &amp; hours</h1>
      <p className="page-intro muted">
        What customers can book, with whom and when. Services, staff and weekly hours are part of the knowledge base (the concierge answers from
        them too); exceptions and the booking policy apply to bookings.
      </p>
      {loadError !== undefined && (
        <ErrorBanner error={loadError} title="Could not load services and hours" testId="services-error">
          <button type="button" className="button button--secondary" onClick={() => void load()}>
            Try again
          </button>
        </ErrorBanner>
      )}
      {draft === undefined ? (
        loadError === undefined && <Loading label="Loading services and hours…" />
      ) : (
        <form onSubmit={(e) => void save(e)} noValidate>
          <ServicesSection kb={draft.kb} settings={draft.settings} saved={draft.baseline} editKb={editKb} editSettings={editSettings} />
          <StaffSection kb={draft.kb} settings={draft.settings} saved={draft.baseline} editKb={editKb} editSettings={editSettings} />
          <HoursSection hours={draft.kb.hours} timezone={draft.kb.business.timezone} editKb={editKb} />
          <ExceptionsSection kb={draft.kb} settings={draft.settings} editSettings={editSettings} />
          <PolicySection settings={draft.settings} editSettings={editSettings} />
          {saveError !== undefined && <ErrorBanner error={saveError.error} title={saveError.title} testId="services-save-error" />}
          <div className="button-row">
            <button type="submit" className="button" disabled={saving || (!kbDirty && !settingsDirty)} data-testid="services-save">
              {saving ? 'Saving…' : 'Save changes'}
            </button>
            <span role="status" className="muted" data-testid="services-saved">
              {saved ? `Saved.${dropNote !== '' ? ` ${dropNote}` : ''}` : kbDirty || settingsDirty ? 'Unsaved changes.' : ''}
            </span>
          </div>
        </form>
      )}
    </div>
  );
}

type EditKb = (change: (kb: KnowledgeBase) => KnowledgeBase) => void;
type EditSettings = (change: (s: BookingSettings) => BookingSettings) => void;

/** What the services and staff sections edit. */
interface SectionProps {
  kb: KnowledgeBase;
  settings: BookingSettings;
  /** The knowledge base as saved: an item not in it is new, and its id may still be changed. */
  saved: KnowledgeBase;
  editKb: EditKb;
  editSettings: EditSettings;
}

function ServicesSection({ kb, settings, saved, editKb, editSettings }: SectionProps) {
  const savedIds = new Set(saved.services.map((s) => s.id));
  // A service's name is written in the business's first language; it may have its own in each of the others.
  const otherLanguages = kb.business.languages.slice(1);
  /**
   * A new service's id as typed: staff who do it, and its buffer, follow the rename, unless another service carries
   * that id too (typing "cleaning-deep" passes through "cleaning", an existing service whose staff must stay put).
   */
  const rename = (index: number, from: string, to: string): void => {
    const shared = kb.services.some((x, j) => j !== index && x.id === from);
    editKb((k) => ({
      ...k,
      services: k.services.map((x, j) => (j === index ? { ...x, id: to } : x)),
      staff: shared ? k.staff : k.staff.map((m) => ({ ...m, serviceIds: m.serviceIds.map((x) => (x === from ? to : x)) })),
    }));
    if (shared) return;
    editSettings((s) => {
      const minutes = s.bufferMinutes[from];
      if (minutes === undefined) return s;
      const rest = Object.fromEntries(Object.entries(s.bufferMinutes).filter(([k]) => k !== from));
      return { ...s, bufferMinutes: { ...rest, [to]: minutes } };
    });
  };
  const update = (id: string, patch: Partial<Service>): void => editKb((k) => ({ ...k, services: k.services.map((s) => (s.id === id ? { ...s, ...patch } : s)) }));
  const remove = (id: string): void => {
    editKb((k) => ({ ...k, services: k.services.filter((s) => s.id !== id), staff: k.staff.map((m) => ({ ...m, serviceIds: m.serviceIds.filter((x) => x !== id) })) }));
    editSettings((s) => ({ ...s, bufferMinutes: Object.fromEntries(Object.entries(s.bufferMinutes).filter(([k]) => k !== id)) }));
  };
  const add = (): void => {
    const id = idFrom('new service', new Set(kb.services.map((s) => s.id)), 'service');
    editKb((k) => ({
      ...k,
      services: [...k.services, { id, name: '', durationMinutes: 30, priceCents: 0, currency: k.services[0]?.currency ?? 'EUR', depositCents: 0, description: '' }],
    }));
  };
  /** Empty: no limit of its own (the field goes, so a knowledge base without it stays as it was). */
  const setMaxParty = (id: string, value: string): void =>
    editKb((k) => ({
      ...k,
      services: k.services.map((s) => {
        if (s.id !== id) return s;
        const { maxPartySize: _old, ...rest } = s;
        return value.trim() === '' ? rest : { ...rest, maxPartySize: toInt(value) };
      }),
    }));
  const setBuffer = (id: string, minutes: number): void =>
    editSettings((s) => {
      const rest = Object.fromEntries(Object.entries(s.bufferMinutes).filter(([k]) => k !== id));
      return { ...s, bufferMinutes: minutes > 0 ? { ...rest, [id]: minutes } : rest };
    });

  return (
    <section className="card" aria-labelledby="svc-title" data-testid="services-services">
      <h2 id="svc-title" className="card__title">
        Services
      </h2>
      <div className="table-scroll">
        <table className="table table--compact">
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Name</th>
              {otherLanguages.map((l) => (
                <th key={l} scope="col">
                  Name in {LANGUAGE_LABELS[l]}
                </th>
              ))}
              <th scope="col">Duration (min)</th>
              <th scope="col">Price</th>
              <th scope="col">Deposit</th>
              <th scope="col">Buffer after (min)</th>
              <th scope="col" title="The largest party the concierge books online; a bigger group is offered a person. Empty: up to 50.">
                Max. people online
              </th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {kb.services.map((s, i) => (
              <tr key={i} data-testid="service-row">
                <td>
                  {!savedIds.has(s.id) || kb.services.findIndex((x) => x.id === s.id) !== i ? (
                    <input aria-label={`Id of service ${i + 1}`} value={s.id} pattern={ID_PATTERN.source} onChange={(e) => rename(i, s.id, e.target.value.toLowerCase())} />
                  ) : (
                    <code>{s.id}</code>
                  )}
                </td>
                <td>
                  <input aria-label={`Name of service ${i + 1}`} value={s.name} maxLength={120} onChange={(e) => update(s.id, { name: e.target.value })} />
                </td>
                {otherLanguages.map((l) => (
                  <td key={l}>
                    <input
                      aria-label={`Name of service ${i + 1} in ${LANGUAGE_LABELS[l]}`}
                      value={s.names?.[l] ?? ''}
                      placeholder={s.name}
                      maxLength={120}
                      onChange={(e) => update(s.id, { names: namesWith(s.names, l, e.target.value) })}
                    />
                  </td>
                ))}
                <td>
                  <input aria-label={`Duration of ${s.name || `service ${i + 1}`}, minutes`} type="number" min={5} max={1440} step={5} value={s.durationMinutes} onChange={(e) => update(s.id, { durationMinutes: toInt(e.target.value) })} />
                </td>
                <td>
                  <input aria-label={`Price of ${s.name || `service ${i + 1}`}, ${s.currency}`} type="number" min={0} step={0.01} value={s.priceCents / 100} onChange={(e) => update(s.id, { priceCents: toCents(e.target.value) })} />
                </td>
                <td>
                  <input aria-label={`Deposit for ${s.name || `service ${i + 1}`}, ${s.currency}`} type="number" min={0} step={0.01} value={s.depositCents / 100} onChange={(e) => update(s.id, { depositCents: toCents(e.target.value) })} />
                </td>
                <td>
                  <input aria-label={`Buffer after ${s.name || `service ${i + 1}`}, minutes`} type="number" min={0} max={240} step={5} value={settings.bufferMinutes[s.id] ?? 0} onChange={(e) => setBuffer(s.id, toInt(e.target.value))} />
                </td>
                <td>
                  <input
                    aria-label={`Largest party booked online for ${s.name || `service ${i + 1}`}`}
                    type="number"
                    min={1}
                    max={50}
                    step={1}
                    placeholder="50"
                    value={s.maxPartySize ?? ''}
                    onChange={(e) => setMaxParty(s.id, e.target.value)}
                  />
                </td>
                <td>
                  <button type="button" className="button button--secondary" onClick={() => remove(s.id)}>
                    Remove<span className="visually-hidden"> {s.name || `service ${i + 1}`}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="button-row">
        <button type="button" className="button button--secondary" onClick={add} data-testid="service-add">
          Add a service
        </button>
      </div>
    </section>
  );
}

function StaffSection({ kb, settings, saved, editKb, editSettings }: SectionProps) {
  const savedIds = new Set(saved.staff.map((m) => m.id));
  const update = (index: number, patch: Partial<StaffMember>): void => editKb((k) => ({ ...k, staff: k.staff.map((m, j) => (j === index ? { ...m, ...patch } : m)) }));
  /** A new member's id as typed: their time off follows, unless another member carries that id too. */
  const rename = (index: number, from: string, to: string): void => {
    update(index, { id: to });
    if (kb.staff.some((x, j) => j !== index && x.id === from) || !settings.exceptions.some((e) => e.staffId === from)) return;
    editSettings((s) => ({ ...s, exceptions: s.exceptions.map((e) => (e.staffId === from ? { ...e, staffId: to } : e)) }));
  };
  /** Removing a member removes their time off too (in the same save), unless another member carries their id. */
  const remove = (index: number, id: string): void => {
    editKb((k) => ({ ...k, staff: k.staff.filter((_, j) => j !== index) }));
    if (kb.staff.some((x, j) => j !== index && x.id === id) || !settings.exceptions.some((e) => e.staffId === id)) return;
    editSettings((s) => withoutStaff(s, id));
  };
  const add = (): void => {
    const id = idFrom('new staff', new Set(kb.staff.map((m) => m.id)), 'staff');
    editKb((k) => ({ ...k, staff: [...k.staff, { id, name: '', role: '', serviceIds: [] }] }));
  };
  return (
    <section className="card" aria-labelledby="staff-title" data-testid="services-staff">
      <h2 id="staff-title" className="card__title">
        Staff
      </h2>
      {kb.staff.length === 0 && <p className="muted">No staff yet: nobody can be booked.</p>}
      {kb.staff.map((m, i) => (
        <fieldset key={i} data-testid="staff-row">
          <legend>{m.name || `Staff member ${i + 1}`}</legend>
          <div className="bk-form__row">
            {(!savedIds.has(m.id) || kb.staff.findIndex((x) => x.id === m.id) !== i) && (
              <div className="field">
                <label htmlFor={`staff-id-${i}`}>Id</label>
                <input id={`staff-id-${i}`} value={m.id} onChange={(e) => rename(i, m.id, e.target.value.toLowerCase())} />
              </div>
            )}
            <div className="field">
              <label htmlFor={`staff-name-${i}`}>Name</label>
              <input id={`staff-name-${i}`} value={m.name} maxLength={120} onChange={(e) => update(i, { name: e.target.value })} />
            </div>
            <div className="field">
              <label htmlFor={`staff-role-${i}`}>Role</label>
              <input id={`staff-role-${i}`} value={m.role} maxLength={120} onChange={(e) => update(i, { role: e.target.value })} />
            </div>
          </div>
          <fieldset>
            <legend>Services {m.name || `staff member ${i + 1}`} does</legend>
            <div className="checks">
              {kb.services.map((s) => (
                <label key={s.id} className="bk-check">
                  <input
                    type="checkbox"
                    checked={m.serviceIds.includes(s.id)}
                    onChange={(e) => update(i, { serviceIds: e.target.checked ? [...m.serviceIds, s.id] : m.serviceIds.filter((x) => x !== s.id) })}
                  />
                  {s.name || s.id}
                </label>
              ))}
            </div>
          </fieldset>
          <button type="button" className="button button--secondary" onClick={() => remove(i, m.id)}>
            Remove {m.name || `staff member ${i + 1}`}
          </button>
        </fieldset>
      ))}
      <div className="button-row">
        <button type="button" className="button button--secondary" onClick={add} data-testid="staff-add">
          Add a staff member
        </button>
      </div>
    </section>
  );
}

function HoursSection({ hours, timezone, editKb }: { hours: readonly OpeningHours[]; timezone: string; editKb: EditKb }) {
  const setHours = (next: OpeningHours[]): void => editKb((k) => ({ ...k, hours: next }));
  const indexed = hours.map((h, index) => ({ ...h, index }));
  const updateAt = (index: number, patch: Partial<OpeningHours>): void => setHours(hours.map((h, j) => (j === index ? { ...h, ...patch } : h)));
  const addFor = (day: Weekday): void => setHours([...hours, { day, open: '09:00', close: '17:00' }]);
  return (
    <section className="card" aria-labelledby="hours-title" data-testid="services-hours">
      <h2 id="hours-title" className="card__title">
        Weekly hours
      </h2>
      <p className="muted small">In the business's time zone, {timezone}.</p>
      {weekdays.map((day) => {
        const ranges = indexed.filter((h) => h.day === day).sort((a, b) => a.open.localeCompare(b.open));
        const label = weekdayLabels[day];
        return (
          <div key={day} className="hours-day" data-testid="hours-day" data-day={day}>
            <span className="hours-day__name">{label}</span>
            {ranges.length === 0 && <span className="muted">Closed</span>}
            {ranges.map((h, n) => (
              <span key={h.index} className="hours-range">
                <input type="time" aria-label={`${label} opens (${n + 1})`} value={h.open} onChange={(e) => updateAt(h.index, { open: e.target.value })} />
                <span aria-hidden="true">–</span>
                <input type="time" aria-label={`${label} closes (${n + 1})`} value={h.close} onChange={(e) => updateAt(h.index, { close: e.target.value })} />
                <button type="button" className="button button--secondary" onClick={() => setHours(hours.filter((_, j) => j !== h.index))}>
                  Remove<span className="visually-hidden">
                    {' '}
                    {label} {h.open}–{h.close}
                  </span>
                </button>
              </span>
            ))}
            <button type="button" className="button button--secondary" onClick={() => addFor(day)}>
              Add hours<span className="visually-hidden"> on {label}</span>
            </button>
          </div>
        );
      })}
    </section>
  );
}

function ExceptionsSection({ kb, settings, editSettings }: { kb: KnowledgeBase; settings: BookingSettings; editSettings: EditSettings }) {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [staffId, setStaffId] = useState('');
  const [allDay, setAllDay] = useState(true);
  const [open, setOpen] = useState('10:00');
  const [close, setClose] = useState('14:00');
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string>();
  const who = (e: BookingException): string =>
    e.staffId === undefined ? 'Whole business' : (kb.staff.find((m) => m.id === e.staffId)?.name ?? `${e.staffId} (no longer on the staff)`);

  const add = (): void => {
    const last = to === '' ? from : to;
    if (from === '') return setProblem('Give the first day.');
    if (last < from) return setProblem('The last day must not be before the first.');
    if (!allDay && !(open < close)) return setProblem('Opening must be before closing.');
    setProblem(undefined);
    const id = idFrom(reason || `closed-${from}`, new Set(settings.exceptions.map((e) => e.id)), 'exception').slice(0, 64);
    const exception: BookingException = {
      id,
      from,
      to: last,
      reason: reason.trim(),
      ...(staffId !== '' ? { staffId } : {}),
      ...(allDay ? {} : { open, close }),
    };
    editSettings((s) => ({ ...s, exceptions: [...s.exceptions, exception].sort((a, b) => a.from.localeCompare(b.from)) }));
    setFrom('');
    setTo('');
    setReason('');
  };

  return (
    <section className="card" aria-labelledby="exc-title" data-testid="services-exceptions">
      <h2 id="exc-title" className="card__title">
        Exceptions: holidays and time off
      </h2>
      {settings.exceptions.length === 0 ? (
        <p className="muted">No exceptions: the weekly hours apply every week.</p>
      ) : (
        <div className="table-scroll">
          <table className="table table--compact">
            <thead>
              <tr>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">Who</th>
                <th scope="col">Hours</th>
                <th scope="col">Reason</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {settings.exceptions.map((e) => (
                <tr key={e.id} data-testid="exception-row">
                  <td>{e.from}</td>
                  <td>{e.to}</td>
                  <td>{who(e)}</td>
                  <td>{e.open !== undefined && e.close !== undefined ? `Open ${e.open}–${e.close}` : 'Closed'}</td>
                  <td>{e.reason}</td>
                  <td>
                    <button type="button" className="button button--secondary" onClick={() => editSettings((s) => ({ ...s, exceptions: s.exceptions.filter((x) => x.id !== e.id) }))}>
                      Remove<span className="visually-hidden"> exception {e.reason || e.from}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <fieldset data-testid="exception-form">
        <legend>Add an exception</legend>
        <div className="bk-form__row">
          <div className="field">
            <label htmlFor="exc-from">First day</label>
            <input id="exc-from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} data-testid="exception-from" />
          </div>
          <div className="field">
            <label htmlFor="exc-to">Last day (blank: the same day)</label>
            <input id="exc-to" type="date" value={to} onChange={(e) => setTo(e.target.value)} data-testid="exception-to" />
          </div>
          <div className="field">
            <label htmlFor="exc-who">Who</label>
            <select id="exc-who" value={staffId} onChange={(e) => setStaffId(e.target.value)} data-testid="exception-who">
              <option value="">Whole business</option>
              {kb.staff.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name}
                </option>
              ))}
            </select>
          </div>
        </div>
        <div className="bk-form__row">
          <label className="bk-check">
            <input type="checkbox" checked={allDay} onChange={(e) => setAllDay(e.target.checked)} data-testid="exception-closed" /> Closed all day
          </label>
          {!allDay && (
            <>
              <div className="field">
                <label htmlFor="exc-open">Opens</label>
                <input id="exc-open" type="time" value={open} onChange={(e) => setOpen(e.target.value)} />
              </div>
              <div className="field">
                <label htmlFor="exc-close">Closes</label>
                <input id="exc-close" type="time" value={close} onChange={(e) => setClose(e.target.value)} />
              </div>
            </>
          )}
        </div>
        <div className="field">
          <label htmlFor="exc-reason">Reason</label>
          <input id="exc-reason" type="text" maxLength={200} value={reason} onChange={(e) => setReason(e.target.value)} data-testid="exception-reason" />
        </div>
        {problem !== undefined && (
          <p className="alert alert--error" role="alert">
            {problem}
          </p>
        )}
        <button type="button" className="button button--secondary" onClick={add} data-testid="exception-add">
          Add exception
        </button>
      </fieldset>
    </section>
  );
}

const policyFields: readonly { key: Exclude<keyof BookingSettings, 'bufferMinutes' | 'exceptions' | 'refundDepositOnCancel'>; label: string; min: number; max: number; step: number }[] = [
  { key: 'slotStepMinutes', label: 'Offer a start every (minutes)', min: 15, max: 240, step: 15 },
  { key: 'minNoticeMinutes', label: 'Minimum notice (minutes)', min: 0, max: 10080, step: 15 },
  { key: 'maxDaysAhead', label: 'Book at most this many days ahead', min: 1, max: 365, step: 1 },
  { key: 'holdMinutes', label: 'Hold an unconfirmed slot for (minutes)', min: 1, max: 120, step: 1 },
  { key: 'paymentTimeoutMinutes', label: 'Time to pay a deposit (minutes)', min: 1, max: 1440, step: 1 },
  { key: 'cancellationNoticeHours', label: 'Customers cancel at least (hours before)', min: 0, max: 336, step: 1 },
  { key: 'reminderHoursBefore', label: 'Reminder (hours before; 0: none)', min: 0, max: 336, step: 1 },
];

function PolicySection({ settings, editSettings }: { settings: BookingSettings; editSettings: EditSettings }) {
  return (
    <section className="card" aria-labelledby="policy-title" data-testid="services-policy">
      <h2 id="policy-title" className="card__title">
        Booking policy
      </h2>
      <div className="policy">
        {policyFields.map((f) => (
          <div className="field" key={f.key}>
            <label htmlFor={`policy-${f.key}`}>{f.label}</label>
            <input
              id={`policy-${f.key}`}
              type="number"
              min={f.min}
              max={f.max}
              step={f.step}
              value={settings[f.key]}
              onChange={(e) => editSettings((s) => ({ ...s, [f.key]: toInt(e.target.value) }))}
              data-testid={`policy-${f.key}`}
            />
          </div>
        ))}
      </div>
      <label className="bk-check">
        <input type="checkbox" checked={settings.refundDepositOnCancel} onChange={(e) => editSettings((s) => ({ ...s, refundDepositOnCancel: e.target.checked }))} /> Refund the
        deposit when a booking is cancelled in time
      </label>
    </section>
  );
}

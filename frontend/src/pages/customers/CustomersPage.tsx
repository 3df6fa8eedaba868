import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { Loading } from '../../components/Loading';
import { useSession } from '../../hooks/session';
import { useUnsavedChanges } from '../../hooks/useUnsavedChanges';
import { ApiError, describeError, type ErrorView } from '../../lib/api-error';
import { customerKeyFromInput, privacyApi, type CustomerErasure, type CustomerSummary } from './privacy-api';
import './customers.css';
import { jsonDownload, saveDownload } from '../../lib/download';

/** Readable names of the stores a customer's data is counted in (server: core/privacy/ports.ts). */
const STORE_LABELS: Readonly<Record<string, string>> = {
  conversations: 'Conversations',
  messages: 'Messages',
  handoffs: 'Handoffs',
  transitions: 'Handoff history',
  deliveries: 'Channel deliveries',
  bookings: 'Bookings',
  payments: 'Checkouts and refunds',
  emails: 'E-mails',
  channelOutbox: 'Channel outbox messages',
  channelFailures: 'Failed deliveries',
  followUps: 'Follow-ups',
  inbox: 'Inbox entries',
  optOuts: 'SMS opt-outs',
  identities: 'Channel identities',
  visitors: 'Visitor records',
  customerRecords: 'Customer records',
  conversationInternals: 'Other conversation records',
  knowledgeGaps: 'Knowledge-gap samples',
};

/** Admins only: find a customer, download everything we hold about them, erase it; and the retention period. */
export function CustomersPage() {
  return (
    <div className="customers" data-testid="customers-page">
      <h1 tabIndex={-1}>Customers &amp; privacy</h1>
      <p className="page-intro muted">
        Answer a customer&apos;s data request: find them by phone or e-mail (or a channel identity such as <code>whatsapp:+34…</code>), download
        everything held about them, or erase it. Exports and erasures are recorded in the audit log.
      </p>
      <CustomerRequest />
      <RetentionForm />
    </div>
  );
}

function CustomerRequest() {
  const { api } = useSession();
  const privacy = useMemo(() => privacyApi(api), [api]);
  const [query, setQuery] = useState('');
  const [customer, setCustomer] = useState<CustomerSummary>();
  const [notFound, setNotFound] = useState<string>();
  const [error, setError] = useState<ErrorView>();
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [confirmation, setConfirmation] = useState('');
  const [erased, setErased] = useState<CustomerErasure>();

  const find = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const key = customerKeyFromInput(query);
    setBusy(true);
    setError(undefined);
    setNotFound(undefined);
    setCustomer(undefined);
    setConfirming(false);
    setErased(undefined);
    try {
      setCustomer(await privacy.find(key));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setNotFound(key);
      else setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const download = async (): Promise<void> => {
    if (!customer) return;
    setBusy(true);
    setError(undefined);
    try {
      const data = await privacy.exportData(customer.customerKey);
      saveDownload(jsonDownload(data, `customer-${customer.customerRef.slice(0, 12)}.json`));
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const erase = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (!customer || confirmation !== customer.customerKey) return;
    setBusy(true);
    setError(undefined);
    try {
      setErased(await privacy.erase(customer.customerKey));
      setCustomer(undefined);
      setConfirming(false);
      setConfirmation('');
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const held = customer ? Object.entries(customer.counts).filter(([, n]) => n > 0) : [];
  return (
    <section className="card customers__request" aria-labelledby="customers-find-heading">
      <h2 id="customers-find-heading">Find a customer</h2>
      <form className="button-row" onSubmit={(e) => void find(e)}>
        <div className="field">
          <label htmlFor="customer-query">Phone, e-mail or channel identity</label>
          <input id="customer-query" value={query} onChange={(e) => setQuery(e.target.value)} required maxLength={300} placeholder="+34 600 111 222" data-testid="customer-query" />
        </div>
        <button type="submit" className="button" disabled={busy || query.trim() === ''} data-testid="customer-find">
          Find
        </button>
      </form>
      {error !== undefined && <ErrorBanner error={error} title="The request failed" testId="customers-error" />}
      {notFound !== undefined && (
        <p role="status" data-testid="customer-not-found">
          No data is held about <code>{notFound}</code>.
        </p>
      )}
      {erased !== undefined && (
        <p role="status" className="alert" data-testid="customer-erased">
          Erased: {Object.values(erased.counts).reduce((a, b) => a + b, 0)} records (bookings kept, anonymised). Reference {erased.customerRef.slice(0, 12)}.
        </p>
      )}
      {customer !== undefined && (
        <div data-testid="customer-summary" data-customer-key={customer.customerKey}>
          <h3>
            <code>{customer.customerKey}</code>
          </h3>
          {(customer.customerKeys ?? []).some((k) => k !== customer.customerKey) && (
            <p className="muted small" data-testid="customer-keys">
              Also found under: {(customer.customerKeys ?? []).filter((k) => k !== customer.customerKey).join(', ')} (contacts given together, erased together)
            </p>
          )}
          {customer.identities.length > 0 && <p className="muted small">Identities: {customer.identities.join(', ')}</p>}
          <table className="table">
            <caption className="muted small">What we hold</caption>
            <thead>
              <tr>
                <th scope="col">Records</th>
                <th scope="col">Count</th>
              </tr>
            </thead>
            <tbody>
              {held.map(([store, n]) => (
                <tr key={store} data-testid="customer-count" data-store={store}>
                  <td>{STORE_LABELS[store] ?? store}</td>
                  <td>{n}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="button-row">
            <button type="button" className="button" disabled={busy} onClick={() => void download()} data-testid="customer-download">
              Download data (JSON)
            </button>
            <button type="button" className="button button--danger" disabled={busy} onClick={() => setConfirming(true)} data-testid="customer-erase">
              Erase…
            </button>
          </div>
          {confirming && (
            <form className="card" onSubmit={(e) => void erase(e)} data-testid="customer-erase-form">
              <p>
                This deletes every conversation, message and record of this customer, and anonymises their bookings. It cannot be undone. Type{' '}
                <code>{customer.customerKey}</code> to confirm.
              </p>
              <div className="field">
                <label htmlFor="customer-confirm">Customer to erase</label>
                <input id="customer-confirm" value={confirmation} onChange={(e) => setConfirmation(e.target.value)} autoComplete="off" data-testid="customer-confirm" />
              </div>
              <div className="button-row">
                <button type="submit" className="button button--danger" disabled={busy || confirmation !== customer.customerKey} data-testid="customer-erase-confirm">
                  Erase permanently
                </button>
                <button type="button" className="button button--secondary" onClick={() => setConfirming(false)}>
                  Cancel
                </button>
              </div>
            </form>
          )}
        </div>
      )}
    </section>
  );
}

function RetentionForm() {
  const { api } = useSession();
  const privacy = useMemo(() => privacyApi(api), [api]);
  const [days, setDays] = useState<string>();
  /** The period as loaded or saved: a different one typed is unsaved. */
  const [storedDays, setStoredDays] = useState<string>();
  const [error, setError] = useState<ErrorView>();
  const [saved, setSaved] = useState(false);
  const [saving, setSaving] = useState(false);
  useUnsavedChanges(days !== undefined && storedDays !== undefined && days.trim() !== storedDays);

  const load = useCallback(async () => {
    try {
      const settings = await privacy.getSettings();
      setDays(settings.retentionDays === null ? '' : String(settings.retentionDays));
      setStoredDays(settings.retentionDays === null ? '' : String(settings.retentionDays));
    } catch (err) {
      setError(describeError(err));
    }
  }, [privacy]);
  useEffect(() => {
    void load();
  }, [load]);

  const save = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setSaving(true);
    setSaved(false);
    try {
      const stored = await privacy.putSettings({ retentionDays: days === undefined || days.trim() === '' ? null : Number(days) });
      setDays(stored.retentionDays === null ? '' : String(stored.retentionDays));
      setStoredDays(stored.retentionDays === null ? '' : String(stored.retentionDays));
      setError(undefined);
      setSaved(true);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <section className="card customers__retention" aria-labelledby="retention-heading">
      <h2 id="retention-heading">Retention</h2>
      <p className="muted">
        Conversations are deleted this many days after their last message (7 to 3650). Leave it empty to keep them. Bookings are kept.
      </p>
      {error !== undefined && <ErrorBanner error={error} title="Could not save the retention period" testId="retention-error" />}
      {days === undefined ? (
        error === undefined && <Loading label="Loading the retention period…" />
      ) : (
        <form className="button-row" onSubmit={(e) => void save(e)}>
          <div className="field">
            <label htmlFor="retention-days">Delete conversations after (days)</label>
            <input
              id="retention-days"
              type="number"
              min={7}
              max={3650}
              value={days}
              onChange={(e) => {
                setDays(e.target.value);
                setSaved(false);
              }}
              data-testid="retention-days"
            />
          </div>
          <button type="submit" className="button" disabled={saving} data-testid="retention-save">
            Save
          </button>
          <span role="status" className="muted" data-testid="retention-saved">
            {saved ? 'Saved' : ''}
          </span>
        </form>
      )}
    </section>
  );
}

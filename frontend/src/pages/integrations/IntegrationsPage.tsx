import { useCallback, useMemo, useState, type FormEvent } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { Loading } from '../../components/Loading';
import { useSession } from '../../hooks/session';
import { useLoader } from '../../hooks/useLoader';
import { useUnsavedChanges } from '../../hooks/useUnsavedChanges';
import { describeError, type ErrorView } from '../../lib/api-error';
import { formatDateTime } from '../../lib/format';
import { Dialog } from '../bookings/Dialog';
import { integrationsApi, type IntegrationSummary } from './integrations-api';
import { bodyFrom, prefillFrom, providerSpecs, statusLine, templatesToRetype, type ProviderSpec } from './providers';
import '../bookings/bookings.css';
import './integrations.css';

/**
 * Admins only: the business's own credentials for Stripe, Twilio, Meta and calendars. One card per provider
 * with its status (configured or not, non-secret hints, when and by whom), a form to set or replace the
 * credentials — secret fields are password inputs, never pre-filled: the server never sends a secret back; the
 * others start as saved, so replacing a token keeps the sender numbers and template SIDs —
 * and a remove button with a confirmation.
 */
export function IntegrationsPage() {
  const { api } = useSession();
  const integrations = useMemo(() => integrationsApi(api), [api]);
  const load = useCallback((signal: AbortSignal) => integrations.list({ signal }), [integrations]);
  const { data, error, reload } = useLoader(load);
  const byProvider = useMemo(() => new Map((data ?? []).map((s) => [s.provider, s])), [data]);

  return (
    <div className="integrations" data-testid="integrations-page">
      <h1 tabIndex={-1}>Channels &amp; integrations</h1>
      <p className="page-intro muted">
        Connect your own accounts. Credentials are stored encrypted and are never shown again: to change one, enter it anew. Without them, the
        concierge uses this environment&apos;s defaults.
      </p>
      {error !== undefined && <ErrorBanner error={error} title="Could not load the integrations" testId="integrations-error" />}
      {data === undefined ? (
        error === undefined && <Loading label="Loading integrations…" />
      ) : (
        <div className="integrations__grid">
          {providerSpecs.map((spec) => (
            <ProviderCard key={spec.provider} spec={spec} summary={byProvider.get(spec.provider)} api={integrations} onChanged={reload} />
          ))}
        </div>
      )}
    </div>
  );
}

function ProviderCard({
  spec,
  summary,
  api,
  onChanged,
}: {
  spec: ProviderSpec;
  summary: IntegrationSummary | undefined;
  api: ReturnType<typeof integrationsApi>;
  onChanged: () => void;
}) {
  const [editing, setEditing] = useState(false);
  const [values, setValues] = useState<Record<string, string>>({});
  /** What the form showed when it opened: values typed over it are unsaved until saved or cancelled. */
  const [opened, setOpened] = useState<Record<string, string>>({});
  useUnsavedChanges(editing && spec.fields.some((f) => (values[f.name] ?? '') !== (opened[f.name] ?? '')));
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ErrorView>();
  const [notice, setNotice] = useState('');
  const [confirming, setConfirming] = useState(false);
  const headingId = `integration-${spec.provider}-title`;

  const closeForm = (): void => {
    setEditing(false);
    setValues({});
  };

  const save = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setFailure(undefined);
    setNotice('');
    try {
      await api.put(spec.provider, bodyFrom(spec, values));
      closeForm();
      setNotice('Saved.');
      onChanged();
    } catch (err) {
      setFailure(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (): Promise<void> => {
    setBusy(true);
    setFailure(undefined);
    setNotice('');
    try {
      await api.remove(spec.provider);
      setConfirming(false);
      setNotice('Removed.');
      onChanged();
    } catch (err) {
      setConfirming(false);
      setFailure(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card integration" aria-labelledby={headingId} data-testid={`integration-${spec.provider}`}>
      <h2 id={headingId} className="card__title">
        {spec.title}
      </h2>
      <p className="muted small">{spec.purpose}</p>
      <p className={summary ? 'integration__status integration__status--on' : 'integration__status'} data-testid={`integration-${spec.provider}-status`}>
        {statusLine(summary)}
      </p>
      {summary !== undefined && (
        <p className="muted small" data-testid={`integration-${spec.provider}-updated`}>
          Updated {formatDateTime(summary.updatedAt)} by <span title={summary.updatedBy}>{summary.updatedBy.slice(0, 8)}…</span>
        </p>
      )}
      {failure !== undefined && <ErrorBanner error={failure} title={`Could not change ${spec.title}`} testId={`integration-${spec.provider}-error`} />}
      <p role="status" className="muted small" data-testid={`integration-${spec.provider}-notice`}>
        {notice}
      </p>
      {editing ? (
        <form className="integration__form" onSubmit={(e) => void save(e)} autoComplete="off" data-testid={`integration-${spec.provider}-form`}>
          {templatesToRetype(summary).length > 0 && (
            <p className="muted small" role="note" data-testid={`integration-${spec.provider}-retype`}>
              Type the Content SIDs of these templates again, or saving removes them: {templatesToRetype(summary).join(', ')}.
            </p>
          )}
          {spec.fields.map((field) => {
            const id = `integration-${spec.provider}-${field.name}`;
            const hintId = field.hint !== undefined ? `${id}-hint` : undefined;
            return (
              <div className="field" key={field.name}>
                <label htmlFor={id}>
                  {field.label}
                  {!field.required && <span className="muted"> (optional)</span>}
                </label>
                <input
                  id={id}
                  name={field.name}
                  type={field.secret ? 'password' : (field.type ?? 'text')}
                  autoComplete={field.secret ? 'new-password' : 'off'}
                  spellCheck={false}
                  required={field.required}
                  value={values[field.name] ?? ''}
                  onChange={(e) => setValues((v) => ({ ...v, [field.name]: e.target.value }))}
                  {...(hintId !== undefined ? { 'aria-describedby': hintId } : {})}
                  data-testid={id}
                />
                {field.hint !== undefined && (
                  <span id={hintId} className="muted small">
                    {field.hint}
                  </span>
                )}
              </div>
            );
          })}
          <div className="button-row">
            <button type="submit" className="button" disabled={busy} data-testid={`integration-${spec.provider}-save`}>
              {busy ? 'Saving…' : 'Save'}
            </button>
            <button type="button" className="button button--secondary" onClick={closeForm} disabled={busy}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <div className="button-row">
          <button
            type="button"
            className="button"
            onClick={() => {
              setNotice('');
              setValues(prefillFrom(spec, summary));
              setOpened(prefillFrom(spec, summary));
              setEditing(true);
            }}
            data-testid={`integration-${spec.provider}-edit`}
          >
            {summary ? `Replace ${spec.title} credentials` : `Set up ${spec.title}`}
          </button>
          {summary !== undefined && (
            <button type="button" className="button button--secondary" onClick={() => setConfirming(true)} data-testid={`integration-${spec.provider}-remove`}>
              Remove
            </button>
          )}
        </div>
      )}
      {confirming && (
        <Dialog title={`Remove ${spec.title}?`} onClose={() => setConfirming(false)} testId={`integration-${spec.provider}-confirm`}>
          <p>The stored credentials are deleted. The concierge falls back to this environment&apos;s defaults.</p>
          <div className="button-row">
            <button type="button" className="button" onClick={() => void remove()} disabled={busy} data-testid={`integration-${spec.provider}-confirm-remove`}>
              {busy ? 'Removing…' : 'Remove'}
            </button>
            <button type="button" className="button button--secondary" onClick={() => setConfirming(false)} disabled={busy}>
              Keep
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}

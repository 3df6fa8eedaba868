import { useCallback, useMemo, useRef, useState, type FormEvent } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { Loading } from '../../components/Loading';
import { useSession } from '../../hooks/session';
import { useLoader } from '../../hooks/useLoader';
import { useUnsavedChanges } from '../../hooks/useUnsavedChanges';
import { describeError, type ErrorView } from '../../lib/api-error';
import { formatDateTime } from '../../lib/format';
import { Dialog } from '../bookings/Dialog';
import { eventLabels, outcomeLine, webhookEvents, webhooksApi, type WebhookDelivery, type WebhookEventType, type WebhookSubscription } from './webhooks-api';
import '../bookings/bookings.css';
import '../integrations/integrations.css';
import './webhooks.css';

type Api = ReturnType<typeof webhooksApi>;

/**
 * Admins only: outbound webhooks. The subscriptions (URL, events, a hint of the secret) with a test ping and
 * delete; a form to add one, after which the signing secret is shown once with a copy button; and the failed
 * deliveries (webhooks and HubSpot) with a redeliver button — the dead-letter view.
 */
export function WebhooksPage() {
  const { api } = useSession();
  const webhooks = useMemo(() => webhooksApi(api), [api]);
  const loadSubscriptions = useCallback((signal: AbortSignal) => webhooks.list({ signal }), [webhooks]);
  const loadFailed = useCallback((signal: AbortSignal) => webhooks.failed({ signal }), [webhooks]);
  const subscriptions = useLoader(loadSubscriptions);
  const failed = useLoader(loadFailed);
  const [secret, setSecret] = useState<{ url: string; secret: string }>();

  return (
    <div className="webhooks" data-testid="webhooks-page">
      <h1 tabIndex={-1}>Webhooks</h1>
      <p className="page-intro muted">
        Send your business&apos;s events to Zapier, your CRM or your own service. Every POST is signed with the subscription&apos;s secret in the
        Concierge-Signature header; failed deliveries are retried, then listed below for you to send again.
      </p>
      <AddSubscription
        api={webhooks}
        onCreated={(url, s) => {
          setSecret({ url, secret: s });
          subscriptions.reload();
        }}
      />
      {secret !== undefined && <SecretOnce url={secret.url} secret={secret.secret} onDone={() => setSecret(undefined)} />}
      <section className="card" aria-labelledby="webhooks-list-title">
        <h2 id="webhooks-list-title" className="card__title">
          Subscriptions
        </h2>
        {subscriptions.error !== undefined && <ErrorBanner error={subscriptions.error} title="Could not load the subscriptions" testId="webhooks-error" />}
        {subscriptions.data === undefined ? (
          subscriptions.error === undefined && <Loading label="Loading subscriptions…" />
        ) : subscriptions.data.length === 0 ? (
          <p className="muted" data-testid="webhooks-empty">
            No subscriptions yet.
          </p>
        ) : (
          <ul className="webhooks__list" data-testid="webhooks-list">
            {subscriptions.data.map((s) => (
              <SubscriptionRow key={s.webhookId} subscription={s} api={webhooks} onChanged={() => { subscriptions.reload(); failed.reload(); }} />
            ))}
          </ul>
        )}
      </section>
      <FailedDeliveries deliveries={failed.data} error={failed.error} api={webhooks} onChanged={failed.reload} />
    </div>
  );
}

function AddSubscription({ api, onCreated }: { api: Api; onCreated: (url: string, secret: string) => void }) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<ReadonlySet<WebhookEventType>>(new Set());
  // A subscription typed but not added yet: leaving the page or the tab asks first.
  useUnsavedChanges(url.trim() !== '' || events.size > 0);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ErrorView>();

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setFailure(undefined);
    try {
      const created = await api.create({ url: url.trim(), events: webhookEvents.filter((t) => events.has(t)) });
      setUrl('');
      setEvents(new Set());
      onCreated(created.webhook.url, created.secret);
    } catch (err) {
      setFailure(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="webhooks-add-title">
      <h2 id="webhooks-add-title" className="card__title">
        Add a subscription
      </h2>
      {failure !== undefined && <ErrorBanner error={failure} title="Could not add the subscription" testId="webhooks-add-error" />}
      <form className="integration__form" onSubmit={(e) => void submit(e)} autoComplete="off" data-testid="webhooks-add-form">
        <div className="field">
          <label htmlFor="webhook-url">Endpoint URL</label>
          <input
            id="webhook-url"
            type="url"
            required
            placeholder="https://hooks.example.com/concierge"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            aria-describedby="webhook-url-hint"
            data-testid="webhook-url"
          />
          <span id="webhook-url-hint" className="muted small">
            https:// to a public address
          </span>
        </div>
        <fieldset className="webhooks__events">
          <legend>Events</legend>
          {webhookEvents.map((type) => (
            <label key={type} className="webhooks__event">
              <input
                type="checkbox"
                checked={events.has(type)}
                onChange={(e) =>
                  setEvents((current) => {
                    const next = new Set(current);
                    if (e.target.checked) next.add(type);
                    else next.delete(type);
                    return next;
                  })
                }
                data-testid={`webhook-event-${type}`}
              />
              <code>{type}</code> <span className="muted small">{eventLabels[type]}</span>
            </label>
          ))}
        </fieldset>
        <div className="button-row">
          <button type="submit" className="button" disabled={busy || events.size === 0} data-testid="webhook-add">
            {busy ? 'Adding…' : 'Add subscription'}
          </button>
        </div>
      </form>
    </section>
  );
}

/** The signing secret, once: with a copy button, gone when dismissed. */
function SecretOnce({ url, secret, onDone }: { url: string; secret: string; onDone: () => void }) {
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState('');
  const copy = async (): Promise<void> => {
    try {
      if (navigator.clipboard === undefined) throw new Error('no clipboard');
      await navigator.clipboard.writeText(secret);
      setCopied('Copied to the clipboard.');
    } catch {
      field.current?.focus();
      field.current?.select();
      setCopied('Selected: press Ctrl+C (⌘C on a Mac) to copy.');
    }
  };
  return (
    <section className="card webhooks__secret" aria-labelledby="webhook-secret-title" data-testid="webhook-secret-card">
      <h2 id="webhook-secret-title" className="card__title">
        Signing secret for {url}
      </h2>
      <p className="small">Copy it now: it is shown only this once. Use it to verify the Concierge-Signature header of every POST.</p>
      <input ref={field} readOnly value={secret} spellCheck={false} onFocus={(e) => e.target.select()} aria-label="Signing secret" data-testid="webhook-secret" />
      <div className="button-row">
        <button type="button" className="button button--secondary" onClick={() => void copy()} data-testid="webhook-secret-copy">
          Copy
        </button>
        <button type="button" className="button" onClick={onDone} data-testid="webhook-secret-done">
          I have saved it
        </button>
        <span role="status" className="muted small">
          {copied}
        </span>
      </div>
    </section>
  );
}

function SubscriptionRow({ subscription: s, api, onChanged }: { subscription: WebhookSubscription; api: Api; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState('');
  const [failure, setFailure] = useState<ErrorView>();
  const [confirming, setConfirming] = useState(false);

  const run = async (action: () => Promise<string>): Promise<void> => {
    setBusy(true);
    setFailure(undefined);
    setResult('');
    try {
      setResult(await action());
    } catch (err) {
      setFailure(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <li className="webhooks__item" data-testid={`webhook-${s.webhookId}`}>
      <div>
        <strong className="webhooks__url">{s.url}</strong>
        <div className="muted small">
          {s.events.join(', ')} · secret {s.secretHint} · added {formatDateTime(s.createdAt)}
        </div>
      </div>
      {failure !== undefined && <ErrorBanner error={failure} title="Could not reach the subscription" testId={`webhook-${s.webhookId}-error`} />}
      <p role="status" className="muted small" data-testid={`webhook-${s.webhookId}-result`}>
        {result}
      </p>
      <div className="button-row">
        <button
          type="button"
          className="button button--secondary"
          disabled={busy}
          onClick={() =>
            void run(async () => {
              const delivery = await api.test(s.webhookId);
              onChanged();
              return `Test ping: ${outcomeLine(delivery)}`;
            })
          }
          data-testid={`webhook-${s.webhookId}-test`}
        >
          {busy ? 'Sending…' : 'Send test'}
        </button>
        <button type="button" className="button button--secondary" disabled={busy} onClick={() => setConfirming(true)} data-testid={`webhook-${s.webhookId}-delete`}>
          Delete
        </button>
      </div>
      {confirming && (
        <Dialog title="Delete this subscription?" onClose={() => setConfirming(false)} testId={`webhook-${s.webhookId}-confirm`}>
          <p>Nothing more is sent to {s.url}.</p>
          <div className="button-row">
            <button
              type="button"
              className="button"
              disabled={busy}
              onClick={() =>
                void run(async () => {
                  await api.remove(s.webhookId);
                  setConfirming(false);
                  onChanged();
                  return 'Deleted.';
                })
              }
              data-testid={`webhook-${s.webhookId}-confirm-delete`}
            >
              Delete
            </button>
            <button type="button" className="button button--secondary" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </div>
        </Dialog>
      )}
    </li>
  );
}

function FailedDeliveries({ deliveries, error, api, onChanged }: { deliveries: WebhookDelivery[] | undefined; error: ErrorView | undefined; api: Api; onChanged: () => void }) {
  const [busy, setBusy] = useState('');
  const [notice, setNotice] = useState('');
  const [failure, setFailure] = useState<ErrorView>();

  const redeliver = async (d: WebhookDelivery): Promise<void> => {
    setBusy(d.deliveryId);
    setFailure(undefined);
    setNotice('');
    try {
      const after = await api.redeliver(d.deliveryId);
      setNotice(`${d.eventType} to ${d.target === 'hubspot' ? 'HubSpot' : (d.url ?? 'the subscription')}: ${outcomeLine(after)}`);
      onChanged();
    } catch (err) {
      setFailure(describeError(err));
    } finally {
      setBusy('');
    }
  };

  return (
    <section className="card" aria-labelledby="webhooks-failed-title">
      <div className="page-title-row">
        <h2 id="webhooks-failed-title" className="card__title">
          Failed deliveries
        </h2>
        <button type="button" className="button button--secondary" onClick={onChanged} data-testid="webhooks-failed-refresh">
          Refresh
        </button>
      </div>
      {error !== undefined && <ErrorBanner error={error} title="Could not load the failed deliveries" testId="webhooks-failed-error" />}
      {failure !== undefined && <ErrorBanner error={failure} title="Could not redeliver" testId="webhooks-redeliver-error" />}
      <p role="status" className="muted small" data-testid="webhooks-failed-notice">
        {notice}
      </p>
      {deliveries === undefined ? (
        error === undefined && <Loading label="Loading failed deliveries…" />
      ) : deliveries.length === 0 ? (
        <p className="muted" data-testid="webhooks-failed-empty">
          Nothing failed.
        </p>
      ) : (
        <table className="webhooks__table" data-testid="webhooks-failed">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">To</th>
              <th scope="col">Outcome</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {deliveries.map((d) => (
              <tr key={d.deliveryId} data-testid={`delivery-${d.deliveryId}`}>
                <td>{formatDateTime(d.updatedAt)}</td>
                <td>
                  <code>{d.eventType}</code>
                </td>
                <td className="webhooks__url">{d.target === 'hubspot' ? 'HubSpot' : d.url}</td>
                <td>{outcomeLine(d)}</td>
                <td>
                  <button type="button" className="button button--secondary" disabled={busy !== ''} onClick={() => void redeliver(d)} data-testid={`delivery-${d.deliveryId}-redeliver`}>
                    {busy === d.deliveryId ? 'Sending…' : 'Redeliver'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

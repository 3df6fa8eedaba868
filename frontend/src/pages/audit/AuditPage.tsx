import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { Loading } from '../../components/Loading';
import { useSession } from '../../hooks/session';
import { describeError, type ErrorView } from '../../lib/api-error';
import { formatDateTime } from '../../lib/format';
import { actorLabel, auditApi, noFilters, type AuditEntry, type AuditFilters } from './audit-api';
import './audit.css';

/**
 * Admins only: the audit log — who changed what and when, newest first. Filter by actor (e-mail or id), action
 * (a name or its beginning, such as `put`) and a date range; "Load more" follows the cursor; each row opens to
 * show the change's before and after. Nothing here can change an entry (the API has no such route).
 */
export function AuditPage() {
  const { api } = useSession();
  const audit = useMemo(() => auditApi(api), [api]);
  const [draft, setDraft] = useState<AuditFilters>(noFilters);
  const [filters, setFilters] = useState<AuditFilters>(noFilters);
  const [items, setItems] = useState<AuditEntry[]>();
  const [cursor, setCursor] = useState<string>();
  const [error, setError] = useState<ErrorView>();
  const [busy, setBusy] = useState(false);
  const generation = useRef(0);

  const load = useCallback(
    async (next: AuditFilters, after?: string): Promise<void> => {
      const mine = ++generation.current;
      setBusy(true);
      setError(undefined);
      try {
        const page = await audit.list(next, after);
        if (mine !== generation.current) return;
        setItems((previous) => (after !== undefined ? [...(previous ?? []), ...page.items] : page.items));
        setCursor(page.nextCursor);
      } catch (err) {
        if (mine === generation.current) setError(describeError(err));
      } finally {
        if (mine === generation.current) setBusy(false);
      }
    },
    [audit],
  );

  useEffect(() => {
    void load(filters);
  }, [load, filters]);

  const apply = (e: FormEvent): void => {
    e.preventDefault();
    setItems(undefined);
    setFilters({ ...draft });
  };
  const clear = (): void => {
    setDraft(noFilters);
    setItems(undefined);
    setFilters(noFilters);
  };

  return (
    <div className="audit" data-testid="audit-page">
      <div className="page-title-row">
        <h1 tabIndex={-1}>Audit log</h1>
        <button type="button" className="button button--secondary" onClick={() => void load(filters)} disabled={busy} data-testid="audit-refresh">
          Refresh
        </button>
      </div>
      <p className="page-intro muted">
        Every change made by your team, and each sign-in, newest first. Entries cannot be edited or deleted; credentials and customers&apos;
        details never appear in them.
      </p>
      <form className="card audit__filters" onSubmit={apply} aria-label="Filter the audit log" data-testid="audit-filters">
        <div className="field">
          <label htmlFor="audit-actor">Who (e-mail)</label>
          <input id="audit-actor" type="text" maxLength={254} value={draft.actor} onChange={(e) => setDraft({ ...draft, actor: e.target.value })} data-testid="audit-filter-actor" />
        </div>
        <div className="field">
          <label htmlFor="audit-action">Action</label>
          <input
            id="audit-action"
            type="text"
            maxLength={80}
            placeholder="e.g. putFaq, put, login"
            value={draft.action}
            onChange={(e) => setDraft({ ...draft, action: e.target.value })}
            data-testid="audit-filter-action"
          />
        </div>
        <div className="field">
          <label htmlFor="audit-from">From</label>
          <input id="audit-from" type="date" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} data-testid="audit-filter-from" />
        </div>
        <div className="field">
          <label htmlFor="audit-to">To</label>
          <input id="audit-to" type="date" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} data-testid="audit-filter-to" />
        </div>
        <div className="button-row">
          <button type="submit" className="button" data-testid="audit-filter-apply">
            Filter
          </button>
          <button type="button" className="button button--secondary" onClick={clear} data-testid="audit-filter-clear">
            Clear
          </button>
        </div>
      </form>
      {error !== undefined && <ErrorBanner error={error} title="Could not load the audit log" testId="audit-error" />}
      {items === undefined ? (
        error === undefined && <Loading label="Loading the audit log…" />
      ) : items.length === 0 ? (
        <p className="muted" data-testid="audit-empty">
          No entries match.
        </p>
      ) : (
        <div className="table-scroll" role="region" aria-label="Audit log entries" tabIndex={0}>
          <table className="table audit__table" data-testid="audit-table">
            <caption className="visually-hidden">Audit log entries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">
                  <span className="visually-hidden">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((entry) => (
                <EntryRows key={entry.auditId} entry={entry} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor !== undefined && (
        <button type="button" className="button button--secondary" disabled={busy} onClick={() => void load(filters, cursor)} data-testid="audit-load-more">
          {busy ? 'Loading…' : 'Load more'}
        </button>
      )}
    </div>
  );
}

function EntryRows({ entry }: { entry: AuditEntry }) {
  const [open, setOpen] = useState(false);
  const detailsId = `audit-details-${entry.auditId}`;
  const hasSummary = entry.summary.before !== undefined || entry.summary.after !== undefined;
  return (
    <>
      <tr data-testid="audit-row" data-action={entry.action}>
        <td>
          <time dateTime={entry.at} title={entry.at}>
            {formatDateTime(entry.at)}
          </time>
        </td>
        <td>{actorLabel(entry.actor)}</td>
        <td>
          <code data-testid="audit-action">{entry.action}</code>
        </td>
        <td className="audit__target" data-testid="audit-target">
          {entry.target}
        </td>
        <td>
          {hasSummary && (
            <button
              type="button"
              className="button button--secondary"
              aria-expanded={open}
              aria-controls={detailsId}
              onClick={() => setOpen(!open)}
              data-testid="audit-expand"
            >
              {open ? 'Hide' : 'Show'} change
            </button>
          )}
        </td>
      </tr>
      {open && (
        <tr id={detailsId} className="audit__details" data-testid="audit-details">
          <td colSpan={5}>
            <div className="audit__diff">
              <Snapshot label="Before" value={entry.summary.before} testId="audit-before" />
              <Snapshot label="After" value={entry.summary.after} testId="audit-after" />
            </div>
            {entry.correlationId !== undefined && <p className="muted audit__meta">Request {entry.correlationId}</p>}
          </td>
        </tr>
      )}
    </>
  );
}

function Snapshot({ label, value, testId }: { label: string; value: unknown; testId: string }) {
  return (
    <div>
      <h2 className="audit__snapshot-title">{label}</h2>
      {value === undefined ? (
        <p className="muted">—</p>
      ) : (
        // Scrollable, so reachable by keyboard and named for screen readers.
        <pre className="audit__json" tabIndex={0} role="region" aria-label={`${label} the change`} data-testid={testId}>
          {JSON.stringify(value, null, 2)}
        </pre>
      )}
    </div>
  );
}

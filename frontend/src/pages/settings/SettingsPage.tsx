import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { CannedReply } from '../../api/types';
import { ErrorBanner } from '../../components/ErrorBanner';
import { Loading } from '../../components/Loading';
import { useSession } from '../../hooks/session';
import { useUnsavedChanges } from '../../hooks/useUnsavedChanges';
import { describeError, type ErrorView } from '../../lib/api-error';

interface Row extends CannedReply {
  readonly key: number;
}

const slugOf = (title: string, taken: ReadonlySet<string>): string => {
  const base = title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 32) || 'reply';
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  return id;
};

/** Admins only: how long a handoff waits for an agent, and the canned replies agents insert. */
export function SettingsPage() {
  const { api } = useSession();
  const [sla, setSla] = useState('');
  const [rows, setRows] = useState<Row[]>();
  const [error, setError] = useState<ErrorView>();
  const [loadError, setLoadError] = useState<ErrorView>();
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const [nextKey, setNextKey] = useState(1000);
  /** Edited since loaded or saved: leaving the page or the tab asks first. */
  const [dirty, setDirty] = useState(false);
  useUnsavedChanges(dirty);
  const edited = (): void => {
    setSaved(false);
    setDirty(true);
  };

  const load = useCallback(async () => {
    setLoadError(undefined);
    try {
      const settings = await api.getHandoffSettings();
      setSla(String(settings.slaSeconds));
      setRows(settings.cannedReplies.map((r, i) => ({ ...r, key: i })));
      setDirty(false);
    } catch (err) {
      setLoadError(describeError(err));
    }
  }, [api]);
  useEffect(() => {
    void load();
  }, [load]);

  const update = (key: number, patch: Partial<CannedReply>): void => {
    edited();
    setRows((list) => list?.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  };

  const save = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (rows === undefined) return;
    setSaving(true);
    setSaved(false);
    try {
      const taken = new Set<string>();
      const cannedReplies = rows.map((r) => {
        const id = r.id || slugOf(r.title, taken);
        taken.add(id);
        return { id, title: r.title, text: r.text };
      });
      const stored = await api.putHandoffSettings({ slaSeconds: Number(sla), cannedReplies });
      setRows(stored.cannedReplies.map((r, i) => ({ ...r, key: i })));
      setSla(String(stored.slaSeconds));
      setError(undefined);
      setSaved(true);
      setDirty(false);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <div className="settings" data-testid="settings-page">
      <h1 tabIndex={-1}>Handoff settings</h1>
      <p className="page-intro muted">
        When a customer asks for a person, online agents are told at once. If nobody accepts within the wait below, every agent is told; after
        the same wait again (or outside opening hours, or with nobody online) the customer is offered a callback.
      </p>
      {loadError !== undefined && (
        <ErrorBanner error={loadError} title="Could not load the settings" testId="settings-load-error">
          <button type="button" className="button button--secondary" onClick={() => void load()} data-testid="settings-retry">
            Try again
          </button>
        </ErrorBanner>
      )}
      {error !== undefined && <ErrorBanner error={error} title="Could not save the settings" testId="settings-error" />}
      {rows === undefined ? (
        loadError === undefined && <Loading label="Loading settings…" />
      ) : (
        <form className="card settings__form" onSubmit={(e) => void save(e)}>
          <div className="field">
            <label htmlFor="settings-sla">Seconds to wait for an agent (SLA)</label>
            <input
              id="settings-sla"
              type="number"
              min={1}
              max={86400}
              required
              value={sla}
              onChange={(e) => {
                setSla(e.target.value);
                edited();
              }}
              data-testid="settings-sla"
            />
          </div>
          <fieldset className="canned">
            <legend>Canned replies</legend>
            {rows.length === 0 && <p className="muted">No canned replies yet.</p>}
            {rows.map((r, i) => (
              <div className="canned__row" key={r.key} data-testid="canned-row">
                <div className="field">
                  <label htmlFor={`canned-title-${r.key}`}>Title {i + 1}</label>
                  <input id={`canned-title-${r.key}`} type="text" required maxLength={80} value={r.title} onChange={(e) => update(r.key, { title: e.target.value })} />
                </div>
                <div className="field">
                  <label htmlFor={`canned-text-${r.key}`}>Text {i + 1}</label>
                  <textarea id={`canned-text-${r.key}`} required rows={2} maxLength={1000} value={r.text} onChange={(e) => update(r.key, { text: e.target.value })} />
                </div>
                <button
                  type="button"
                  className="button button--quiet"
                  onClick={() => {
                    edited();
                    setRows((list) => list?.filter((x) => x.key !== r.key));
                  }}
                >
                  Remove reply {i + 1}
                </button>
              </div>
            ))}
            <button
              type="button"
              className="button button--secondary"
              onClick={() => {
                setRows((list) => [...(list ?? []), { key: nextKey, id: '', title: '', text: '' }]);
                setNextKey((k) => k + 1);
                edited();
              }}
              data-testid="canned-add"
            >
              Add a canned reply
            </button>
          </fieldset>
          <div className="button-row">
            <button type="submit" className="button" disabled={saving} data-testid="settings-save">
              {saving ? 'Saving…' : 'Save'}
            </button>
            <span role="status" className="muted" data-testid="settings-saved">
              {saved ? 'Saved.' : dirty ? 'Unsaved changes.' : ''}
            </span>
          </div>
        </form>
      )}
    </div>
  );
}

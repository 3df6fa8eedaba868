import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { Loading } from '../../components/Loading';
import { useSession } from '../../hooks/session';
import { useLoader } from '../../hooks/useLoader';
import { useUnsavedChanges } from '../../hooks/useUnsavedChanges';
import { describeError, type ErrorView } from '../../lib/api-error';
import { widgetApi, type WidgetSettings } from './widget-api';
import {
  MAX_GREETING_CHARS,
  MIN_CONTRAST,
  draftChanged,
  draftOf,
  inputOf,
  isHexColour,
  isStaleSave,
  languageNames,
  snippetOf,
  whiteTextContrast,
  type WidgetDraft,
} from './widget-draft';
import { WidgetPreview } from './WidgetPreview';
import './widget.css';

/** Input ids by the server's error `field` (its first segment), so a refused save focuses the culprit. */
const fieldInputs: Readonly<Record<string, string>> = {
  colour: 'widget-colour-text',
  position: 'widget-position-right',
  languages: 'widget-lang-en',
  logoUrl: 'widget-logo',
  allowedOrigins: 'widget-origins',
};
const inputIdOf = (field: string | undefined): string | undefined => {
  if (field === undefined) return undefined;
  const [head, sub] = field.split('.');
  if (head === 'greeting' && sub !== undefined) return `widget-greeting-${sub}`;
  return head !== undefined ? fieldInputs[head] : undefined;
};

/**
 * The widget's look and where it may run: everyone sees the settings, the
 * preview and the embed snippet; admins change them.
 */
export function WidgetPage() {
  const { api, isAdmin, me } = useSession();
  const widget = useMemo(() => widgetApi(api), [api]);
  const load = useCallback((signal: AbortSignal) => widget.get({ signal }), [widget]);
  const { data, error, loading, reload } = useLoader(load);
  const [saved, setSaved] = useState<WidgetSettings>();
  const [draft, setDraft] = useState<WidgetDraft>();
  const [saveError, setSaveError] = useState<ErrorView>();
  const [stale, setStale] = useState(false);
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState('');
  const [previewLang, setPreviewLang] = useState('en');

  useEffect(() => {
    if (data !== undefined) {
      setSaved(data);
      setDraft(draftOf(data));
      setPreviewLang(data.languages[0] ?? 'en');
      // Loaded again after a refused save (409): the refusal is past.
      setSaveError(undefined);
      setStale(false);
    }
  }, [data]);

  // Edits not saved yet: leaving the page or the tab asks first.
  useUnsavedChanges(isAdmin && draft !== undefined && saved !== undefined && draftChanged(draft, saved));

  useEffect(() => {
    const id = inputIdOf(saveError?.field);
    if (id !== undefined) document.getElementById(id)?.focus();
  }, [saveError]);

  if (saved === undefined || draft === undefined) {
    return (
      <div className="widget-page" data-testid="widget-page">
        <h1 tabIndex={-1}>Widget</h1>
        {error !== undefined ? <ErrorBanner error={error} title="Could not load the widget settings" testId="widget-error" /> : <Loading label="Loading the widget settings…" />}
      </div>
    );
  }

  const change = (patch: Partial<WidgetDraft>): void => {
    setNotice('');
    setDraft({ ...draft, ...patch });
  };
  const save = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setSaving(true);
    setNotice('');
    try {
      const stored = await widget.put(inputOf(draft, saved.revision));
      setSaved(stored);
      setDraft(draftOf(stored));
      setSaveError(undefined);
      setStale(false);
      setNotice('Saved. The chat on your site shows the change within about 15 minutes (browsers cache its settings); allowed origins apply at once.');
    } catch (err) {
      setSaveError(describeError(err));
      setStale(isStaleSave(err));
    } finally {
      setSaving(false);
    }
  };

  const contrast = whiteTextContrast(draft.colour);
  const invalidField = inputIdOf(saveError?.field);
  const invalid = (id: string): { 'aria-invalid'?: true } => (invalidField === id ? { 'aria-invalid': true } : {});
  const previewLanguages = draft.languages.length > 0 ? draft.languages : saved.supportedLanguages.slice(0, 1);

  return (
    <div className="widget-page" data-testid="widget-page">
      <h1 tabIndex={-1}>Widget</h1>
      <p className="page-intro muted">
        {isAdmin
          ? 'How the chat looks on your website, which languages it speaks and which sites may show it. The preview follows your edits; save to publish them.'
          : 'How the chat looks on your website. Only admins can change these settings.'}
      </p>
      {saveError !== undefined && (
        <ErrorBanner error={saveError} title="Could not save the widget settings" testId="widget-save-error">
          {stale && (
            <button type="button" className="button button--secondary" disabled={loading} onClick={reload} data-testid="widget-reload">
              Reload the settings (your changes are discarded)
            </button>
          )}
        </ErrorBanner>
      )}
      <div className="widget-page__layout">
        <form className="card widget-page__form" onSubmit={(e) => void save(e)} noValidate data-testid="widget-form">
          <fieldset className="widget-page__fieldset" disabled={!isAdmin || saving}>
            <legend className="visually-hidden">Widget settings</legend>
            <div className="field">
              <label htmlFor="widget-colour-text">Brand colour</label>
              <div className="widget-page__colour">
                <input
                  id="widget-colour-picker"
                  type="color"
                  aria-label="Pick the brand colour"
                  value={isHexColour(draft.colour) ? draft.colour.toLowerCase() : '#000000'}
                  onChange={(e) => change({ colour: e.target.value })}
                  data-testid="widget-colour-picker"
                />
                <input
                  id="widget-colour-text"
                  type="text"
                  inputMode="text"
                  spellCheck={false}
                  maxLength={7}
                  value={draft.colour}
                  onChange={(e) => change({ colour: e.target.value.trim() })}
                  aria-describedby="widget-colour-contrast"
                  {...invalid('widget-colour-text')}
                  data-testid="widget-colour"
                />
              </div>
              <p id="widget-colour-contrast" className={`small ${contrast !== undefined && contrast < MIN_CONTRAST ? 'widget-page__bad' : 'muted'}`} data-testid="widget-contrast">
                {contrast === undefined
                  ? 'Write the colour as #rrggbb, for example #0f766e.'
                  : contrast >= MIN_CONTRAST
                    ? `White text on it: ${contrast.toFixed(2)}:1 — passes WCAG AA (${MIN_CONTRAST}:1).`
                    : `White text on it: ${contrast.toFixed(2)}:1 — too light; WCAG AA needs ${MIN_CONTRAST}:1. Choose a darker colour.`}
              </p>
            </div>

            <fieldset className="widget-page__group">
              <legend>Launcher position</legend>
              {(['right', 'left'] as const).map((p) => (
                <label key={p} className="widget-page__choice">
                  <input
                    id={`widget-position-${p}`}
                    type="radio"
                    name="widget-position"
                    value={p}
                    checked={draft.position === p}
                    onChange={() => change({ position: p })}
                    data-testid={`widget-position-${p}`}
                  />
                  Bottom {p}
                </label>
              ))}
            </fieldset>

            <fieldset className="widget-page__group">
              <legend>Languages</legend>
              {saved.supportedLanguages.map((lang) => (
                <label key={lang} className="widget-page__choice">
                  <input
                    id={`widget-lang-${lang}`}
                    type="checkbox"
                    checked={draft.languages.includes(lang)}
                    onChange={(e) =>
                      change({
                        languages: e.target.checked
                          ? saved.supportedLanguages.filter((l) => l === lang || draft.languages.includes(l))
                          : draft.languages.filter((l) => l !== lang),
                      })
                    }
                    data-testid={`widget-lang-${lang}`}
                  />
                  {languageNames[lang] ?? lang}
                </label>
              ))}
            </fieldset>

            {saved.supportedLanguages.map((lang) => (
              <div className="field" key={lang}>
                <label htmlFor={`widget-greeting-${lang}`}>
                  Greeting in {languageNames[lang] ?? lang}
                  {draft.languages.includes(lang) ? '' : ' (language not chosen)'}
                </label>
                <input
                  id={`widget-greeting-${lang}`}
                  type="text"
                  maxLength={MAX_GREETING_CHARS}
                  value={draft.greeting[lang] ?? ''}
                  onChange={(e) => change({ greeting: { ...draft.greeting, [lang]: e.target.value } })}
                  onFocus={() => setPreviewLang(lang)}
                  aria-describedby="widget-greeting-hint"
                  {...invalid(`widget-greeting-${lang}`)}
                  data-testid={`widget-greeting-${lang}`}
                />
              </div>
            ))}
            <p id="widget-greeting-hint" className="small muted widget-page__hint">
              Plain text, one line, up to {MAX_GREETING_CHARS} characters; required for every chosen language.
            </p>

            <div className="field">
              <label htmlFor="widget-logo">Logo URL (optional)</label>
              <input
                id="widget-logo"
                type="url"
                inputMode="url"
                placeholder="https://www.example.com/logo.svg"
                value={draft.logoUrl}
                onChange={(e) => change({ logoUrl: e.target.value })}
                aria-describedby="widget-logo-hint"
                {...invalid('widget-logo')}
                data-testid="widget-logo"
              />
              <p id="widget-logo-hint" className="small muted">
                An https:// address of a square image.
              </p>
            </div>

            <div className="field">
              <label htmlFor="widget-origins">Allowed origins</label>
              <textarea
                id="widget-origins"
                rows={4}
                spellCheck={false}
                value={draft.originsText}
                onChange={(e) => change({ originsText: e.target.value })}
                aria-describedby="widget-origins-hint"
                {...invalid('widget-origins')}
                data-testid="widget-origins"
              />
              <p id="widget-origins-hint" className="small muted">
                One per line, exactly as in the address bar without a path: https://www.example.com (http only for localhost). Up to 20. The
                chat refuses to connect from any other site.
              </p>
            </div>
          </fieldset>
          {isAdmin && (
            <div className="button-row">
              <button type="submit" className="button" disabled={saving} data-testid="widget-save">
                {saving ? 'Saving…' : 'Save'}
              </button>
              <button
                type="button"
                className="button button--secondary"
                disabled={saving}
                onClick={() => {
                  setDraft(draftOf(saved));
                  setSaveError(undefined);
                  setNotice('');
                }}
                data-testid="widget-reset"
              >
                Discard changes
              </button>
            </div>
          )}
          <p role="status" className="muted" data-testid="widget-saved">
            {notice}
          </p>
        </form>

        <div className="widget-page__side">
          <section className="card" aria-labelledby="widget-preview-title">
            <h2 id="widget-preview-title" className="card__title">
              Preview
            </h2>
            {previewLanguages.length > 1 && (
              <div className="widget-page__preview-langs" role="group" aria-label="Preview language">
                {previewLanguages.map((lang) => (
                  <button
                    key={lang}
                    type="button"
                    className={`button ${previewLang === lang ? '' : 'button--secondary'}`}
                    aria-pressed={previewLang === lang}
                    onClick={() => setPreviewLang(lang)}
                  >
                    {languageNames[lang] ?? lang}
                  </button>
                ))}
              </div>
            )}
            <WidgetPreview draft={draft} lang={previewLanguages.includes(previewLang) ? previewLang : (previewLanguages[0] ?? 'en')} businessName={me.business.name} />
            <p className="small muted">
              A drawing of the chat with the settings above, coloured by the widget&apos;s own rules. The real chat on your site reads the saved
              settings.
            </p>
          </section>
          <EmbedSnippet settings={saved} />
        </div>
      </div>
    </div>
  );
}

/** The tag to paste into the site, with a Copy button (selects the text where the clipboard is not available). */
function EmbedSnippet({ settings }: { settings: WidgetSettings }) {
  const snippet = snippetOf(settings, document.baseURI);
  const area = useRef<HTMLTextAreaElement>(null);
  const [copied, setCopied] = useState('');
  const copy = async (): Promise<void> => {
    try {
      if (navigator.clipboard === undefined) throw new Error('no clipboard');
      await navigator.clipboard.writeText(snippet);
      setCopied('Copied to the clipboard.');
    } catch {
      area.current?.focus();
      area.current?.select();
      setCopied('Selected: press Ctrl+C (⌘C on a Mac) to copy.');
    }
  };
  return (
    <section className="card" aria-labelledby="widget-embed-title">
      <h2 id="widget-embed-title" className="card__title">
        Embed on your site
      </h2>
      <p className="small">
        Widget key: <code data-testid="widget-key">{settings.widgetKey}</code>
      </p>
      <div className="field">
        <label htmlFor="widget-snippet">Paste this before &lt;/body&gt; on every page</label>
        <textarea id="widget-snippet" ref={area} readOnly rows={3} spellCheck={false} value={snippet} onFocus={(e) => e.target.select()} data-testid="widget-snippet" />
      </div>
      <div className="button-row">
        <button type="button" className="button button--secondary" onClick={() => void copy()} data-testid="widget-copy">
          Copy
        </button>
        <span role="status" className="muted small" data-testid="widget-copied">
          {copied}
        </span>
      </div>
    </section>
  );
}

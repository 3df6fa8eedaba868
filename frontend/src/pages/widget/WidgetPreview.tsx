import { previewColours, previewGreeting, type WidgetDraft } from './widget-draft';

/**
 * A drawing of the widget with the draft settings: the launcher in its corner
 * and the open panel's header and greeting, coloured with the widget's own rules
 * (widget/src/lib/config.ts: text on the brand colour, accent on white). It is a
 * mirror, not the widget: the real one reads the saved settings from the API and
 * opens a live conversation, which a preview must not do.
 */
export function WidgetPreview({ draft, lang, businessName }: { draft: WidgetDraft; lang: string; businessName: string }) {
  const colours = previewColours(draft.colour) ?? previewColours('#0f766e');
  const greeting = previewGreeting(draft, lang);
  const logo = /^https:\/\//.test(draft.logoUrl.trim()) ? draft.logoUrl.trim() : undefined;
  const onBrand = { background: colours?.brand, color: colours?.onBrand };
  return (
    <div className={`widget-preview widget-preview--${draft.position}`} data-testid="widget-preview" data-position={draft.position} lang={lang}>
      <div className="widget-preview__panel" data-testid="widget-preview-panel">
        <div className="widget-preview__header" style={onBrand} data-testid="widget-preview-header">
          <span className="widget-preview__avatar" aria-hidden="true">
            {logo !== undefined ? <img src={logo} alt="" /> : businessName.trim().charAt(0).toUpperCase()}
          </span>
          <span className="widget-preview__name">{businessName}</span>
        </div>
        <div className="widget-preview__body">
          {greeting !== undefined && greeting !== '' ? (
            <p className="widget-preview__bubble" style={{ borderColor: colours?.accent }} data-testid="widget-preview-greeting">
              {greeting}
            </p>
          ) : (
            <p className="widget-preview__empty">No greeting</p>
          )}
        </div>
      </div>
      <span className="widget-preview__launcher" style={onBrand} aria-hidden="true" data-testid="widget-preview-launcher">
        <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">
          <path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z" />
        </svg>
      </span>
    </div>
  );
}

/** A form's submit button and its Cancel. */
export function FormActions({ label, disabled, testId, onCancel }: { label: string; disabled: boolean; testId: string; onCancel: () => void }) {
  return (
    <div className="button-row">
      <button type="submit" className="button" disabled={disabled} data-testid={testId}>
        {label}
      </button>
      <button type="button" className="button button--quiet" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

import { useId, useRef, useState, type FormEvent } from 'react';
import type { ImportResult } from '../../api/types';
import { ErrorBanner } from '../../components/ErrorBanner';
import { useSession } from '../../hooks/session';
import { describeError, type ErrorView } from '../../lib/api-error';
import { parseKnowledgeFile } from '../../lib/knowledge-file';

export function ImportKnowledge({ onImported }: { onImported: () => void }) {
  const { api } = useSession();
  const [file, setFile] = useState<File>();
  const [pending, setPending] = useState(false);
  const [result, setResult] = useState<ImportResult>();
  const [error, setError] = useState<ErrorView>();
  const inputRef = useRef<HTMLInputElement>(null);
  const fileId = useId();
  const hintId = useId();
  const titleId = useId();

  const submit = async (e: FormEvent<HTMLFormElement>): Promise<void> => {
    e.preventDefault();
    if (file === undefined || pending) return;
    setPending(true);
    setError(undefined);
    setResult(undefined);
    try {
      const parsed = parseKnowledgeFile(await file.text(), file.size);
      if (!parsed.ok) {
        setError({ message: parsed.message });
        return;
      }
      setResult(await api.importKnowledge(parsed.value));
      setFile(undefined);
      if (inputRef.current) inputRef.current.value = '';
      onImported();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setPending(false);
    }
  };

  return (
    <section className="card" aria-labelledby={titleId} data-testid="kb-import">
      <h2 id={titleId} className="card__title">
        Import knowledge-base JSON
      </h2>
      <form onSubmit={(e) => void submit(e)}>
        <div className="field">
          <label htmlFor={fileId}>Knowledge-base JSON file</label>
          <input
            ref={inputRef}
            id={fileId}
            type="file"
            accept=".json,application/json"
            aria-describedby={hintId}
            onChange={(e) => {
              setFile(e.target.files?.[0]);
              setResult(undefined);
              setError(undefined);
            }}
            data-testid="kb-import-file"
          />
          <p id={hintId} className="muted small">
            Replaces the whole knowledge base: business, hours, services, staff, FAQs and documents.
          </p>
        </div>
        <button type="submit" className="button" disabled={file === undefined || pending} data-testid="kb-import-submit">
          {pending ? 'Importing…' : 'Import'}
        </button>
      </form>
      <div aria-live="polite">
        {error !== undefined && <ErrorBanner error={error} title="Import failed" testId="kb-import-error" />}
        {result !== undefined && (
          <div className="alert alert--success" data-testid="kb-import-result">
            <p className="alert__title">Knowledge base imported</p>
            <dl className="counts">
              <div>
                <dt>FAQs</dt>
                <dd data-testid="kb-import-faqs">{result.faqs}</dd>
              </div>
              <div>
                <dt>Documents</dt>
                <dd data-testid="kb-import-documents">{result.documents}</dd>
              </div>
              <div>
                <dt>Passages</dt>
                <dd data-testid="kb-import-chunks">{result.chunks}</dd>
              </div>
              <div>
                <dt>Services</dt>
                <dd data-testid="kb-import-services">{result.services}</dd>
              </div>
              <div>
                <dt>Staff</dt>
                <dd data-testid="kb-import-staff">{result.staff}</dd>
              </div>
            </dl>
          </div>
        )}
      </div>
    </section>
  );
}

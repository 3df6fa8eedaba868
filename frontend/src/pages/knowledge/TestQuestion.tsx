import { useId, useState, type FormEvent } from 'react';
import type { AnswerLang, TestAnswer } from '../../api/types';
import { ErrorBanner } from '../../components/ErrorBanner';
import { useSession } from '../../hooks/session';
import { describeError, type ErrorView } from '../../lib/api-error';
import { formatPercent } from '../../lib/format';

export const MAX_QUESTION_LENGTH = 1000;

export function TestQuestion() {
  const { api } = useSession();
  const [question, setQuestion] = useState('');
  const [lang, setLang] = useState<AnswerLang | ''>('');
  const [pending, setPending] = useState(false);
  const [answer, setAnswer] = useState<{ question: string; answer: TestAnswer }>();
  const [error, setError] = useState<ErrorView>();
  const questionId = useId();
  const langId = useId();
  const titleId = useId();

  const submit = async (e: FormEvent<HTMLFormElement>): Promise<void> => {
    e.preventDefault();
    const q = question.trim();
    if (q === '' || pending) return;
    setPending(true);
    setError(undefined);
    try {
      const result = await api.testQuestion({ question: q, ...(lang !== '' ? { lang } : {}) });
      setAnswer({ question: q, answer: result });
    } catch (err) {
      setAnswer(undefined);
      setError(describeError(err));
    } finally {
      setPending(false);
    }
  };

  return (
    <section className="card" aria-labelledby={titleId} data-testid="kb-test">
      <h2 id={titleId} className="card__title">
        Test a question
      </h2>
      <form onSubmit={(e) => void submit(e)} data-testid="kb-test-form">
        <div className="field">
          <label htmlFor={questionId}>Question</label>
          <textarea
            id={questionId}
            rows={3}
            maxLength={MAX_QUESTION_LENGTH}
            value={question}
            onChange={(e) => setQuestion(e.target.value)}
            placeholder="e.g. Are you open on Saturday?"
            required
            data-testid="kb-test-question"
          />
        </div>
        <div className="field">
          <label htmlFor={langId}>Answer language</label>
          <select
            id={langId}
            value={lang}
            onChange={(e) => setLang(e.target.value === 'en' || e.target.value === 'es' ? e.target.value : '')}
            data-testid="kb-test-lang"
          >
            <option value="">Detect from the question</option>
            <option value="en">English</option>
            <option value="es">Spanish</option>
          </select>
        </div>
        <button type="submit" className="button" disabled={pending || question.trim() === ''} data-testid="kb-test-submit">
          {pending ? 'Asking…' : 'Ask'}
        </button>
      </form>
      <div aria-live="polite" className="test-result">
        {error !== undefined && <ErrorBanner error={error} title="Could not test the question" testId="kb-test-error" />}
        {answer !== undefined && (
          <div className="answer" data-testid="kb-test-answer" data-answered={answer.answer.answered}>
            <p className="answer__status">
              {answer.answer.answered ? (
                <span className="badge badge--answered">Answered</span>
              ) : (
                <span className="badge badge--unanswered">Not answered — would offer a person</span>
              )}
              <span className="muted small" data-testid="kb-test-confidence">
                Confidence {formatPercent(answer.answer.confidence)}
              </span>
            </p>
            <p className="answer__text" data-testid="kb-test-answer-text">
              {answer.answer.text}
            </p>
            {answer.answer.sources.length > 0 && (
              <div className="message__sources" data-testid="kb-test-sources">
                <p className="message__sources-title">Sources</p>
                <ul>
                  {answer.answer.sources.map((s) => (
                    <li key={s.id}>
                      <span className="source-kind">{s.kind === 'faq' ? 'FAQ' : 'Document'}</span> {s.title}
                    </li>
                  ))}
                </ul>
              </div>
            )}
          </div>
        )}
      </div>
    </section>
  );
}

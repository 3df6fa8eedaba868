import type { ReactNode } from 'react';
import type { ErrorView } from '../lib/api-error';

export function ErrorBanner({ error, title, testId = 'error-banner', children }: { error: ErrorView; title?: string; testId?: string; children?: ReactNode }) {
  return (
    <div className="alert alert--error" role="alert" data-testid={testId}>
      {title !== undefined && <p className="alert__title">{title}</p>}
      <p data-testid={`${testId}-message`}>{error.message}</p>
      {error.field !== undefined && (
        <p>
          Field: <code data-testid={`${testId}-field`}>{error.field}</code>
        </p>
      )}
      {error.correlationId !== undefined && <p className="muted small">Reference: {error.correlationId}</p>}
      {children}
    </div>
  );
}

import type { ReactNode } from 'react';

/** A full-page message (start-up, configuration problems, account problems). */
export function Screen({ title, children, testId }: { title: string; children?: ReactNode; testId?: string }) {
  return (
    <main className="screen" data-testid={testId}>
      <div className="screen__card">
        <p className="brand" aria-hidden="true">
          Concierge
        </p>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}

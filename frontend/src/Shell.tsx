import { useCallback, useEffect, useMemo, useRef, type MouseEvent } from 'react';
import type { ApiClient } from './api/client';
import { ErrorBanner } from './components/ErrorBanner';
import { Header } from './components/Header';
import { Loading } from './components/Loading';
import { Nav } from './components/Nav';
import { Screen } from './components/Screen';
import { SessionContext, type Session } from './hooks/session';
import { useHashRoute } from './hooks/useHashRoute';
import { useLoader } from './hooks/useLoader';
import { roleOf } from './lib/roles';
import { dropOthersDrafts, tabStorage } from './lib/drafts';
import { hrefFor, type Route, type SectionName } from './lib/routes';
import { unsavedChanges } from './lib/unsaved';
import { ConversationsPage } from './pages/conversations/ConversationsPage';
import { InboxPage } from './pages/inbox/InboxPage';
import { KnowledgePage } from './pages/knowledge/KnowledgePage';
import { OutboxPage } from './pages/outbox/OutboxPage';
import { CalendarPage } from './pages/bookings/CalendarPage';
import { ServicesPage } from './pages/services/ServicesPage';
import { TeamPage } from './pages/team/TeamPage';
import { WidgetPage } from './pages/widget/WidgetPage';
import { IntegrationsPage } from './pages/integrations/IntegrationsPage';
import { WebhooksPage } from './pages/webhooks/WebhooksPage';
import { SettingsPage } from './pages/settings/SettingsPage';
import { AnalyticsPage } from './pages/analytics/AnalyticsPage';
import { AuditPage } from './pages/audit/AuditPage';
import { CustomersPage } from './pages/customers/CustomersPage';
import { sections, sectionsFor } from './sections';

/** The signed-in app: loads who the user is, then the header, nav and the current section. */
export function Shell({ api, onSignOut, wsUrl }: { api: ApiClient; onSignOut: () => void; wsUrl?: string }) {
  const loadMe = useCallback((signal: AbortSignal) => api.getMe({ signal }), [api]);
  const { data: me, error, reload } = useLoader(loadMe);
  const route = useHashRoute();
  const mainRef = useRef<HTMLElement>(null);
  const role = me !== undefined ? roleOf(me.groups) : undefined;
  const session = useMemo<Session | undefined>(
    () => (me !== undefined && role !== undefined ? { api, me, role, isAdmin: role === 'admin', ...(wsUrl !== undefined ? { wsUrl } : {}) } : undefined),
    [api, me, role, wsUrl],
  );
  const current: SectionName | undefined = route.name === 'notFound' ? undefined : route.name;
  const section = sections.find((s) => s.name === current);

  // Drafts another staff member left in this tab, their session ended without signing out, are not theirs to keep.
  useEffect(() => {
    if (me !== undefined) dropOthersDrafts(tabStorage(), me.email);
  }, [me]);

  useEffect(() => {
    if (me !== undefined) document.title = `${section?.label ?? 'Not found'} · ${me.business.name} · Concierge`;
  }, [me, section]);

  // Moving between sections puts focus on the new page's heading, for keyboard and screen-reader users.
  const previousSection = useRef(current);
  useEffect(() => {
    if (previousSection.current !== current) mainRef.current?.querySelector<HTMLElement>('h1')?.focus();
    previousSection.current = current;
  }, [current]);

  if (me === undefined) {
    if (error === undefined) {
      return (
        <Screen title="Signing you in" testId="session-loading">
          <Loading label="Loading your account…" />
        </Screen>
      );
    }
    return (
      <Screen title="Could not load your account" testId="session-error">
        <ErrorBanner error={error} />
        <div className="button-row">
          <button type="button" className="button" onClick={reload}>
            Try again
          </button>
          <button type="button" className="button button--secondary" onClick={onSignOut} data-testid="sign-out-button">
            Sign out
          </button>
        </div>
      </Screen>
    );
  }
  if (session === undefined) {
    return (
      <Screen title="No access" testId="session-no-role">
        <p>
          {me.email} is signed in but is not in the <code>admin</code> or <code>agent</code> group. Ask the owner of {me.business.name} to add
          you.
        </p>
        <button type="button" className="button" onClick={onSignOut} data-testid="sign-out-button">
          Sign out
        </button>
      </Screen>
    );
  }

  // Signing out drops unsaved edits too: ask first, as leaving the page does.
  const signOut = (): void => {
    if (unsavedChanges.mayLeave((message) => window.confirm(message))) onSignOut();
  };

  const skipToMain = (e: MouseEvent<HTMLAnchorElement>): void => {
    e.preventDefault();
    mainRef.current?.focus();
  };

  return (
    <SessionContext.Provider value={session}>
      <a className="skip-link" href="#main-content" onClick={skipToMain}>
        Skip to content
      </a>
      <div className="app">
        <Header me={session.me} role={session.role} onSignOut={signOut} />
        <div className="app__body">
          <Nav sections={sectionsFor(session.isAdmin)} current={current} />
          <main id="main-content" className="app__main" ref={mainRef} tabIndex={-1}>
            {section?.adminOnly === true && !session.isAdmin ? <Forbidden /> : <Page route={route} />}
          </main>
        </div>
      </div>
    </SessionContext.Provider>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.name) {
    case 'conversations':
      return <ConversationsPage conversationId={route.conversationId} />;
    case 'knowledge':
      return <KnowledgePage />;
    case 'inbox':
      return <InboxPage queue={route.queue} conversationId={route.conversationId} />;
    case 'settings':
      return <SettingsPage />;
    case 'outbox':
      return <OutboxPage />;
    case 'calendar':
      return <CalendarPage />;
    case 'services':
      return <ServicesPage />;
    case 'team':
      return <TeamPage />;
    case 'widget':
      return <WidgetPage />;
    case 'integrations':
      return <IntegrationsPage />;
    case 'webhooks':
      return <WebhooksPage />;
    case 'analytics':
      return <AnalyticsPage />;
    case 'audit':
      return <AuditPage />;
    case 'customers':
      return <CustomersPage />;
    case 'notFound':
      return (
        <div className="empty-page" data-testid="not-found">
          <h1 tabIndex={-1}>Page not found</h1>
          <p>
            There is nothing at this address. <a href={hrefFor({ name: 'conversations' })}>Go to conversations</a>.
          </p>
        </div>
      );
  }
}

function Forbidden() {
  return (
    <div className="empty-page" data-testid="forbidden">
      <h1 tabIndex={-1}>Admins only</h1>
      <p>This section is for the business's admins.</p>
    </div>
  );
}

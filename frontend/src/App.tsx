import { Authenticator, useAuthenticator } from '@aws-amplify/ui-react';
import { useMemo } from 'react';
import { createApiClient } from './api/client';
import { getIdToken, signInServiceFor } from './auth/amplify';
import { Loading } from './components/Loading';
import { dropAllDrafts, tabStorage } from './lib/drafts';
import type { AppConfig } from './lib/config';
import { resolveApiUrl } from './lib/url';
import { Shell } from './Shell';

export function App({ config }: { config: AppConfig }) {
  return (
    <Authenticator.Provider>
      <Gate config={config} />
    </Authenticator.Provider>
  );
}

function SignInHeader() {
  return (
    <div className="auth-header">
      <p className="brand">Concierge</p>
      <h1>Sign in to your business</h1>
    </div>
  );
}

const authComponents = { Header: SignInHeader };

/**
 * The Authenticator stays mounted in one place for the whole session: it hands
 * its `services` (our sign-in flow) to the auth state machine only when it is
 * mounted while the machine starts. Mounting it only after a sign-out (e.g.
 * after a reload while signed in) leaves the machine on Amplify's default SRP
 * flow, which cognito-local refuses.
 */
function Gate({ config }: { config: AppConfig }) {
  const { route, signOut } = useAuthenticator((ctx) => [ctx.route]);
  const services = useMemo(() => ({ handleSignIn: signInServiceFor(config) }), [config]);
  const api = useMemo(() => createApiClient({ apiUrl: resolveApiUrl(config.apiUrl, window.location.href), getIdToken }), [config]);
  const signedIn = route === 'authenticated' || route === 'signOut';
  const starting = route === 'idle' || route === 'setup';
  // Inbox reply drafts may quote customers, and whoever signs in next at this desk is someone else (lib/drafts.ts).
  const signOutDroppingDrafts = (): void => {
    dropAllDrafts(tabStorage());
    signOut();
  };

  return (
    <>
      {signedIn && <Shell api={api} onSignOut={signOutDroppingDrafts} {...(config.wsUrl !== undefined ? { wsUrl: config.wsUrl } : {})} />}
      <main className="auth-screen" hidden={signedIn} data-testid="auth-screen">
        {starting && <Loading label="Checking your session…" />}
        <Authenticator hideSignUp services={services} components={authComponents} />
      </main>
    </>
  );
}

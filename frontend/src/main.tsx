import '@aws-amplify/ui-react/styles.css';
import './styles/app.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { configureAuth } from './auth/amplify';
import { Loading } from './components/Loading';
import { Screen } from './components/Screen';
import { CONFIG_URL, loadConfig } from './lib/config';

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root');
const root = createRoot(container);

root.render(
  <Screen title="Concierge admin" testId="app-starting">
    <Loading label="Starting…" />
  </Screen>,
);

void loadConfig((input, init) => fetch(input, init)).then((result) => {
  if (!result.ok) {
    root.render(
      <Screen title="The admin app is not configured" testId="config-error">
        <p>
          It reads its settings from <code>{CONFIG_URL}</code> next to this page, and that file is missing or incomplete:
        </p>
        <ul data-testid="config-problems">
          {result.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
        <p className="muted">Whoever deployed this environment should provide it; see frontend/README.md.</p>
      </Screen>,
    );
    return;
  }
  configureAuth(result.config);
  root.render(
    <StrictMode>
      <App config={result.config} />
    </StrictMode>,
  );
});

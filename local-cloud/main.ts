/**
 * `npm start`: builds the widget and admin UI when their sources changed,
 * starts the local cloud with data kept in .local-data/, prints the URLs and a
 * staff login, and stops everything cleanly on Ctrl-C.
 */
// Deployed Lambdas run on Node 22; the local cloud runs on Node 20 on purpose, so the SDK's notice is noise here.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_DIR, startLocalCloud, type LocalCloud } from './index';
import { JavaMissingError } from './dynamodb-local';
import { PortInUseError, assertPortFree } from './process-support';

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function ensureBuilt(): void {
  const outputs = [join(ROOT_DIR, 'dist', 'widget', 'loader.js'), join(ROOT_DIR, 'dist', 'admin', 'index.html'), join(ROOT_DIR, 'dist', 'demo-site', 'index.html')];
  const builtAt = Math.min(...outputs.map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
  const sourcesAt = Math.max(newestMtime(join(ROOT_DIR, 'widget')), newestMtime(join(ROOT_DIR, 'frontend')), newestMtime(join(ROOT_DIR, 'lambdas', 'core')));
  if (builtAt > sourcesAt) return;
  console.log('• building the widget and the admin UI…');
  execSync('npm run --silent build', { cwd: ROOT_DIR, stdio: 'inherit' });
}

const port = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`${name} must be a port number`);
  return value;
};

async function main(): Promise<void> {
  const started = Date.now();
  ensureBuilt();
  let cloud: LocalCloud;
  const ports = {
    demoSite: port('DEMO_SITE_PORT', 4000),
    gateway: port('GATEWAY_PORT', 4001),
    dynamodb: port('DYNAMODB_PORT', 4002),
    cognito: port('COGNITO_PORT', 4003),
  };
  try {
    // Every port is checked before anything starts, so a clash is reported with the variable that moves it.
    for (const [name, value] of [
      ['demo website (DEMO_SITE_PORT)', ports.demoSite],
      ['gateway (GATEWAY_PORT)', ports.gateway],
      ['DynamoDB Local (DYNAMODB_PORT)', ports.dynamodb],
      ['local Cognito (COGNITO_PORT)', ports.cognito],
    ] as const) {
      if (value !== 0) await assertPortFree(name, value);
    }
    cloud = await startLocalCloud({ dataDir: process.env['CONCIERGE_DATA_DIR'] ?? join(ROOT_DIR, '.local-data'), ports });
  } catch (error) {
    if (error instanceof JavaMissingError || error instanceof PortInUseError) {
      console.error(`\n✖ ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`
Concierge local cloud is up (${seconds} s)

  Demo website (widget embedded)  ${cloud.urls.demoSite}
  Admin UI                        ${cloud.urls.admin}
    staff login                   ${cloud.demo.staffEmail} / ${cloud.demo.staffPassword}
  REST API                        ${cloud.urls.rest}/v1/health
  Channel simulator (WhatsApp, SMS, Messenger)  ${cloud.urls.rest}/simulator
  WebSocket API                   ${cloud.urls.ws}
  Local Cognito                   ${cloud.urls.cognito}
  DynamoDB Local                  ${cloud.urls.dynamodb}

  Widget key of the demo tenant   ${cloud.demo.widgetKey}
  Data is kept in .local-data/ (delete it to start afresh). Ctrl-C stops everything.
`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    console.log('\n• stopping…');
    cloud
      .stop()
      .then(() => {
        console.log('• stopped; data kept in .local-data/');
        process.exit(0);
      })
      .catch((error: unknown) => {
        console.error(error);
        process.exit(1);
      });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error('\n✖ the local cloud could not start:', error instanceof Error ? error.message : error);
  process.exit(1);
});

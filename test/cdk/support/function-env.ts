/**
 * The contract between the stack and the functions' configuration (lambdas/adapters/config.ts): every variable
 * the stack sets on a function is one the functions' code reads, and what a function gets passes the same checks
 * its cold start runs. CloudFormation references (ARNs, endpoints, table names) are resolved to sample values of
 * the right shape; a literal value is checked as it is.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../../lambdas/adapters/config';

/** Read by the runtime or by Powertools itself, not by our code. */
const PLATFORM = new Set(['NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE', 'POWERTOOLS_LOG_LEVEL', 'AWS_NODEJS_CONNECTION_REUSE_ENABLED']);

/** What a deployed reference resolves to, by variable (only the variables whose format the functions check). */
const SAMPLES: Readonly<Record<string, string>> = {
  WS_MANAGEMENT_ENDPOINT: 'https://abc123.execute-api.eu-west-1.amazonaws.com/live',
  STATE_MACHINE_ARNS: '{"Booking":"arn:aws:states:eu-west-1:123456789012:stateMachine:Booking"}',
  OPENSEARCH_ENDPOINT: 'https://abc123.eu-west-1.aoss.amazonaws.com',
  OPENAI_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:concierge/openai',
  CORS_ALLOWED_ORIGINS: '["https://d111.cloudfront.net","https://main.d222.amplifyapp.com"]',
  WIDGET_LOADER_URL: 'https://d111.cloudfront.net/widget/loader.js',
  CHECKOUT_RETURN_URL: 'https://d111.cloudfront.net/widget/checkout-return.html',
  PUBLIC_API_URL: 'https://abc123.execute-api.eu-west-1.amazonaws.com/live',
  ADMIN_UI_URL: 'https://main.d222.amplifyapp.com/',
  INTEGRATIONS_KMS_KEY_ID: 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555',
};

let source: string | undefined;
/** Every TypeScript file the functions are bundled from, as one text. */
function functionSource(): string {
  if (source === undefined) {
    const root = join(__dirname, '..', '..', '..', 'lambdas');
    source = readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(join(root, f), 'utf8'))
      .join('\n');
  }
  return source;
}

/** Each of our functions' environment (those of CDK's own helper functions left out), by logical id. */
export function functionEnvironments(template: Template): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const [id, resource] of Object.entries(template.findResources('AWS::Lambda::Function'))) {
    const variables = (resource as { Properties?: { Environment?: { Variables?: Record<string, unknown> } } }).Properties?.Environment?.Variables;
    if (variables && 'POWERTOOLS_SERVICE_NAME' in variables) out.set(id, variables);
  }
  return out;
}

/** A function's environment as deployed: references resolved to sample values of the right shape. */
export function resolvedEnvironment(variables: Record<string, unknown>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) env[name] = typeof value === 'string' ? value : (SAMPLES[name] ?? 'resolved-reference');
  return env;
}

/** Problems with what the stack gives the functions: variables nobody reads, values their cold start would refuse. */
export function environmentProblems(template: Template): string[] {
  const problems: string[] = [];
  const code = functionSource();
  for (const [id, variables] of functionEnvironments(template)) {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(variables)) {
      if (!PLATFORM.has(name) && !code.includes(`'${name}'`) && !new RegExp(`\\b${name}:`).test(code)) problems.push(`${id}: ${name} is set but never read`);
      env[name] = typeof value === 'string' ? value : (SAMPLES[name] ?? 'resolved-reference');
    }
    try {
      loadConfig([], env);
    } catch (error) {
      problems.push(`${id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return problems;
}

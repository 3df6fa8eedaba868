import { App, Validations } from 'aws-cdk-lib';
import type { AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConciergeStack } from './concierge-stack';
import { resolveTenantEnvironment } from './config';
import type { TenantEnvironmentInput } from './config';
import { DEFAULT_ENVIRONMENT, environments } from './environments';

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  /** Passed to `new App()` (context, outdir). */
  readonly appProps?: AppProps;
  /**
   * The tenant environments to choose from.
   * @default the environments of lib/environments.ts
   */
  readonly environments?: Readonly<Record<string, TenantEnvironmentInput>>;
  /**
   * Run the cdk-nag AwsSolutions checks at synthesis.
   * @default true
   */
  readonly nag?: boolean;
}

/**
 * The CDK app: the tenant environment named by `-c env=<name>` (default
 * `demo`), validated, as one stack `Concierge-<name>`, checked by cdk-nag.
 */
export function buildApp(options: BuildAppOptions = {}): { app: App; stack: ConciergeStack } {
  const app = new App(options.appProps);
  const requested: unknown = app.node.tryGetContext('env') ?? DEFAULT_ENVIRONMENT;
  const config = resolveTenantEnvironment(String(requested), options.environments ?? environments);
  const stack = new ConciergeStack(app, `Concierge-${config.name}`, {
    config,
    env: { account: config.account, region: config.region },
    description: `Concierge tenant environment "${config.name}"`,
  });
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

/**
 * Every cdk-nag acknowledgement must answer a finding cdk-nag really reports
 * (no stale or speculative acknowledgements), and the reasons stay specific.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConciergeStack } from '../../lib/concierge-stack';
import { resolveTenantEnvironment } from '../../lib/config';
import { environments } from '../../lib/environments';

afterEach(() => jest.restoreAllMocks());

it.each(Object.keys(environments))('%s: each acknowledgement matches a raw finding under its construct', (envName) => {
  const acknowledged: Array<{ path: string; id: string; reason: string }> = [];
  const realOf = Validations.of.bind(Validations);
  jest.spyOn(Validations, 'of').mockImplementation((scope) => {
    const validations = realOf(scope);
    // Record instead of acknowledging, so cdk-nag reports the raw findings.
    jest.spyOn(validations, 'acknowledge').mockImplementation((...rules) => {
      for (const rule of rules) acknowledged.push({ path: scope.node.path, id: rule.id, reason: rule.reason });
    });
    return validations;
  });

  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const config = resolveTenantEnvironment(envName, environments);
  new ConciergeStack(app, `Concierge-${config.name}`, { config, env: { region: config.region } });
  const raw = new AwsSolutionsChecks().validateScope(app).violations.filter((v) => v.ruleName.startsWith('AwsSolutions-'));

  const nagAcks = acknowledged.filter((a) => a.id.startsWith('AwsSolutions-'));
  expect(nagAcks.length).toBeGreaterThan(0);
  const stale = nagAcks.filter(
    (ack) =>
      !raw.some(
        (v) => v.ruleName === ack.id && v.violatingResources.some((r) => r.constructPath === ack.path || r.constructPath?.startsWith(`${ack.path}/`)),
      ),
  );
  expect(stale.map((a) => `${a.id} at ${a.path}`)).toEqual([]);
  for (const ack of nagAcks) expect(ack.reason.length).toBeGreaterThan(40);
});

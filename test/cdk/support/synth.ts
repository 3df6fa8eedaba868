/**
 * Synthesizes a tenant environment once per test file, with bundling skipped
 * and the cdk-nag AwsSolutions pack registered the v3 way
 * (`Validations.of(app).addPlugins(...)`).
 */
import { App, CfnElement, Validations } from 'aws-cdk-lib';
import type { Stack } from 'aws-cdk-lib';
import type { PolicyValidationPluginReport } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConciergeStack } from '../../../lib/concierge-stack';
import { resolveTenantEnvironment } from '../../../lib/config';
import type { TenantEnvironmentInput } from '../../../lib/config';
import { environments } from '../../../lib/environments';

export interface Synthesized {
  readonly stack: ConciergeStack;
  readonly template: Template;
  /** What the AwsSolutions pack reported (acknowledged findings are not in it). */
  readonly nag: PolicyValidationPluginReport;
  /** Every plugin's findings from the cloud assembly's validation report. */
  readonly validationReport: ValidationReport;
}

export interface ValidationReport {
  readonly pluginReports: ReadonlyArray<{
    readonly pluginName: string;
    readonly violations: ReadonlyArray<{ readonly ruleName: string; readonly severity?: string }>;
  }>;
}

export interface SynthOptions {
  /** Override fields of the named environment. */
  readonly overrides?: Partial<TenantEnvironmentInput>;
  /** Folder with built widget files. */
  readonly widgetDir?: string;
}

export function synthesize(envName: string, options: SynthOptions = {}): Synthesized {
  const outdir = mkdtempSync(path.join(tmpdir(), 'concierge-cdk-'));
  try {
    const app = new App({
      outdir,
      context: { 'aws:cdk:bundling-stacks': [] },
      // CDK's own CloudFormation schema validation (a WASM engine, ~10-30 s) runs in `cdk synth`; unit tests check cdk-nag.
      builtinCloudFormationValidation: false,
      treeMetadata: false,
    });
    const declared = environments[envName];
    if (!declared) throw new Error(`No environment ${envName}`);
    const config = resolveTenantEnvironment(envName, { [envName]: { ...declared, ...options.overrides } });
    const stack = new ConciergeStack(app, `Concierge-${config.name}`, {
      config,
      env: { account: config.account, region: config.region },
      // Absent by default so tests do not depend on whether someone has built the widget.
      widgetDir: options.widgetDir ?? path.join(outdir, 'no-widget'),
    });
    const pack = new AwsSolutionsChecks(app);
    const reports: PolicyValidationPluginReport[] = [];
    const validate = pack.validate.bind(pack);
    jest.spyOn(pack, 'validate').mockImplementation((context) => {
      const report = validate(context);
      reports.push(report);
      return report;
    });
    Validations.of(app).addPlugins(pack);

    let assembly;
    try {
      assembly = app.synth();
    } catch (error) {
      // cdk-nag errors fail synthesis; the message carries the whole report.
      throw new Error(`Synthesis of ${envName} failed:\n${error instanceof Error ? error.message : String(error)}`);
    }
    const nag = reports[0];
    if (!nag) throw new Error('cdk-nag did not run');
    const validationReport = parseReport(readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'));
    const template = Template.fromJSON(assembly.getStackByName(stack.stackName).template);
    return { stack, template, nag, validationReport };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function parseReport(text: string): ValidationReport {
  const json: unknown = JSON.parse(text);
  if (typeof json !== 'object' || json === null || !('pluginReports' in json) || !Array.isArray(json.pluginReports)) {
    throw new Error('validation-report.json has no pluginReports');
  }
  return {
    pluginReports: json.pluginReports.map((r: unknown) => {
      if (typeof r !== 'object' || r === null || !('pluginName' in r) || !('violations' in r) || !Array.isArray(r.violations)) {
        throw new Error('Unexpected plugin report shape');
      }
      return {
        pluginName: String(r.pluginName),
        violations: r.violations.map((v: unknown) => ({
          ruleName: typeof v === 'object' && v !== null && 'ruleName' in v ? String(v.ruleName) : '?',
          severity: typeof v === 'object' && v !== null && 'severity' in v ? String(v.severity) : undefined,
        })),
      };
    }),
  };
}

/** The logical id of the Lambda function that implements a declared function. */
export function functionLogicalId(stack: ConciergeStack, name: Parameters<ConciergeStack['functions']['get']>[0]): string {
  return logicalIdOf(stack, stack.functions.get(name).fn.node.defaultChild);
}

export function logicalIdOf(stack: Stack, construct: unknown): string {
  if (!CfnElement.isCfnElement(construct)) throw new Error('Not a CloudFormation element');
  return stack.getLogicalId(construct);
}

/**
 * Synthesizes a tenant environment once per test file, with bundling skipped
 * and the cdk-nag AwsSolutions pack registered the v3 way
 * (`Validations.of(app).addPlugins(...)`).
 */
import { App, CfnElement, NestedStack, Validations } from 'aws-cdk-lib';
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
  /**
   * The environment as one template: the stack's resources with its nested stacks' resources inlined, their
   * parameters replaced by what the stack passes them and the stack's references to their outputs by the
   * outputs' values (so a method's integration names the function's logical id, as it would in one stack).
   */
  readonly template: Template;
  /** Each CloudFormation template as deployed (the stack first, then its nested stacks), for per-stack limits. */
  readonly templates: ReadonlyArray<{ readonly name: string; readonly json: CfnTemplate }>;
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
    const parent = assembly.getStackByName(stack.stackName).template as CfnTemplate;
    const nested = stack.node
      .findAll()
      .filter(NestedStack.isNestedStack)
      .map((n) => {
        const resource = n.nestedStackResource;
        if (!resource) throw new Error(`${n.node.path} has no stack resource`);
        return {
          name: n.node.path,
          resourceId: stack.getLogicalId(resource),
          json: JSON.parse(readFileSync(path.join(assembly.directory, n.templateFile), 'utf8')) as CfnTemplate,
        };
      });
    const templates = [{ name: stack.stackName, json: parent }, ...nested.map(({ name, json }) => ({ name, json }))];
    return { stack, template: Template.fromJSON(inlineNestedStacks(parent, nested)), templates, nag, validationReport };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * The templates that could not take `routes` more REST routes before CloudFormation's limit of 500 resources
 * per template, as "name: count". A route counted here is a method on one new path segment: the method, the
 * segment's resource and its CORS preflight (a route nested deeper adds a resource and a preflight per new
 * segment).
 */
export function templatesWithoutRoomFor(s: Synthesized, routes: number): string[] {
  return s.templates.map((t) => ({ name: t.name, count: Object.keys(t.json.Resources).length })).filter((t) => t.count + 3 * routes > 500).map((t) => `${t.name}: ${t.count}`);
}

/** The parts of a CloudFormation template the flattening reads. */
export interface CfnTemplate {
  readonly Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; [key: string]: unknown }>;
  readonly Outputs?: Record<string, { Value: unknown }>;
  readonly [key: string]: unknown;
}

/** Replaces, anywhere in a JSON value, each object `replace` maps to something else. */
function substitute(value: unknown, replace: (node: Record<string, unknown>) => unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => substitute(v, replace));
  if (typeof value !== 'object' || value === null) return value;
  const node = value as Record<string, unknown>;
  const replaced = replace(node);
  if (replaced !== undefined) return replaced;
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, substitute(v, replace)]));
}

/** One template of a stack and its (one level of) nested stacks; see {@link Synthesized.template}. */
function inlineNestedStacks(parent: CfnTemplate, nested: ReadonlyArray<{ resourceId: string; json: CfnTemplate }>): CfnTemplate {
  const resources: CfnTemplate['Resources'] = {};
  const outputs = new Map<string, unknown>();
  for (const { resourceId, json } of nested) {
    const parameters = (parent.Resources[resourceId]?.Properties?.['Parameters'] ?? {}) as Record<string, unknown>;
    const resolved = substitute(json, (node) => (typeof node['Ref'] === 'string' && node['Ref'] in parameters ? parameters[node['Ref']] : undefined)) as CfnTemplate;
    for (const [id, resource] of Object.entries(resolved.Resources)) {
      if (id in parent.Resources || id in resources) throw new Error(`logical id ${id} is in more than one stack`);
      resources[id] = resource;
    }
    for (const [name, output] of Object.entries(resolved.Outputs ?? {})) outputs.set(`${resourceId}.Outputs.${name}`, output.Value);
  }
  const own = substitute(parent, (node) => {
    const att = node['Fn::GetAtt'];
    return Array.isArray(att) && att.length === 2 ? outputs.get(`${String(att[0])}.${String(att[1])}`) : undefined;
  }) as CfnTemplate;
  // The nested stacks' own resources stay: the stack's DependsOn lists name them.
  return { ...own, Resources: { ...own.Resources, ...resources } };
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

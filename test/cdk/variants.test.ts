/** Configuration variants that change what the stack grants or uploads. */
import { Match } from 'aws-cdk-lib/assertions';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildApp } from '../../lib/app';
import { functionLogicalId, synthesize } from './support/synth';
import { environmentProblems } from './support/function-env';
import type { Synthesized } from './support/synth';

let openai: Synthesized;
let openaiOpenSearch: Synthesized;
let widgetDir: string;
beforeAll(() => {
  widgetDir = mkdtempSync(path.join(tmpdir(), 'concierge-widget-'));
  writeFileSync(path.join(widgetDir, 'widget.js'), 'console.log("widget")');
  openai = synthesize('demo', { overrides: { llmProvider: 'openai', openAiSecretName: 'concierge/openai' }, widgetDir });
  openaiOpenSearch = synthesize('demo', { overrides: { llmProvider: 'openai', openAiSecretName: 'concierge/openai', vectorStore: 'opensearch-serverless' }, widgetDir });
});
afterAll(() => rmSync(widgetDir, { recursive: true, force: true }));

describe('llmProvider openai', () => {
  it('reads the API key secret instead of calling Bedrock', () => {
    const policies = JSON.stringify(openai.template.findResources('AWS::IAM::Policy'));
    expect(policies).not.toContain('bedrock:');
    expect(policies).toContain('secretsmanager:GetSecretValue');
    expect(policies).toContain(':secret:concierge/openai-??????');
    openai.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ LLM_PROVIDER: 'openai', OPENAI_SECRET_ARN: Match.anyValue() }) },
    });
  });

  it('gives the functions the secret in a form their configuration reads (OPENAI_SECRET_ARN)', () => {
    expect(environmentProblems(openai.template)).toEqual([]);
  });

  it('still passes cdk-nag', () => {
    expect(openai.nag.violations.map((v) => v.ruleName)).toEqual([]);
  });

  it('with OpenSearch Serverless, still embeds with Titan: the searching functions and the knowledge indexer may invoke it, nothing else of Bedrock', () => {
    const withBedrock = Object.values(openaiOpenSearch.template.findResources('AWS::IAM::Policy'))
      .map((p) => JSON.stringify(p))
      .filter((p) => p.includes('bedrock:InvokeModel'));
    expect(withBedrock.length).toBeGreaterThanOrEqual(2);
    for (const p of withBedrock) expect(p).toContain('foundation-model/amazon.titan-embed-text-v2:0');
    expect(JSON.stringify(openaiOpenSearch.template.findResources('AWS::IAM::Policy'))).not.toContain('nova');
    for (const name of ['wsMessage', 'knowledgeIndexer'] as const) {
      const [, fn] = Object.entries(openaiOpenSearch.template.findResources('AWS::Lambda::Function')).find(([id]) => id === functionLogicalId(openaiOpenSearch.stack, name)) ?? [];
      expect([name, JSON.stringify(fn)]).toEqual([name, expect.stringContaining('"EMBEDDING_MODEL_ID":"amazon.titan-embed-text-v2:0"')]);
    }
    expect(environmentProblems(openaiOpenSearch.template)).toEqual([]);
    expect(openaiOpenSearch.nag.violations.map((v) => v.ruleName)).toEqual([]);
  });
});

it('uploads the built widget next to config.json when dist/widget exists', () => {
  expect(openai.stack.widget.includesWidgetFiles).toBe(true);
  openai.template.hasResourceProperties('Custom::CDKBucketDeployment', {
    SourceObjectKeys: Match.arrayEquals([Match.anyValue(), Match.anyValue()]),
  });
});

it('buildApp picks demo by default and names the stack after the environment', () => {
  const { stack } = buildApp({ appProps: { context: { 'aws:cdk:bundling-stacks': [] } }, nag: false });
  expect(stack.stackName).toBe('Concierge-demo');
  expect(stack.region).toBe('us-east-1');
});

it('buildApp honours -c env=production-example', () => {
  const { stack } = buildApp({ appProps: { context: { env: 'production-example', 'aws:cdk:bundling-stacks': [] } }, nag: false });
  expect(stack.stackName).toBe('Concierge-production-example');
  expect(stack.vectors).toBeDefined();
});

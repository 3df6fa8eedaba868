import { ConfigError, resolveTenantEnvironment, tenantEnvironmentSchema } from '../../lib/config';
import { DEFAULT_ENVIRONMENT, environments } from '../../lib/environments';
import { buildApp } from '../../lib/app';

describe('tenant environment configuration', () => {
  it.each(Object.keys(environments))('%s parses with its defaults applied', (name) => {
    const config = resolveTenantEnvironment(name, environments);
    expect(config.name).toBe(name);
    expect(config.llmProvider).toMatch(/^(bedrock|openai|embedded)$/);
  });

  it('declares a small demo without OpenSearch and a production example with it', () => {
    expect(DEFAULT_ENVIRONMENT).toBe('demo');
    expect(resolveTenantEnvironment('demo', environments).vectorStore).toBe('embedded');
    expect(resolveTenantEnvironment('production-example', environments).vectorStore).toBe('opensearch-serverless');
  });

  it('applies the documented defaults', () => {
    const config = tenantEnvironmentSchema.parse({ name: 'minimal', region: 'eu-west-1', retentionDays: 30 });
    expect(config).toMatchObject({
      llmProvider: 'bedrock',
      vectorStore: 'opensearch-serverless',
      allowedWidgetOrigins: [],
      tableEncryption: 'aws-managed',
      staffMfa: 'required',
    });
  });

  it('rejects an unknown environment, naming the valid ones', () => {
    expect(() => resolveTenantEnvironment('prod', environments)).toThrow(ConfigError);
    expect(() => resolveTenantEnvironment('prod', environments)).toThrow(
      'Unknown tenant environment "prod". Valid environments: demo, production-example.',
    );
  });

  it('does not treat inherited object keys as environments', () => {
    expect(() => resolveTenantEnvironment('toString', environments)).toThrow('Unknown tenant environment "toString"');
  });

  it('names every invalid field', () => {
    const bad = {
      name: 'bad',
      region: 'moon-1',
      retentionDays: 13,
      allowedWidgetOrigins: ['https://shop.example.com/path'],
      vectorStore: 'pinecone',
      alarmEmail: 'not-an-email',
    };
    let message = '';
    try {
      resolveTenantEnvironment('bad', { bad });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = error instanceof Error ? error.message : '';
    }
    expect(message).toContain('Tenant environment "bad" is invalid');
    expect(message).toContain('region: must be an AWS region like us-east-1');
    expect(message).toContain('retentionDays: must be one of 1, 3, 5, 7, 14');
    expect(message).toContain('allowedWidgetOrigins.0: must be an origin');
    expect(message).toContain('vectorStore:');
    expect(message).toContain('alarmEmail: must be an email address');
  });

  it('requires the OpenAI key secret when the provider is openai', () => {
    expect(() =>
      resolveTenantEnvironment('x', { x: { name: 'x', region: 'us-east-1', retentionDays: 7, llmProvider: 'openai' } }),
    ).toThrow('openAiSecretName: is required when llmProvider is openai');
  });

  it('rejects unknown fields (typos do not pass silently)', () => {
    expect(() =>
      resolveTenantEnvironment('x', { x: { name: 'x', region: 'us-east-1', retentionDays: 7, vectorstore: 'embedded' } }),
    ).toThrow(/Unrecognized key.*vectorstore/);
  });

  it('rejects a key that differs from the declared name', () => {
    expect(() => resolveTenantEnvironment('alpha', { alpha: { name: 'beta', region: 'us-east-1', retentionDays: 7 } })).toThrow(
      'the key and the name must match',
    );
  });

  it('buildApp reports a bad -c env=... with the valid names before building anything', () => {
    expect(() => buildApp({ appProps: { context: { env: 'staging' } }, nag: false })).toThrow(
      /Unknown tenant environment "staging"\. Valid environments: demo, production-example\./,
    );
  });
});

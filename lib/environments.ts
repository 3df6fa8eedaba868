/**
 * The tenant environments this repository can deploy, one stack each
 * (`Concierge-<name>`). Pick one with `npx cdk synth -c env=<name>`.
 */
import type { TenantEnvironmentInput } from './config';

export const DEFAULT_ENVIRONMENT = 'demo';

export const environments: Readonly<Record<string, TenantEnvironmentInput>> = {
  /** A small, cheap environment: vectors kept in DynamoDB, no OpenSearch collection, short log retention. */
  demo: {
    name: 'demo',
    region: 'us-east-1',
    llmProvider: 'bedrock',
    bedrockModelId: 'amazon.nova-lite-v1:0',
    vectorStore: 'embedded',
    allowedWidgetOrigins: ['https://www.example.com'],
    retentionDays: 14,
    tableEncryption: 'aws-managed',
    staffMfa: 'optional',
    throttling: { rateLimit: 20, burstLimit: 40 },
  },
  /** What a production tenant looks like: OpenSearch Serverless, customer-managed key, alarms, a custom domain. */
  'production-example': {
    name: 'production-example',
    region: 'us-east-1',
    domain: 'concierge.example.com',
    llmProvider: 'bedrock',
    bedrockModelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
    vectorStore: 'opensearch-serverless',
    opensearchStandbyReplicas: true,
    allowedWidgetOrigins: ['https://www.example.com', 'https://shop.example.com'],
    retentionDays: 90,
    alarmEmail: 'ops@example.com',
    tableEncryption: 'customer-managed',
    staffMfa: 'required',
    throttling: { rateLimit: 100, burstLimit: 200 },
  },
};

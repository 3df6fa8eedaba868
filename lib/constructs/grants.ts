import { ArnFormat, Stack } from 'aws-cdk-lib';
import type { WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Grant } from '../declaration';
import type { ConciergeFunction } from './concierge-function';
import type { VectorSearchCollection } from './vector-search-collection';

/** How `llm:invoke` is satisfied in this tenant environment. */
export type LanguageModelAccess =
  | { readonly provider: 'bedrock'; readonly modelId: string }
  | { readonly provider: 'openai'; readonly apiKeySecret: ISecret }
  | { readonly provider: 'embedded' };

/** How `email:send` is satisfied: SES from a verified identity, or (absent) the table's outbox. */
export interface SesSenderAccess {
  readonly from: string;
  /** The verified identity covering `from` (a domain or the address). */
  readonly identity: string;
  readonly configurationSet?: string;
}

/** Everything a declared grant can point at. */
export interface GrantTargets {
  readonly table: ITable;
  readonly bus: IEventBus;
  readonly webSocket: { readonly api: WebSocketApi; readonly stage: WebSocketStage };
  readonly stateMachines: Readonly<Record<string, IStateMachine>>;
  readonly languageModel: LanguageModelAccess;
  /** The OpenSearch Serverless collection, when the vector store is OpenSearch. */
  readonly vectorCollection?: VectorSearchCollection;
  /** The Bedrock model that embeds passages and questions for the collection (Titan Text Embeddings v2), whatever model answers. */
  readonly embeddingModelId: string;
  /** The SES sender, when the environment names one. */
  readonly email?: SesSenderAccess;
  /** The staff user pool (`staff:manage`). */
  readonly userPool: IUserPool;
  /** The KMS key of tenants' integration credentials (`secrets:decrypt`, `secrets:encrypt`). */
  readonly integrationsKey: IKey;
}

/**
 * Applies one declared grant to a function: the least privilege and the
 * environment variable that names the resource, together.
 *
 * `llm:invoke` means "answer from the knowledge base": the answering model and,
 * with OpenSearch Serverless, the vector collection and its embedding model.
 * `knowledge:index` is the same without the answering model (the knowledge indexer).
 * `email:send` means SES on the environment's sender identity, or nothing
 * beyond the table when e-mail stays in the outbox.
 */
export function applyGrant(fn: ConciergeFunction, grant: Grant, targets: GrantTargets): void {
  switch (grant) {
    case 'table:read':
      return fn.grantTableRead(targets.table);
    case 'table:write':
      return fn.grantTableWrite(targets.table);
    case 'bus:put':
      return fn.grantPutEvents(targets.bus);
    case 'ws:post':
      return fn.grantPostToConnections(targets.webSocket.api, targets.webSocket.stage);
    case 'workflows:start':
      return fn.grantStartWorkflows(targets.stateMachines);
    case 'workflows:callback':
      return fn.grantWorkflowCallbacks(targets.stateMachines);
    case 'llm:invoke':
      grantLanguageModel(fn, targets.languageModel);
      return grantVectorSearch(fn, targets);
    case 'knowledge:index':
      return grantVectorSearch(fn, targets);
    case 'email:send':
      // Without an SES sender, e-mail goes to the outbox in the table, which table:write already covers.
      if (targets.email) fn.grantSendEmail(targets.email);
      return;
    case 'staff:manage':
      return fn.grantManageStaff(targets.userPool);
    case 'secrets:decrypt':
      return fn.grantIntegrationSecrets(targets.integrationsKey, 'decrypt');
    case 'secrets:encrypt':
      return fn.grantIntegrationSecrets(targets.integrationsKey, 'encrypt');
    case 'audit:append':
      return fn.grantAuditAppend(targets.table);
    default:
      return unknownGrant(grant);
  }
}

/**
 * Searching or writing the OpenSearch collection: the collection itself, and the embedding model that turns
 * passages and questions into its vectors (with any answering model: OpenAI or the offline answerer too).
 * With the embedded vector store nothing beyond the table: USE-lite runs in the function.
 */
function grantVectorSearch(fn: ConciergeFunction, targets: Pick<GrantTargets, 'vectorCollection' | 'embeddingModelId'>): void {
  const collection = targets.vectorCollection;
  if (!collection) return;
  collection.grantReadWrite(fn.role);
  fn.setEnvironment('OPENSEARCH_ENDPOINT', collection.endpoint);
  fn.grantInvokeModels(bedrockModelArns(fn, targets.embeddingModelId), { EMBEDDING_MODEL_ID: targets.embeddingModelId });
}

function grantLanguageModel(fn: ConciergeFunction, access: LanguageModelAccess): void {
  switch (access.provider) {
    case 'bedrock':
      return fn.grantInvokeModels(
        bedrockModelArns(fn, access.modelId),
        { BEDROCK_MODEL_ID: access.modelId },
        `${access.modelId} is a cross-region inference profile: Bedrock may serve it from the underlying model in any of the profile's regions.`,
      );
    case 'openai':
      return fn.grantReadSecret(access.apiKeySecret, 'OPENAI_SECRET_ARN');
    case 'embedded':
      return;
  }
}

const INFERENCE_PROFILE_PREFIX = /^(us|us-gov|eu|apac|jp|au|ca|global)\./;

/**
 * The ARNs that `bedrock:InvokeModel` needs for a model id: the foundation
 * model itself, or for a cross-region inference profile (`us.anthropic...`)
 * the profile plus the underlying model in any region the profile routes to.
 */
export function bedrockModelArns(scope: ConciergeFunction, modelId: string): string[] {
  const stack = Stack.of(scope);
  const profile = INFERENCE_PROFILE_PREFIX.exec(modelId);
  if (!profile) {
    return [stack.formatArn({ service: 'bedrock', account: '', resource: 'foundation-model', resourceName: modelId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME })];
  }
  return [
    stack.formatArn({ service: 'bedrock', resource: 'inference-profile', resourceName: modelId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
    stack.formatArn({
      service: 'bedrock',
      region: '*',
      account: '',
      resource: 'foundation-model',
      resourceName: modelId.slice(profile[0].length),
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    }),
  ];
}

function unknownGrant(grant: never): never {
  throw new Error(`Grant "${String(grant)}" has no CDK mapping in lib/constructs/grants.ts`);
}

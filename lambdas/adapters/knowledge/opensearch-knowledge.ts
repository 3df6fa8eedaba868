/**
 * The AWS knowledge path (VECTOR_STORE=opensearch-serverless), assembled for the composition root:
 * Titan Text Embeddings v2 on Bedrock embeds every passage once (where it is written, within the write's budget,
 * and by the knowledge indexer for the rest); the passages go to the table (the source of truth) and the
 * knowledge indexer writes them to the collection's index, which answers the searches. The container loads
 * this module on first use, so functions that never search or write knowledge do not pay for the OpenSearch
 * client at cold start.
 */
import type { Config } from '../config';
import { TitanEmbedder } from '../embeddings/titan';
import { openSearchClient, OpenSearchKnowledgeIndex } from './opensearch-index';
import { warnDegraded } from '../warn';

type OpenSearchConfig = Partial<
  Pick<Config, 'OPENSEARCH_ENDPOINT' | 'OPENSEARCH_INDEX' | 'EMBEDDING_MODEL_ID' | 'AWS_REGION' | 'AWS_ENDPOINT_URL_BEDROCK_RUNTIME'>
>;

export interface OpenSearchKnowledge {
  /** Searches the collection and (for the knowledge indexer) writes it. */
  readonly index: OpenSearchKnowledgeIndex;
  /** Titan, for passages and questions alike. */
  readonly embedder: TitanEmbedder;
}

export const DEFAULT_OPENSEARCH_INDEX = 'concierge-passages';

export function openSearchKnowledge(config: OpenSearchConfig): OpenSearchKnowledge {
  const endpoint = config.OPENSEARCH_ENDPOINT;
  if (!endpoint) throw new Error('configuration error: OPENSEARCH_ENDPOINT is not set (VECTOR_STORE is opensearch-serverless)');
  const region = config.AWS_REGION ?? 'us-east-1';
  const bedrockEndpoint = config.AWS_ENDPOINT_URL_BEDROCK_RUNTIME;
  const embedder = new TitanEmbedder({
    region,
    ...(config.EMBEDDING_MODEL_ID ? { modelId: config.EMBEDDING_MODEL_ID } : {}),
    ...(bedrockEndpoint ? { endpoint: bedrockEndpoint } : {}),
  });
  const index = new OpenSearchKnowledgeIndex({
    client: openSearchClient({ endpoint, region }),
    indexName: config.OPENSEARCH_INDEX ?? DEFAULT_OPENSEARCH_INDEX,
    embedder,
    onDegraded: warnDegraded('question not embedded; searched lexically only'),
  });
  return { index, embedder };
}

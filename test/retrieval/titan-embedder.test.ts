/**
 * The Titan Text Embeddings V2 adapter against a local fake of Bedrock's
 * InvokeModel (test/support/fake-bedrock-embeddings.ts), through the real SDK
 * client: the request Bedrock documents, SigV4 for the bedrock service,
 * configurable dimensions, retries on throttling, refusals surfaced.
 */
import { TITAN_EMBED_TEXT_V2, TitanEmbedder } from '../../lambdas/adapters/embeddings/titan';
import { hashedEmbedding, startFakeBedrockEmbeddings, type FakeBedrockEmbeddings } from '../support/fake-bedrock-embeddings';

let bedrock: FakeBedrockEmbeddings;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

beforeAll(async () => {
  bedrock = await startFakeBedrockEmbeddings();
});
afterAll(async () => {
  await bedrock?.close();
});
beforeEach(() => {
  bedrock.requests.length = 0;
});

describe('Titan embedder', () => {
  it('sends one signed InvokeModel per text, asking for the configured dimensions, normalised', async () => {
    const titan = new TitanEmbedder({ endpoint: bedrock.endpoint, region: 'eu-west-1', credentials, dimensions: 256 });
    const vectors = await titan.embed(['Do you have parking?', '¿Tienen aparcamiento?']);
    expect(vectors).toEqual([hashedEmbedding('Do you have parking?', 256), hashedEmbedding('¿Tienen aparcamiento?', 256)]);
    const byText = (a: { inputText: string }, b: { inputText: string }): number => a.inputText.localeCompare(b.inputText);
    expect(bedrock.requests.map((r) => r.body).sort(byText)).toEqual(
      [
        { inputText: 'Do you have parking?', dimensions: 256, normalize: true },
        { inputText: '¿Tienen aparcamiento?', dimensions: 256, normalize: true },
      ].sort(byText),
    );
    for (const r of bedrock.requests) {
      expect(r.modelId).toBe(TITAN_EMBED_TEXT_V2);
      expect(r.headers['content-type']).toBe('application/json');
      expect(String(r.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/eu-west-1\/bedrock\/aws4_request/);
    }
    expect(titan.dimensions).toBe(256);
    expect(titan.model).toBe(`${TITAN_EMBED_TEXT_V2}/256`);
    expect(titan.languages).toBeUndefined();
  });

  it('defaults to 512 dimensions and keeps the order of many texts embedded concurrently', async () => {
    const titan = new TitanEmbedder({ endpoint: bedrock.endpoint, region: 'us-east-1', credentials, concurrency: 3 });
    const texts = Array.from({ length: 10 }, (_, i) => `question number ${i} about opening hours`);
    const vectors = await titan.embed(texts);
    expect(vectors.map((v) => v.length)).toEqual(new Array(10).fill(512));
    expect(vectors).toEqual(texts.map((t) => hashedEmbedding(t, 512)));
    expect(await titan.embed([])).toEqual([]);
  });

  it('retries throttling and server errors (SDK standard retries)', async () => {
    const titan = new TitanEmbedder({ endpoint: bedrock.endpoint, region: 'us-east-1', credentials, dimensions: 256 });
    bedrock.script({ kind: 'error', status: 429, errorType: 'ThrottlingException' }, { kind: 'error', status: 500, errorType: 'InternalServerException' });
    expect(await titan.embed(['parking'])).toEqual([hashedEmbedding('parking', 256)]);
    expect(bedrock.requests).toHaveLength(3);
  });

  it('surfaces a refusal without retrying it', async () => {
    const titan = new TitanEmbedder({ endpoint: bedrock.endpoint, region: 'us-east-1', credentials, dimensions: 256 });
    bedrock.script({ kind: 'error', status: 403, errorType: 'AccessDeniedException' });
    await expect(titan.embed(['parking'])).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(bedrock.requests).toHaveLength(1);
  });

  it('rejects a response of the wrong size', async () => {
    const titan = new TitanEmbedder({ endpoint: bedrock.endpoint, region: 'us-east-1', credentials, dimensions: 256 });
    bedrock.script({ kind: 'embed', dimensions: 1024 });
    await expect(titan.embed(['parking'])).rejects.toThrow('Titan embeddings: got 1024 dimensions, asked for 256');
  });
});

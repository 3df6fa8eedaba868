/**
 * A local stand-in for AWS Secrets Manager's GetSecretValue (AWS JSON 1.1 over HTTP), answering every secret id
 * with one secret string; anything else is refused with a 400. Requests are recorded with their headers (the SDK
 * signs them with SigV4).
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function startFakeSecretsManager(secretString: string): Promise<{ endpoint: string; requests: { headers: IncomingHttpHeaders; body: unknown }[]; close(): Promise<void> }> {
  const requests: { headers: IncomingHttpHeaders; body: unknown }[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body: unknown = JSON.parse(raw || '{}');
      requests.push({ headers: req.headers, body });
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'InvalidRequestException', message: 'unsupported' }));
        return;
      }
      const secretId = (body as { SecretId?: string }).SecretId ?? '';
      res.end(JSON.stringify({ ARN: secretId, Name: 'openai-key', SecretString: secretString, VersionId: 'v1', VersionStages: ['AWSCURRENT'], CreatedDate: 1764000000 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}


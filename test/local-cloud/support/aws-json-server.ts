/**
 * A tiny HTTP server speaking the AWS JSON protocols for tests: it forwards X-Amz-Target and the
 * parsed body to a `handleAwsJson` and writes its `{ status, body }` back, so the real SDK clients
 * (with an endpoint override) exercise the local implementations end to end.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AwsJsonHandler {
  handleAwsJson(target: string, body: unknown): Promise<{ status: number; body: unknown }>;
}

export interface AwsJsonServer {
  readonly endpoint: string;
  /** Requests served, in order (target only). */
  readonly targets: string[];
  close(): Promise<void>;
}

export async function startAwsJsonServer(handler: AwsJsonHandler, contentType: string): Promise<AwsJsonServer> {
  const targets: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      targets.push(target);
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        res.writeHead(400, { 'content-type': contentType });
        res.end(JSON.stringify({ __type: 'SerializationException', message: 'body is not JSON' }));
        return;
      }
      handler.handleAwsJson(target, body).then(
        (out) => {
          res.writeHead(out.status, { 'content-type': contentType });
          res.end(JSON.stringify(out.body));
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': contentType });
          res.end(JSON.stringify({ __type: 'InternalFailure', message: String(err) }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    targets,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

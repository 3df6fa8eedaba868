/**
 * DynamoDB Local as a child process (Java), the table from the shared declaration, and the
 * startup failures people actually hit: no Java, port taken, the process dying on start.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { table } from '../../lib/declaration';
import {
  JavaMissingError,
  PortInUseError,
  ProcessExitedEarlyError,
  StartupTimeoutError,
  ensureTable,
  resolveDynamoDbLocalJar,
  startDynamoDbLocal,
  type DynamoDbLocalHandle,
} from '../../local-cloud/dynamodb-local';
import { findFreePort } from '../../local-cloud/process-support';

const TABLE = 'concierge-test';
const tempDirs: string[] = [];
const handles: DynamoDbLocalHandle[] = [];

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

function client(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

/** A fake `java` that reports version `version` and, when run for real, prints to stderr and exits 3. */
function fakeJava(version: string): string {
  const file = path.join(tempDir('fake-java-'), 'java');
  fs.writeFileSync(
    file,
    `#!/bin/sh\nif [ "$1" = "-version" ]; then echo 'openjdk version "${version}" 2024-01-01' >&2; exit 0; fi\n` +
      `echo "Error: could not open the jar (simulated)" >&2\nexit 3\n`,
    { mode: 0o755 },
  );
  return file;
}

afterAll(async () => {
  for (const h of handles.splice(0)) await h.stop();
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('DynamoDB Local', () => {
  test('the jar is found in the installed package (newest dynamodb_local_* folder)', () => {
    const { jar, libDir } = resolveDynamoDbLocalJar();
    expect(path.basename(jar)).toBe('DynamoDBLocal.jar');
    expect(path.basename(path.dirname(jar))).toMatch(/^dynamodb_local_/);
    expect(fs.existsSync(libDir)).toBe(true);
  });

  test('in memory: starts, answers, creates the declared table idempotently, stops', async () => {
    const started = Date.now();
    const ddb = await startDynamoDbLocal({ port: 0 });
    handles.push(ddb);
    const startupMs = Date.now() - started;
    console.log(`DynamoDB Local (in memory) ready in ${startupMs} ms at ${ddb.endpoint}`);
    expect(ddb.endpoint).toBe(`http://127.0.0.1:${ddb.port}`);

    const c = client(ddb.endpoint);
    await ensureTable(c, TABLE);
    await ensureTable(c, TABLE); // idempotent
    const desc = (await c.send(new DescribeTableCommand({ TableName: TABLE }))).Table;
    expect(desc?.KeySchema).toEqual([
      { AttributeName: table.partitionKey, KeyType: 'HASH' },
      { AttributeName: table.sortKey, KeyType: 'RANGE' },
    ]);
    expect(desc?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(desc?.GlobalSecondaryIndexes?.map((g) => ({ name: g.IndexName, keys: g.KeySchema, projection: g.Projection?.ProjectionType }))).toEqual(
      table.globalIndexes.map((g) => ({
        name: g.name,
        keys: [
          { AttributeName: g.partitionKey, KeyType: 'HASH' },
          { AttributeName: g.sortKey, KeyType: 'RANGE' },
        ],
        projection: 'ALL',
      })),
    );
    const ttl = (await c.send(new DescribeTimeToLiveCommand({ TableName: TABLE }))).TimeToLiveDescription;
    expect(ttl).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: table.ttlAttribute });

    // A second start on the same port is refused before spawning.
    await expect(startDynamoDbLocal({ port: ddb.port })).rejects.toBeInstanceOf(PortInUseError);

    c.destroy();
    await ddb.stop();
    await ddb.stop(); // safe twice
    await expect(client(ddb.endpoint).send(new DescribeTableCommand({ TableName: TABLE }))).rejects.toThrow();
  });

  test('with a data folder: data survives a restart', async () => {
    const dataDir = path.join(tempDir('ddb-data-'), 'nested', 'dynamodb'); // created if missing
    const first = await startDynamoDbLocal({ port: 0, dataDir });
    handles.push(first);
    const c1 = client(first.endpoint);
    await ensureTable(c1, TABLE);
    await c1.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'T#1' }, sk: { S: 'PROFILE' }, name: { S: 'Demo' } } }));
    c1.destroy();
    await first.stop();
    expect(fs.readdirSync(dataDir).some((f) => f.endsWith('.db'))).toBe(true);

    const second = await startDynamoDbLocal({ port: 0, dataDir });
    handles.push(second);
    const c2 = client(second.endpoint);
    await ensureTable(c2, TABLE); // existing table: nothing to do
    const item = await c2.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'T#1' }, sk: { S: 'PROFILE' } } }));
    expect(item.Item?.['name']).toEqual({ S: 'Demo' });
    c2.destroy();
    await second.stop();
  });

  test('a port already in use is reported before spawning', async () => {
    const blocker = net.createServer();
    const port = await findFreePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const err = await startDynamoDbLocal({ port }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PortInUseError);
      expect((err as Error).message).toContain(`port ${port} is already in use`);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  test('a start that does not answer in time: StartupTimeoutError, and the process is gone', async () => {
    const port = await findFreePort();
    const err = await startDynamoDbLocal({ port, startTimeoutMs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupTimeoutError);
    expect((err as Error).message).toMatch(/did not become ready within 1 ms/);
    // stop() ran before the error surfaced: the port is free again.
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });

  test('no Java: a clear error saying how to install Java 17', async () => {
    const err = await startDynamoDbLocal({ port: 0, javaCommand: 'java-that-does-not-exist-here' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JavaMissingError);
    expect((err as Error).message).toMatch(/Java 17/);
    expect((err as Error).message).toContain('apt-get install openjdk-17-jre-headless');
  });

  test('Java too old: same error, naming the version found', async () => {
    const err = await startDynamoDbLocal({ port: 0, javaCommand: fakeJava('1.8.0_392') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JavaMissingError);
    expect((err as Error).message).toContain('found Java 8');
  });

  test('the process dying on start: ProcessExitedEarlyError with its stderr', async () => {
    const err = await startDynamoDbLocal({ port: 0, javaCommand: fakeJava('17.0.9') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessExitedEarlyError);
    expect((err as ProcessExitedEarlyError).exitCode).toBe(3);
    expect((err as Error).message).toContain('could not open the jar (simulated)');
  });
});

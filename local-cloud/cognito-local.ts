/**
 * cognito-local (npm) as a child process, plus the staff user pool the admin UI signs in to.
 *
 * - It keeps its state in `.cognito/` of its working directory, so the child runs with
 *   cwd = dataDir and a restart with the same dataDir keeps pools, clients and users.
 * - It binds `HOST` (default "localhost"); we set HOST=127.0.0.1 so it listens on loopback
 *   only, and its token issuer becomes `http://127.0.0.1:<port>/<poolId>`.
 * - Its signing key is the public one in the package: local development only.
 *
 * `@aws-sdk/client-cognito-identity-provider` is not installed, so the admin calls use
 * the Cognito JSON 1.1 protocol with fetch (cognito-local does not check signatures).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  OutputTail,
  assertPortFree,
  findFreePort,
  killOnParentExit,
  stopChild,
  waitUntilReady,
} from './process-support';

export { PortInUseError, ProcessExitedEarlyError, StartupTimeoutError } from './process-support';

const SERVICE = 'cognito-local';
const HOST = '127.0.0.1';

export interface CognitoLocalOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Working directory of cognito-local; its state lives in `<dataDir>/.cognito/`. Created if missing. */
  dataDir: string;
  /** How long to wait for /health. @default 90000 */
  startTimeoutMs?: number;
}

export interface CognitoLocalHandle {
  /** `http://127.0.0.1:<port>` — the Cognito endpoint override and the issuer prefix. */
  readonly endpoint: string;
  readonly port: number;
  /** Kills the process and resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

export type StaffGroup = 'admin' | 'agent';
export const staffGroups: readonly StaffGroup[] = ['admin', 'agent'];

export interface StaffUserSpec {
  readonly email: string;
  readonly password: string;
  readonly tenantId: string;
  readonly groups: readonly StaffGroup[];
}

export interface StaffPoolSpec {
  readonly poolName: string;
  readonly users: readonly StaffUserSpec[];
  /** @default 'admin-ui' */
  readonly clientName?: string;
}

export interface StaffPool {
  readonly userPoolId: string;
  readonly userPoolClientId: string;
  /** `http://127.0.0.1:<port>/<userPoolId>` — the `iss` of the tokens. */
  readonly issuer: string;
  readonly jwksUri: string;
}

/** A Cognito API call failed (`__type` and message come from cognito-local). */
export class CognitoLocalError extends Error {
  override readonly name = 'CognitoLocalError';
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly errorType: string,
    detail: string,
  ) {
    super(`cognito-local ${operation} failed (${status} ${errorType}): ${detail}`);
  }
}

function resolveCognitoLocalBin(): string {
  let packageDir: string;
  try {
    packageDir = path.dirname(require.resolve('cognito-local/package.json'));
  } catch {
    throw new Error('The `cognito-local` package is not installed; run `npm ci` in the repository root.');
  }
  const bin = path.join(packageDir, 'lib', 'bin', 'start.js');
  if (!fs.existsSync(bin)) throw new Error(`cognito-local is incomplete: ${bin} is missing; reinstall it (\`npm ci\`).`);
  return bin;
}

/**
 * Starts cognito-local on 127.0.0.1:`port` with its state under `dataDir`, and resolves once
 * its /health answers. Throws PortInUseError, ProcessExitedEarlyError or StartupTimeoutError.
 */
export async function startCognitoLocal(opts: CognitoLocalOptions): Promise<CognitoLocalHandle> {
  const bin = resolveCognitoLocalBin();
  const port = opts.port === 0 ? await findFreePort() : opts.port;
  await assertPortFree(SERVICE, port);
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });

  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST };
  // Development mode and DEBUG only add noise to the logs we keep for error messages.
  delete env.COGNITO_LOCAL_DEVMODE;
  delete env.DEBUG;
  const child = spawn(process.execPath, [bin], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = new OutputTail();
  output.attach(child);
  const unregister = killOnParentExit(child);
  const endpoint = `http://${HOST}:${port}`;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= stopChild(child).finally(unregister);
    return stopping;
  };

  try {
    await waitUntilReady({
      service: SERVICE,
      child,
      output,
      timeoutMs: opts.startTimeoutMs ?? 90_000,
      probe: async () => {
        const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1_000) });
        if (!res.ok) throw new Error(`GET /health answered ${res.status}`);
      },
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint, port, stop };
}

// ---------------------------------------------------------------------------------------------
// The JSON protocol client (only what ensureStaffPool needs), with zod at the response boundary.

const errorBody = z.object({ __type: z.string().optional(), message: z.string().optional() }).loose();

async function call<T extends z.ZodType>(endpoint: string, operation: string, body: object, schema: T): Promise<z.output<T>> {
  let res: Response | undefined;
  // A kept-alive socket the server has just closed fails the request before it is sent ("fetch failed"): try
  // again on a fresh one, a few times, on a loaded machine. A timeout is not retried (the call may have run).
  for (let attempt = 1; res === undefined; attempt++) {
    try {
      res = await fetch(`${endpoint.replace(/\/+$/, '')}/`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-amz-json-1.1',
          'X-Amz-Target': `AWSCognitoIdentityProviderService.${operation}`,
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      if (timedOut || attempt >= 3) {
        throw new CognitoLocalError(operation, 0, 'NetworkError', `${endpoint} is not reachable (${(err as Error).message})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    throw new CognitoLocalError(operation, res.status, 'InvalidResponse', `not JSON: ${text.slice(0, 200)}`);
  }
  if (!res.ok) {
    const parsed = errorBody.safeParse(json);
    const type = parsed.success ? (parsed.data.__type ?? 'Unknown') : 'Unknown';
    const message = parsed.success ? (parsed.data.message ?? text) : text;
    throw new CognitoLocalError(operation, res.status, type.replace(/^.*#/, ''), message);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new CognitoLocalError(operation, res.status, 'UnexpectedResponse', z.prettifyError(parsed.error));
  }
  return parsed.data;
}

const listUserPoolsResponse = z.object({ UserPools: z.array(z.object({ Id: z.string(), Name: z.string() }).loose()) }).loose();
const createUserPoolResponse = z.object({ UserPool: z.object({ Id: z.string() }).loose() }).loose();
const describeUserPoolResponse = z
  .object({
    UserPool: z
      .object({ SchemaAttributes: z.array(z.object({ Name: z.string().optional() }).loose()).optional() })
      .loose(),
  })
  .loose();
const listGroupsResponse = z.object({ Groups: z.array(z.object({ GroupName: z.string() }).loose()) }).loose();
const listClientsResponse = z
  .object({ UserPoolClients: z.array(z.object({ ClientId: z.string(), ClientName: z.string().optional() }).loose()) })
  .loose();
const describeClientResponse = z
  .object({ UserPoolClient: z.object({ ExplicitAuthFlows: z.array(z.string()).optional() }).loose() })
  .loose();
const createClientResponse = z.object({ UserPoolClient: z.object({ ClientId: z.string() }).loose() }).loose();
const adminGetUserResponse = z
  .object({
    Username: z.string(),
    UserAttributes: z.array(z.object({ Name: z.string(), Value: z.string().optional() })).optional(),
  })
  .loose();
const empty = z.unknown();

const requiredFlows = ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] as const;
const TENANT_ATTRIBUTE = 'tenantId';

function isNotFound(err: unknown): boolean {
  return err instanceof CognitoLocalError && err.errorType === 'UserNotFoundException';
}

/**
 * Makes sure the staff user pool exists in cognito-local and looks like the declared one:
 * pool `poolName` (reused by name across restarts) with the `custom:tenantId` attribute and
 * e-mail sign-in, groups admin and agent, an app client allowing USER_PASSWORD_AUTH and
 * REFRESH_TOKEN_AUTH, and each user confirmed with a permanent password, its tenant and
 * exactly the listed staff groups. Idempotent.
 */
export async function ensureStaffPool(endpoint: string, spec: StaffPoolSpec): Promise<StaffPool> {
  const base = endpoint.replace(/\/+$/, '');
  const clientName = spec.clientName ?? 'admin-ui';
  for (const user of spec.users) {
    if (!user.email.includes('@')) throw new Error(`ensureStaffPool: ${user.email} is not an e-mail address`);
    if (!user.tenantId) throw new Error(`ensureStaffPool: ${user.email} has no tenantId`);
  }

  // 1. The pool, found by name.
  const pools = await call(base, 'ListUserPools', { MaxResults: 60 }, listUserPoolsResponse);
  const matching = pools.UserPools.filter((p) => p.Name === spec.poolName);
  if (matching.length > 1) {
    throw new Error(
      `cognito-local has ${matching.length} pools named ${spec.poolName} (${matching.map((p) => p.Id).join(', ')}); ` +
        'delete the extra ones (or the .cognito folder) so the staff pool is unambiguous.',
    );
  }
  let userPoolId = matching[0]?.Id;
  if (!userPoolId) {
    const created = await call(
      base,
      'CreateUserPool',
      {
        PoolName: spec.poolName,
        UsernameAttributes: ['email'],
        AutoVerifiedAttributes: ['email'],
        Schema: [
          {
            Name: TENANT_ATTRIBUTE,
            AttributeDataType: 'String',
            Mutable: true,
            Required: false,
            StringAttributeConstraints: { MinLength: '1', MaxLength: '64' },
          },
        ],
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      },
      createUserPoolResponse,
    );
    userPoolId = created.UserPool.Id;
  } else {
    const described = await call(base, 'DescribeUserPool', { UserPoolId: userPoolId }, describeUserPoolResponse);
    const hasTenant = (described.UserPool.SchemaAttributes ?? []).some((a) => a.Name === `custom:${TENANT_ATTRIBUTE}`);
    if (!hasTenant) {
      await call(
        base,
        'AddCustomAttributes',
        { UserPoolId: userPoolId, CustomAttributes: [{ Name: TENANT_ATTRIBUTE, AttributeDataType: 'String', Mutable: true }] },
        empty,
      );
    }
  }

  // 2. Groups.
  const groups = await call(base, 'ListGroups', { UserPoolId: userPoolId }, listGroupsResponse);
  for (const group of staffGroups) {
    if (!groups.Groups.some((g) => g.GroupName === group)) {
      await call(
        base,
        'CreateGroup',
        { UserPoolId: userPoolId, GroupName: group, Description: group === 'admin' ? 'Business owner' : 'Staff agent' },
        empty,
      );
    }
  }

  // 3. The app client (the admin UI's; no secret, password + refresh flows).
  const clients = await call(base, 'ListUserPoolClients', { UserPoolId: userPoolId, MaxResults: 60 }, listClientsResponse);
  let userPoolClientId: string | undefined;
  for (const candidate of clients.UserPoolClients.filter((c) => c.ClientName === clientName)) {
    const described = await call(
      base,
      'DescribeUserPoolClient',
      { UserPoolId: userPoolId, ClientId: candidate.ClientId },
      describeClientResponse,
    );
    const flows = described.UserPoolClient.ExplicitAuthFlows ?? [];
    if (requiredFlows.every((f) => flows.includes(f))) {
      userPoolClientId = candidate.ClientId;
      break;
    }
  }
  if (!userPoolClientId) {
    const created = await call(
      base,
      'CreateUserPoolClient',
      {
        UserPoolId: userPoolId,
        ClientName: clientName,
        GenerateSecret: false,
        ExplicitAuthFlows: [...requiredFlows],
        PreventUserExistenceErrors: 'ENABLED',
      },
      createClientResponse,
    );
    userPoolClientId = created.UserPoolClient.ClientId;
  }

  // 4. Users: confirmed, permanent password, tenant attribute, exactly the listed staff groups.
  for (const user of spec.users) {
    const getUser = () =>
      call(base, 'AdminGetUser', { UserPoolId: userPoolId, Username: user.email }, adminGetUserResponse);
    let existing: z.output<typeof adminGetUserResponse> | undefined;
    try {
      existing = await getUser();
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!existing) {
      await call(
        base,
        'AdminCreateUser',
        {
          UserPoolId: userPoolId,
          Username: user.email,
          MessageAction: 'SUPPRESS',
          UserAttributes: [
            { Name: 'email', Value: user.email },
            { Name: 'email_verified', Value: 'true' },
            { Name: `custom:${TENANT_ATTRIBUTE}`, Value: user.tenantId },
          ],
        },
        empty,
      );
      existing = await getUser();
    } else {
      const current = existing.UserAttributes?.find((a) => a.Name === `custom:${TENANT_ATTRIBUTE}`)?.Value;
      if (current !== user.tenantId) {
        await call(
          base,
          'AdminUpdateUserAttributes',
          {
            UserPoolId: userPoolId,
            Username: user.email,
            UserAttributes: [{ Name: `custom:${TENANT_ATTRIBUTE}`, Value: user.tenantId }],
          },
          empty,
        );
      }
    }
    // With e-mail sign-in the user name is the generated sub. cognito-local's AdminListGroupsForUser
    // only matches that real user name (not the e-mail alias), so group calls use it.
    const username = existing.Username;
    await call(
      base,
      'AdminSetUserPassword',
      { UserPoolId: userPoolId, Username: username, Password: user.password, Permanent: true },
      empty,
    );
    const memberOf = await call(
      base,
      'AdminListGroupsForUser',
      { UserPoolId: userPoolId, Username: username },
      listGroupsResponse,
    );
    const have = new Set(memberOf.Groups.map((g) => g.GroupName));
    for (const group of staffGroups) {
      const want = user.groups.includes(group);
      if (want && !have.has(group)) {
        await call(base, 'AdminAddUserToGroup', { UserPoolId: userPoolId, Username: username, GroupName: group }, empty);
      } else if (!want && have.has(group)) {
        await call(base, 'AdminRemoveUserFromGroup', { UserPoolId: userPoolId, Username: username, GroupName: group }, empty);
      }
    }
  }

  const issuer = `${base}/${userPoolId}`;
  return { userPoolId, userPoolClientId, issuer, jwksUri: `${issuer}/.well-known/jwks.json` };
}

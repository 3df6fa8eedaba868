/**
 * Verifies staff ID tokens (Cognito user pool) and returns the claims the API relies on.
 *
 * The one place that chooses the verifier:
 * - AWS (only userPoolId + clientId): `CognitoJwtVerifier`, which derives issuer and JWKS URI
 *   from the pool id and fetches the JWKS over HTTPS.
 * - Local cloud (issuer given): cognito-local issues tokens with issuer
 *   `http://127.0.0.1:<port>/<poolId>` and pool ids like `local_XXXX`, which CognitoJwtVerifier
 *   refuses. The generic `JwtVerifier` (aws-jwt-verify's current name for `JwtRsaVerifier`,
 *   which is a deprecated alias of it) checks that issuer, with the Cognito-specific checks
 *   (token_use id, aud = client id) added through `validateCognitoJwtFields`. Its default
 *   fetcher refuses `http:`, so the JWKS cache gets a fetcher that uses plain `fetch`.
 *   cognito-local signs with a publicly known key, so a plain-http issuer is accepted only on
 *   loopback: a deployed function misconfigured with such an issuer fails closed.
 */
import { CognitoJwtVerifier, JwtVerifier } from 'aws-jwt-verify';
import { validateCognitoJwtFields } from 'aws-jwt-verify/cognito-verifier';
import type { Fetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { z } from 'zod';

export type StaffRole = 'admin' | 'agent';

export interface StaffClaims {
  /** Cognito user id (stable). */
  readonly sub: string;
  readonly email: string;
  /** From the `custom:tenantId` attribute. */
  readonly tenantId: string;
  /** The staff groups among `cognito:groups`; other groups are ignored. */
  readonly groups: readonly StaffRole[];
  /** When the user signed in (`auth_time`, seconds since the epoch): the same for every token of one sign-in. */
  readonly authTime?: number;
  /** When the token expires (`exp`, seconds since the epoch). */
  readonly expiresAt?: number;
  /** When the token was issued (`iat`, seconds since the epoch): a refresh issues a new one, `auth_time` stays. */
  readonly issuedAt?: number;
}

export interface StaffTokenVerifierConfig {
  readonly userPoolId: string;
  readonly clientId: string;
  /** Set only for a local (cognito-local) pool: the tokens' `iss`. */
  readonly issuer?: string;
  /** Local only; defaults to `<issuer>/.well-known/jwks.json`. */
  readonly jwksUri?: string;
}

export interface StaffTokenVerifier {
  /** Resolves with the claims of a valid staff ID token; rejects otherwise. */
  verify(token: string): Promise<StaffClaims>;
}

/** The token is genuine but lacks a claim staff tokens must carry (e.g. no tenant). */
export class InvalidStaffClaimsError extends Error {
  override readonly name = 'InvalidStaffClaimsError';
}

const staffRoles: readonly StaffRole[] = ['admin', 'agent'];
const isStaffRole = (group: string): group is StaffRole => (staffRoles as readonly string[]).includes(group);

const claimsSchema = z.object({
  sub: z.string().min(1),
  email: z.string().min(3),
  'custom:tenantId': z.string().min(1, 'must not be empty'),
  'cognito:groups': z.array(z.string()).optional(),
  auth_time: z.number().int().positive().optional(),
  exp: z.number().int().positive().optional(),
  iat: z.number().int().positive().optional(),
});

export function parseStaffClaims(payload: unknown): StaffClaims {
  const parsed = claimsSchema.safeParse(payload);
  if (!parsed.success) {
    throw new InvalidStaffClaimsError(`Staff token claims are invalid: ${z.prettifyError(parsed.error)}`);
  }
  const claims = parsed.data;
  return {
    sub: claims.sub,
    email: claims.email,
    tenantId: claims['custom:tenantId'],
    groups: [...new Set((claims['cognito:groups'] ?? []).filter(isStaffRole))],
    ...(claims.auth_time !== undefined ? { authTime: claims.auth_time } : {}),
    ...(claims.exp !== undefined ? { expiresAt: claims.exp } : {}),
    ...(claims.iat !== undefined ? { issuedAt: claims.iat } : {}),
  };
}

/**
 * Fetches the JWKS with plain `fetch` (aws-jwt-verify's SimpleFetcher accepts https: only). The local Cognito
 * shares a busy machine with everything else, so a slow first answer is tried again (3 attempts) rather than
 * turned into a 401 for a valid token.
 */
class PlainFetchFetcher implements Fetcher {
  async fetch(uri: string): Promise<ArrayBuffer> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await fetch(uri, { signal: AbortSignal.timeout(3_000) });
        if (!res.ok) throw new Error(`JWKS fetch ${uri} answered ${res.status}`);
        return await res.arrayBuffer();
      } catch (error) {
        if (attempt >= 3) throw error;
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function assertLocalIssuer(name: string, value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`createStaffTokenVerifier: ${name} is not a URL: ${value}`);
  }
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
    throw new Error(
      `createStaffTokenVerifier: refusing plain-http ${name} ${value}: a local Cognito issuer must be on loopback ` +
        '(127.0.0.1 / localhost); remove the issuer to verify against the real Cognito user pool.',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`createStaffTokenVerifier: ${name} must be an http(s) URL, got ${value}`);
  }
}

export function createStaffTokenVerifier(config: StaffTokenVerifierConfig): StaffTokenVerifier {
  const { userPoolId, clientId, issuer } = config;
  if (!userPoolId) throw new Error('createStaffTokenVerifier: userPoolId is required');
  if (!clientId) throw new Error('createStaffTokenVerifier: clientId is required');

  if (issuer === undefined) {
    if (config.jwksUri !== undefined) {
      throw new Error('createStaffTokenVerifier: jwksUri was given without issuer; give both (local) or neither (AWS)');
    }
    const verifier = CognitoJwtVerifier.create({ userPoolId, tokenUse: 'id', clientId });
    return { verify: async (token) => parseStaffClaims(await verifier.verify(token)) };
  }

  const jwksUri = config.jwksUri ?? `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`;
  assertLocalIssuer('issuer', issuer);
  assertLocalIssuer('jwksUri', jwksUri);
  const verifier = JwtVerifier.create(
    {
      issuer,
      jwksUri,
      // Cognito ID tokens carry aud = client id; validateCognitoJwtFields checks it with token_use.
      audience: null,
      customJwtCheck: ({ payload }: { payload: JwtPayload }) => validateCognitoJwtFields(payload, { tokenUse: 'id', clientId }),
    },
    { jwksCache: new SimpleJwksCache({ fetcher: new PlainFetchFetcher() }) },
  );
  return { verify: async (token) => parseStaffClaims(await verifier.verify(token)) };
}

/**
 * Runtime configuration: the same build runs in every environment and reads
 * `./config.json` (next to index.html) at start-up.
 */
import type { ResourcesConfig } from 'aws-amplify';
import { isRecord } from './decode';

export interface AppConfig {
  /** Base URL of the REST API (absolute http(s), or a same-origin path starting with "/"). */
  readonly apiUrl: string;
  readonly region: string;
  readonly userPoolId: string;
  readonly userPoolClientId: string;
  /** Set only for a local Cognito (cognito-local); AWS uses Amplify's default endpoint. */
  readonly userPoolEndpoint?: string;
  /** The WebSocket API (ws:// or wss://) for the live inbox; without it the inbox refreshes by polling. */
  readonly wsUrl?: string;
}

export type ConfigResult = { readonly ok: true; readonly config: AppConfig } | { readonly ok: false; readonly problems: readonly string[] };

export const CONFIG_URL = './config.json';

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function isWsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'ws:' || url.protocol === 'wss:';
  } catch {
    return false;
  }
}

const REGION = /^[a-z0-9]+(-[a-z0-9]+)*$/;
// AWS: "<region>_<id>"; cognito-local: "local_<id>".
const USER_POOL_ID = /^[\w-]+_[0-9A-Za-z]+$/;
const CLIENT_ID = /^[\w+]{1,128}$/;

/** Checks a parsed config.json and lists every problem found. */
export function parseConfig(value: unknown): ConfigResult {
  if (!isRecord(value)) return { ok: false, problems: ['config.json must contain a JSON object'] };
  const problems: string[] = [];
  const text = (key: string): string | undefined => {
    const v = value[key];
    if (typeof v !== 'string' || v.trim() === '') {
      problems.push(`"${key}" is missing or empty`);
      return undefined;
    }
    return v.trim();
  };

  const apiUrl = text('apiUrl');
  if (apiUrl !== undefined && !isHttpUrl(apiUrl) && !apiUrl.startsWith('/')) {
    problems.push('"apiUrl" must be an http(s) URL or a path starting with "/"');
  }
  const region = text('region');
  if (region !== undefined && !REGION.test(region)) problems.push('"region" must look like "eu-west-1"');
  const userPoolId = text('userPoolId');
  if (userPoolId !== undefined && !USER_POOL_ID.test(userPoolId)) problems.push('"userPoolId" must look like "eu-west-1_AbC123"');
  const userPoolClientId = text('userPoolClientId');
  if (userPoolClientId !== undefined && !CLIENT_ID.test(userPoolClientId)) problems.push('"userPoolClientId" is not a valid app client id');

  let userPoolEndpoint: string | undefined;
  const rawEndpoint = value.userPoolEndpoint;
  if (rawEndpoint !== undefined && rawEndpoint !== null && rawEndpoint !== '') {
    if (typeof rawEndpoint !== 'string' || !isHttpUrl(rawEndpoint.trim())) problems.push('"userPoolEndpoint", when set, must be an http(s) URL');
    else userPoolEndpoint = rawEndpoint.trim();
  }

  let wsUrl: string | undefined;
  const rawWs = value.wsUrl;
  if (rawWs !== undefined && rawWs !== null && rawWs !== '') {
    if (typeof rawWs !== 'string' || !isWsUrl(rawWs.trim())) problems.push('"wsUrl", when set, must be a ws(s) URL');
    else wsUrl = rawWs.trim();
  }

  if (problems.length > 0 || apiUrl === undefined || region === undefined || userPoolId === undefined || userPoolClientId === undefined) {
    return { ok: false, problems };
  }
  return {
    ok: true,
    config: {
      apiUrl,
      region,
      userPoolId,
      userPoolClientId,
      ...(userPoolEndpoint !== undefined ? { userPoolEndpoint } : {}),
      ...(wsUrl !== undefined ? { wsUrl } : {}),
    },
  };
}

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Fetches and checks config.json; never throws. */
export async function loadConfig(fetchFn: FetchLike, url: string = CONFIG_URL): Promise<ConfigResult> {
  let response: Response;
  try {
    response = await fetchFn(url, { cache: 'no-store', headers: { Accept: 'application/json' } });
  } catch {
    return { ok: false, problems: [`could not fetch ${url} (network error)`] };
  }
  if (!response.ok) return { ok: false, problems: [`could not fetch ${url} (HTTP ${response.status})`] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(await response.text());
  } catch {
    return { ok: false, problems: [`${url} is not valid JSON`] };
  }
  return parseConfig(parsed);
}

export type SignInFlow = 'USER_PASSWORD_AUTH' | 'USER_SRP_AUTH';

/** cognito-local does not support SRP, so a configured endpoint means password auth. */
export function signInFlowFor(config: AppConfig): SignInFlow {
  return config.userPoolEndpoint !== undefined ? 'USER_PASSWORD_AUTH' : 'USER_SRP_AUTH';
}

export function amplifyConfigFor(config: AppConfig): ResourcesConfig {
  return {
    Auth: {
      Cognito: {
        userPoolId: config.userPoolId,
        userPoolClientId: config.userPoolClientId,
        ...(config.userPoolEndpoint !== undefined ? { userPoolEndpoint: config.userPoolEndpoint } : {}),
        loginWith: { email: true },
      },
    },
  };
}

/** `apiUrl + path`, tolerating a trailing slash on apiUrl. */
export function apiEndpoint(apiUrl: string, path: string): string {
  return apiUrl.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`);
}

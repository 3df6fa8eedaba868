import { Lazy, Stack } from 'aws-cdk-lib';
import { CfnApp, CfnBranch, CfnDomain } from 'aws-cdk-lib/aws-amplify';
import { Construct } from 'constructs';

/** Properties of {@link AdminUiHosting}. */
export interface AdminUiHostingProps {
  /**
   * Branch that serves the admin UI.
   * @default 'main'
   */
  readonly branchName?: string;
  /**
   * Custom domain; the admin UI is then also served at `admin.<domain>` with an Amplify-managed certificate.
   * @default - only the Amplify default domain
   */
  readonly domain?: string;
}

/** Security headers on every admin UI response. */
const CUSTOM_HEADERS = `customHeaders:
  - pattern: '**'
    headers:
      - key: Strict-Transport-Security
        value: max-age=31536000; includeSubDomains
      - key: X-Content-Type-Options
        value: nosniff
      - key: X-Frame-Options
        value: DENY
      - key: Referrer-Policy
        value: strict-origin-when-cross-origin
`;

/**
 * Amplify Hosting for the admin UI (L1 `CfnApp` + `CfnBranch`), manual
 * deployments only (no repository: the built UI is uploaded as a zip), SPA
 * rewrites and security headers. The branch's environment variables are set
 * with {@link AdminUiHosting.setEnvironment} once the API and user pool exist:
 * they live on the branch, not the app, so the API may allow the app's
 * origin without a dependency cycle.
 */
export class AdminUiHosting extends Construct {
  readonly app: CfnApp;
  readonly branch: CfnBranch;
  readonly branchName: string;
  /** `https://admin.<domain>` when a custom domain is configured. */
  readonly customOrigin?: string;
  private readonly environment = new Map<string, string>();

  constructor(scope: Construct, id: string, props: AdminUiHostingProps = {}) {
    super(scope, id);
    const branchName = props.branchName ?? 'main';
    this.branchName = branchName;
    this.customOrigin = props.domain ? `https://admin.${props.domain}` : undefined;
    this.app = new CfnApp(this, 'App', {
      name: `${Stack.of(this).stackName}-admin`,
      description: 'Concierge admin UI (manual deployments)',
      platform: 'WEB',
      customHeaders: CUSTOM_HEADERS,
      customRules: [
        {
          source: '</^[^.]+$|\\.(?!(css|gif|ico|jpg|jpeg|js|json|map|png|svg|txt|webp|woff|woff2)$)([^.]+$)/>',
          target: '/index.html',
          status: '200',
        },
      ],
    });
    this.branch = new CfnBranch(this, 'Branch', {
      appId: this.app.attrAppId,
      branchName,
      stage: 'PRODUCTION',
      enableAutoBuild: false,
      description: 'The deployed admin UI',
      // Lazy: filled by setEnvironment() once the API and the user pool exist.
      environmentVariables: Lazy.any(
        { produce: () => [...this.environment].map(([name, value]) => ({ name, value })) },
        { omitEmptyArray: true },
      ),
    });
    if (props.domain) {
      const domain = new CfnDomain(this, 'Domain', {
        appId: this.app.attrAppId,
        domainName: props.domain,
        subDomainSettings: [{ branchName, prefix: 'admin' }],
        certificateSettings: { certificateType: 'AMPLIFY_MANAGED' },
      });
      domain.addResourceDependency(this.branch);
    }
  }

  /** Sets an environment variable of the branch. */
  setEnvironment(name: string, value: string): void {
    this.environment.set(name, value);
  }

  /** The https:// origin of the branch on the Amplify default domain. */
  get defaultOrigin(): string {
    return `https://${this.branchName}.${this.app.attrDefaultDomain}`;
  }
}

import { DefaultStackSynthesizer, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import type { ISource } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import { acknowledgeNag, iam5Resource } from './nag';

/** What {@link WidgetHosting.publish} uploads. */
export interface WidgetContent {
  /**
   * Built widget files; skipped (only `config.json` is written) when the
   * folder does not exist at synth time.
   * @default - no widget files
   */
  readonly assetsDir?: string;
  /** Written as `config.json` next to the widget: where the widget connects ({ wsUrl, apiUrl }). */
  readonly runtimeConfig: Readonly<Record<string, string>>;
}

/** Properties of {@link WidgetHosting}. */
export interface WidgetHostingProps {
  /**
   * Retention of access logs (S3 and CloudFront) and of the deployment function's logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * How long browsers and CloudFront may cache widget files.
   * @default Duration.minutes(5)
   */
  readonly maxAge?: Duration;
}

/**
 * The widget's static hosting: a private, encrypted S3 bucket behind
 * CloudFront with origin access control, HTTPS only, CORS and security
 * headers; access logs in a separate bucket. {@link WidgetHosting.publish}
 * uploads the built widget (when present) and its `config.json` on deploy.
 */
export class WidgetHosting extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  /** Whether widget files were found and are uploaded. */
  includesWidgetFiles = false;
  private readonly retention: RetentionDays;
  private readonly maxAge: Duration;
  private deployment?: BucketDeployment;

  constructor(scope: Construct, id: string, props: WidgetHostingProps = {}) {
    super(scope, id);
    const retention = props.logRetention ?? RetentionDays.ONE_MONTH;
    this.retention = retention;
    this.maxAge = props.maxAge ?? Duration.minutes(5);

    const logs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // CloudFront standard logging writes with ACLs.
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(Math.min(retention, 3653)) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bucket = new Bucket(this, 'Assets', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'widget-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.distribution = new Distribution(this, 'Cdn', {
      comment: `${Stack.of(this).stackName} widget`,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        // Business sites load the widget's modules and config.json cross-origin.
        responseHeadersPolicy: ResponseHeadersPolicy.CORS_ALLOW_ALL_ORIGINS_WITH_PREFLIGHT_AND_SECURITY_HEADERS,
        compress: true,
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
    });
    acknowledgeNag(
      this.distribution,
      'AwsSolutions-CFR1',
      "The widget is embedded on businesses' sites whose customers may be anywhere; no country is blocked.",
    );
    acknowledgeNag(
      this.distribution,
      'AwsSolutions-CFR2',
      'Static, public, read-only widget files; a WAF web ACL per tenant environment (about $5+/month) is not justified.',
    );
    acknowledgeNag(
      this.distribution,
      'AwsSolutions-CFR4',
      'Served on the default *.cloudfront.net certificate, whose TLS policy CloudFront fixes; a custom domain with a TLS 1.2 policy needs a us-east-1 certificate.',
    );
  }

  /** Uploads the widget files (when built) and `config.json` on every deploy, then invalidates the CDN. */
  publish(content: WidgetContent): BucketDeployment {
    if (this.deployment) throw new Error('The widget is already published');
    const { assetsDir } = content;
    this.includesWidgetFiles = assetsDir !== undefined && existsSync(assetsDir);
    const sources: ISource[] = [Source.jsonData('config.json', content.runtimeConfig)];
    if (assetsDir !== undefined && this.includesWidgetFiles) sources.unshift(Source.asset(assetsDir));

    const deployerLogs = new LogGroup(this, 'DeployerLogs', { retention: this.retention });
    const deployerRole = new Role(this, 'DeployerRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Uploads the widget files and config.json, then invalidates the CDN',
    });
    deployerLogs.grantWrite(deployerRole);
    this.deployment = new BucketDeployment(this, 'Deploy', {
      sources,
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      cacheControl: [CacheControl.setPublic(), CacheControl.maxAge(this.maxAge)],
      logGroup: deployerLogs,
      role: deployerRole,
      memoryLimit: 256,
    });
    this.acknowledgeDeployer(deployerRole);
    return this.deployment;
  }

  /** The upload custom resource is CDK's own; its permissions and runtime are fixed by aws-cdk-lib. */
  private acknowledgeDeployer(role: Role): void {
    const why = 'CDK BucketDeployment copies every file of the asset zip into the widget bucket and prunes stale ones';
    for (const finding of ['Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*', 'Action::s3:DeleteObject*', 'Action::s3:Abort*']) {
      acknowledgeNag(role, `AwsSolutions-IAM5[${finding}]`, `${why}; the action groups are aws-cdk-lib's grantRead/grantReadWrite.`);
    }
    acknowledgeNag(role, iam5Resource(role, `${this.bucket.bucketArn}/*`), `${why}: object keys are the widget's file names.`);
    const qualifier: unknown = this.node.tryGetContext('@aws-cdk/core:bootstrapQualifier') ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER;
    acknowledgeNag(
      role,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-${String(qualifier)}-assets-<AWS::AccountId>-${Stack.of(this).region}/*]`,
      `${why}: it reads the asset zip from the CDK bootstrap bucket, whose object keys are content hashes.`,
    );
    acknowledgeNag(role, 'AwsSolutions-IAM5[Resource::*]', 'cloudfront:CreateInvalidation/GetInvalidation after upload; CDK grants them without a distribution ARN.');
    const handler = Stack.of(this).node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (!handler) throw new Error('BucketDeployment handler not found');
    acknowledgeNag(handler, 'AwsSolutions-L1', "The BucketDeployment handler's Python runtime is chosen by aws-cdk-lib, not by this project.");
  }

  /** The https:// origin of the CDN (no trailing slash). */
  get origin(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }
}

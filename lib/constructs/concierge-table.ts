import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { TableDecl } from '../declaration';

/** Properties of a {@link ConciergeTable}. */
export interface ConciergeTableProps {
  /** Keys, TTL attribute and global indexes, from the declaration. */
  readonly declaration: TableDecl;
  /**
   * `customer-managed` creates a KMS key with yearly rotation for the table.
   * @default 'aws-managed'
   */
  readonly encryption?: 'aws-managed' | 'customer-managed';
  /**
   * What happens to the table (and its key) when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The single DynamoDB table of a tenant environment: on-demand, point-in-time
 * recovery, encrypted, TTL, and the global indexes of the declaration. Every
 * key starts with the tenant id (see the access-pattern module).
 */
export class ConciergeTable extends Construct {
  readonly table: Table;
  /** The customer-managed key, when one was asked for. */
  readonly key?: Key;

  constructor(scope: Construct, id: string, props: ConciergeTableProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const { declaration } = props;
    if (props.encryption === 'customer-managed') {
      this.key = new Key(this, 'Key', {
        description: 'Encrypts the Concierge table',
        enableKeyRotation: true,
        removalPolicy,
      });
    }

    this.table = new Table(this, 'Table', {
      partitionKey: { name: declaration.partitionKey, type: AttributeType.STRING },
      sortKey: { name: declaration.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: this.key ? TableEncryption.CUSTOMER_MANAGED : TableEncryption.AWS_MANAGED,
      encryptionKey: this.key,
      timeToLiveAttribute: declaration.ttlAttribute,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });

    for (const index of declaration.globalIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }
  }
}

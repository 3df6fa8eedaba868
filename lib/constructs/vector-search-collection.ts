import { Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { CfnAccessPolicy, CfnCollection, CfnSecurityPolicy } from 'aws-cdk-lib/aws-opensearchserverless';
import { Construct } from 'constructs';
import { derivedName } from './names';

/** Properties of {@link VectorSearchCollection}. */
export interface VectorSearchCollectionProps {
  /**
   * Standby replicas in a second Availability Zone (doubles the OCU floor).
   * @default true
   */
  readonly standbyReplicas?: boolean;
  /**
   * What happens to the collection (and its vectors) when the stack is deleted.
   * Vectors can be rebuilt from the knowledge items in the table.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An OpenSearch Serverless VECTORSEARCH collection for knowledge passages,
 * with its encryption policy (AWS-owned key), network policy (public endpoint,
 * IAM-signed requests only) and a data access policy that lists exactly the
 * roles given to {@link VectorSearchCollection.grantReadWrite}.
 */
export class VectorSearchCollection extends Construct {
  readonly collection: CfnCollection;
  /** The collection name (physical, derived from the construct path). */
  readonly collectionName: string;
  private readonly principals: IRole[] = [];

  constructor(scope: Construct, id: string, props: VectorSearchCollectionProps = {}) {
    super(scope, id);
    this.collectionName = derivedName(this, 28);
    const collectionResource = `collection/${this.collectionName}`;

    const encryption = new CfnSecurityPolicy(this, 'EncryptionPolicy', {
      name: derivedName(this, 26) + '-enc',
      type: 'encryption',
      description: 'Encrypts the Concierge knowledge collection with an AWS-owned key',
      policy: JSON.stringify({ Rules: [{ ResourceType: 'collection', Resource: [collectionResource] }], AWSOwnedKey: true }),
    });
    const network = new CfnSecurityPolicy(this, 'NetworkPolicy', {
      name: derivedName(this, 26) + '-net',
      type: 'network',
      description: 'Public endpoint; every request is SigV4-signed and checked against the data access policy',
      policy: JSON.stringify([{ Rules: [{ ResourceType: 'collection', Resource: [collectionResource] }], AllowFromPublic: true }]),
    });

    this.collection = new CfnCollection(this, 'Collection', {
      name: this.collectionName,
      type: 'VECTORSEARCH',
      description: 'Concierge knowledge passages and their embeddings',
      standbyReplicas: props.standbyReplicas === false ? 'DISABLED' : 'ENABLED',
    });
    this.collection.addResourceDependency(encryption);
    this.collection.addResourceDependency(network);
    this.collection.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.DESTROY);

    const stack = Stack.of(this);
    new CfnAccessPolicy(this, 'DataAccessPolicy', {
      name: derivedName(this, 26) + '-dat',
      type: 'data',
      description: 'The Concierge functions that retrieve and index knowledge passages',
      // Lazy: the principals are the roles granted after construction.
      policy: Lazy.string({
        produce: () =>
          stack.toJsonString([
            {
              Rules: [
                {
                  ResourceType: 'collection',
                  Resource: [collectionResource],
                  Permission: ['aoss:DescribeCollectionItems', 'aoss:CreateCollectionItems', 'aoss:UpdateCollectionItems'],
                },
                {
                  ResourceType: 'index',
                  Resource: [`index/${this.collectionName}/*`],
                  Permission: ['aoss:CreateIndex', 'aoss:DescribeIndex', 'aoss:UpdateIndex', 'aoss:ReadDocument', 'aoss:WriteDocument'],
                },
              ],
              Principal: this.principals.map((role) => role.roleArn),
            },
          ]),
      }),
    });
    this.node.addValidation({
      validate: () => (this.principals.length === 0 ? ['No role may use the vector collection: call grantReadWrite()'] : []),
    });
  }

  /** Lets a role read and write the collection's indexes (IAM `aoss:APIAccessAll` plus the data access policy). */
  grantReadWrite(role: IRole): void {
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['aoss:APIAccessAll'], resources: [this.collection.attrArn] }));
    this.principals.push(role);
  }

  /** The HTTPS endpoint of the collection. */
  get endpoint(): string {
    return this.collection.attrCollectionEndpoint;
  }
}

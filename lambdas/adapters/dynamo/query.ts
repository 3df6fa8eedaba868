/**
 * Small DynamoDB helpers shared by the table's adapters.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { badRequest } from '../../core/errors';

/** A conditional write (or a transaction with one) that did not hold. */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || error instanceof TransactionCanceledException;
}

/** Runs a conditional write: true when it was made, false when its condition did not hold; other errors are thrown. */
export async function conditionalWrite(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * A "this went out" marker (a sent e-mail, for a retried workflow step: core/send-once.ts): whether it exists, read
 * strongly. Past its expiry but not yet deleted by TTL, a marker still counts.
 */
export async function markerExists(db: DynamoDBDocumentClient, tableName: string, key: { pk: string; sk: string }): Promise<boolean> {
  return (await db.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item !== undefined;
}

/** Writes a marker (`item`: its key and what it records) unless one exists: false when it did. */
export function putMarker(db: DynamoDBDocumentClient, tableName: string, item: { pk: string; sk: string } & Record<string, unknown>): Promise<boolean> {
  return conditionalWrite(db.send(new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' })));
}

export interface PartitionQuery {
  /** Only sort keys that begin with this. */
  readonly prefix?: string;
  readonly consistent?: boolean;
  readonly newestFirst?: boolean;
  /** Stop after this many items; all of the partition when absent. */
  readonly limit?: number;
  /** Only these attributes of each item (a projection: less to transfer and parse, the same read capacity). */
  readonly attributes?: readonly string[];
}

/** Every item of one partition (or of a sort-key prefix in it), following pages. */
export async function queryPartition(db: DynamoDBDocumentClient, tableName: string, pk: string, options: PartitionQuery = {}): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: options.prefix ? 'pk = :pk AND begins_with(sk, :p)' : 'pk = :pk',
        ExpressionAttributeValues: options.prefix ? { ':pk': pk, ':p': options.prefix } : { ':pk': pk },
        ExclusiveStartKey: start,
        ...(options.consistent ? { ConsistentRead: true } : {}),
        ...(options.newestFirst ? { ScanIndexForward: false } : {}),
        ...(options.limit ? { Limit: options.limit - items.length } : {}),
        ...(options.attributes?.length
          ? {
              ProjectionExpression: options.attributes.map((_, i) => `#a${i}`).join(', '),
              ExpressionAttributeNames: Object.fromEntries(options.attributes.map((a, i) => [`#a${i}`, a])),
            }
          : {}),
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start && (options.limit === undefined || items.length < options.limit));
  return items;
}

/**
 * Every item under one key of the GSI1 index (`gsi1pk`), following pages: only `attributes` of each, and only those
 * passing `filter` (a FilterExpression over `:f0`, `:f1`… in `filterValues`; read capacity is spent on all of them).
 */
export async function queryGsi1(
  db: DynamoDBDocumentClient,
  tableName: string,
  gsi1pk: string,
  options: { readonly attributes: readonly string[]; readonly filter?: string; readonly filterValues?: Readonly<Record<string, unknown>> },
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': gsi1pk, ...options.filterValues },
        ...(options.filter ? { FilterExpression: options.filter } : {}),
        ProjectionExpression: options.attributes.map((_, i) => `#a${i}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(options.attributes.map((a, i) => [`#a${i}`, a])),
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** An opaque page cursor: the JSON of what the store needs to go on, base64url. */
export function writeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Reads a cursor written by {@link writeCursor} with `schema`; anything else is a 400 naming the field. */
export function readCursor<T>(schema: z.ZodType<T>, cursor: string): T {
  try {
    return schema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw badRequest('cursor is not one this store returned', 'cursor');
  }
}

import { Names } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * A physical name for services that insist on one (OpenSearch Serverless
 * collections and policies): derived from the construct path, so it is unique
 * per stack and stable across deployments, never hard-coded.
 * Lowercase letters, digits and dashes, starting with a letter.
 */
export function derivedName(scope: IConstruct, maxLength: number): string {
  const unique = Names.uniqueResourceName(scope, { maxLength, separator: '-' })
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '');
  return /^[a-z]/.test(unique) ? unique : `c${unique}`.slice(0, maxLength);
}

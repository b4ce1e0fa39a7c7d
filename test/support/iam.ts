/** IAM documents against the rule that originals are sacred: no write outside `_derived/`. */
import type { PolicyDocument, PolicyStatement } from '../../infra/build/policies.ts';

/** Every S3 action that creates, changes or removes an object or its versions, ACL, tags or retention. */
const OBJECT_WRITES = [
  's3:PutObject',
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:PutObjectAcl',
  's3:PutObjectVersionAcl',
  's3:PutObjectTagging',
  's3:DeleteObjectTagging',
  's3:PutObjectRetention',
  's3:PutObjectLegalHold',
  's3:RestoreObject',
  's3:ReplicateObject',
  's3:ReplicateDelete',
  's3:AbortMultipartUpload',
  's3:PutLifecycleConfiguration',
  's3:PutBucketPolicy',
  's3:DeleteBucket',
];

export const list = <T>(value: T | readonly T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? [...value] : [value as T]);

/** IAM action matching: case-insensitive, `*` any run, `?` one character. */
function actionMatches(pattern: string, action: string): boolean {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${body}$`, 'i').test(action);
}

const DERIVED_ONLY = /^arn:aws:s3:::[a-z0-9.-]+\/_derived\/\*$/;

/** The statements of `doc` that allow an object write on a resource outside `_derived/`. */
export function writesOutsideDerived(doc: PolicyDocument): { statement: PolicyStatement; actions: string[]; resources: string[] }[] {
  const found: { statement: PolicyStatement; actions: string[]; resources: string[] }[] = [];
  for (const statement of doc.Statement) {
    if (statement.Effect !== 'Allow') continue;
    const raw = statement as unknown as Record<string, unknown>;
    // NotAction / NotResource allow everything else: never acceptable here.
    if ('NotAction' in raw || 'NotResource' in raw) {
      found.push({ statement, actions: ['NotAction/NotResource'], resources: [] });
      continue;
    }
    const writes = OBJECT_WRITES.filter((action) => list(statement.Action).some((pattern) => actionMatches(pattern, action)));
    if (writes.length === 0) continue;
    const outside = list(statement.Resource).filter((resource) => !DERIVED_ONLY.test(resource));
    if (outside.length > 0) found.push({ statement, actions: writes, resources: outside });
  }
  return found;
}

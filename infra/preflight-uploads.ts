/**
 * The preflight's `uploads` rule (infra/preflight.ts): browser uploads as a stage file asks for them.
 * - Transfer Acceleration needs a bucket name that is DNS-compliant and has no dots
 *   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketAccelerateConfiguration.html:
 *   "The name of the bucket used for Transfer Acceleration must be DNS-compliant and must not
 *   contain periods"): one DNS label of 3 to 63 lowercase letters, digits and hyphens, a letter or
 *   digit first and last. Checked on the originals bucket as the stage names it.
 * - The grant needs the distribution's uploads block, and the sites' origins (CORS of the function
 *   URL and of the bucket): each `https://host[:port]` with no path, or http://localhost for a
 *   site in development; ours, from the CORS origin syntax.
 */
import type { StageUploads } from './stages/schema.ts';

/** Why a bucket name cannot be accelerated; empty when it can. */
function accelerationNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (name.includes('.')) problems.push('no dots');
  if (!/^[a-z0-9]([a-z0-9-]{1,61})[a-z0-9]$/.test(name))
    problems.push('one DNS label of 3 to 63 lowercase letters, digits and hyphens, a letter or digit first and last');
  return problems;
}

function originProblem(origin: string): string | undefined {
  if (!URL.canParse(origin)) return 'not a URL';
  const url = new URL(origin);
  if (url.origin !== origin) return `not an origin (it should read ${url.origin === 'null' ? 'https://host' : url.origin})`;
  if (url.protocol !== 'https:' && url.hostname !== 'localhost') return 'not https (only http://localhost may be plain http)';
  return undefined;
}

/** The uploads problems of a stage: messages, each saying what to change in `file`. */
export function uploadProblems(uploads: StageUploads | undefined, primaryBucket: string, hasUploadsBlock: boolean, file: string): string[] {
  if (!uploads) return [];
  const problems: string[] = [];
  if (uploads.accelerate) {
    const broken = accelerationNameProblems(primaryBucket);
    if (broken.length > 0) {
      problems.push(
        `Expected an originals bucket name S3 Transfer Acceleration accepts (${broken.join(', ')}) for uploads.accelerate but received ${primaryBucket}: rename the bucket in overrides.origins of ${file}, or turn acceleration off`,
      );
    }
  }
  if (uploads.grant) {
    if (!hasUploadsBlock) problems.push(`Expected an uploads block in the distribution (overrides.uploads of ${file}) for uploads.grant but received none`);
    const origins = uploads.allowedOrigins ?? [];
    if (origins.length === 0)
      problems.push(`Expected the sites' origins (https://www.example.org) in uploads.allowedOrigins of ${file} for uploads.grant but received none`);
    for (const origin of origins) {
      const problem = originProblem(origin);
      if (problem)
        problems.push(
          `Expected an origin such as https://www.example.org in uploads.allowedOrigins of ${file} but received ${JSON.stringify(origin)}: ${problem}`,
        );
    }
  }
  return problems;
}

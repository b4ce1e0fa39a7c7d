/**
 * `npm run upload -- FILE [KEY] --stage NAME`: an original into a stage's bucket, for operators and CI
 * (infra/tools/uploader.ts does the work; docs/uploads.md explains both ways).
 *
 *   npm run upload -- photo.jpg uploads/ci/photo.jpg --stage production                (operator's credentials)
 *   UPLOAD_GRANT_KEY=... npm run upload -- photo.jpg --stage production --grant https://....lambda-url.us-east-1.on.aws/
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from '../../functions/adapters/s3/store.ts';
import { contentTypeOfKey } from '../../functions/core/media-types.ts';
import { mintUploadToken } from '../../functions/core/upload-token.ts';
import { distribution } from '../distribution.ts';
import { deployOptionsFromStage, primaryS3Origin, stageSpec } from '../options.ts';
import { loadStage } from '../stages/load.ts';
import { postWithGrant, progressBar, requestGrant, uploadWithCredentials } from './uploader.ts';

const USAGE = `Usage: npm run upload -- FILE [KEY] --stage NAME [options]
  FILE            the image to upload
  KEY             its key in the bucket (default: uploads/<file name>)
  --stage NAME    the stage: its originals bucket, and the stage its tokens name
  --grant URL     the same flow as a site's browser: mint a token (key from UPLOAD_GRANT_KEY) for the
                  KEY's folder, ask the stage's upload-grant at URL (sst output uploadGrantUrl), POST
                  the file to the endpoint it names (one POST, up to images.limits.maxInputBytes)
  (without --grant) the operator's AWS credentials (the default chain): PutObject, or a multipart
                  upload from --part-mb; an existing original is refused unless --replace
  --accelerate    use the bucket's Transfer Acceleration endpoint (default: the stage's uploads.accelerate)
  --bucket NAME   the bucket (default: the stage's originals bucket; needs the stage file's account)
  --endpoint URL  an S3-compatible endpoint, path-style (e.g. the local edge's embedded S3)
  --part-mb N     multipart part size in MB (default 8, at least 5)
  --replace       replace an existing original (its variants are purged by derived-cleanup)`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    stage: { type: 'string' },
    grant: { type: 'string' },
    accelerate: { type: 'boolean' },
    bucket: { type: 'string' },
    endpoint: { type: 'string' },
    'part-mb': { type: 'string', default: '8' },
    replace: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});

function fail(message: string, code = 1): never {
  console.error(message);
  process.exit(code);
}

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const [file, keyArgument] = positionals;
if (!file) fail(`Expected a FILE to upload but received none\n${USAGE}`, 2);
if (!values.stage) fail(`Expected --stage NAME but received none\n${USAGE}`, 2);
const key = keyArgument ?? `uploads/${path.basename(file)}`;
const partMb = Number(values['part-mb']);
if (!(partMb >= 5)) fail(`Expected at least 5 for --part-mb (S3's smallest part is 5 MiB) but received ${values['part-mb']}`, 2);

const progress = (sent: number, total: number) => {
  if (process.stderr.isTTY) process.stderr.write(`\r${progressBar(sent, total)}`);
  else if (sent === total) console.error(progressBar(sent, total));
};

const started = performance.now();
try {
  if (values.grant) {
    const tokenKey = process.env['UPLOAD_GRANT_KEY'];
    if (!tokenKey) fail('Expected the stage key in UPLOAD_GRANT_KEY for --grant but received nothing', 2);
    const prefix = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
    const token = mintUploadToken(
      { stage: values.stage, prefix, exp: Math.floor(Date.now() / 1000) + 300, nonce: randomBytes(18).toString('base64url') },
      tokenKey,
    );
    const grant = await requestGrant(values.grant, token, contentTypeOfKey(key));
    await postWithGrant(grant, key, file, progress);
  } else {
    const stage = await loadStage(path.resolve('.'), values.stage);
    const options = deployOptionsFromStage(stage.config, { app: 'edge-images', stage: values.stage, root: '.', dev: false });
    let bucket = values.bucket;
    if (!bucket) {
      if (options.bucketNaming === 'unique' && !options.account) {
        fail(`Expected --bucket, or account in ${stage.file} (bucket names carry the account), but received neither`, 2);
      }
      bucket = primaryS3Origin(stageSpec(distribution, options)).bucket;
    }
    const region = primaryS3Origin(stageSpec(distribution, options)).region;
    const accelerate = values.accelerate ?? options.uploads?.accelerate ?? false;
    const client = new S3Client({
      ...s3ClientConfig(region, values.endpoint, 'tooling'),
      useAccelerateEndpoint: accelerate && !values.endpoint,
    });
    const how = await uploadWithCredentials({
      client,
      bucket,
      key,
      file,
      partBytes: partMb * 1024 * 1024,
      replace: values.replace ?? false,
      onProgress: progress,
    });
    console.error(`${how === 'multipart' ? 'multipart upload' : 'PutObject'} to ${bucket}${accelerate && !values.endpoint ? ' (Transfer Acceleration)' : ''}`);
    client.destroy();
  }
  if (process.stderr.isTTY) process.stderr.write('\n');
  console.log(`${key} uploaded in ${((performance.now() - started) / 1000).toFixed(2)} s`);
} catch (error) {
  if (process.stderr.isTTY) process.stderr.write('\n');
  fail((error as Error).message);
}

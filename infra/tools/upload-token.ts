/**
 * `npm run upload-token`: mints an upload token as a site's backend does (functions/core/upload-token.ts),
 * for tests and scripts; or makes a new stage key.
 *
 *   UPLOAD_GRANT_KEY=... npm run upload-token -- --stage production --prefix uploads/user-42/ --seconds 300
 *   npm run upload-token -- --new-key        (then: npx sst secret set UploadGrantKey <key> --stage NAME)
 *
 * The key comes from the environment, never from the command line (shell history, process lists).
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { mintUploadToken } from '../../functions/core/upload-token.ts';

const USAGE = `Usage: UPLOAD_GRANT_KEY=<key> npm run upload-token -- --stage NAME --prefix uploads/<who>/ [--seconds 300]
       npm run upload-token -- --new-key
  --stage     the stage the token is for (a token for another stage is refused)
  --prefix    the key prefix the token grants, ending in / (under the distribution's uploads.allowedPrefixes)
  --seconds   how long the token is valid (default 300; upload-grant refuses more than uploads.maxTokenSeconds)
  --new-key   print a new random stage key (32 bytes, base64url) instead`;

const { values } = parseArgs({
  options: {
    stage: { type: 'string' },
    prefix: { type: 'string' },
    seconds: { type: 'string', default: '300' },
    'new-key': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (values['new-key']) {
  console.log(randomBytes(32).toString('base64url'));
  process.exit(0);
}
const key = process.env['UPLOAD_GRANT_KEY'];
const seconds = Number(values.seconds);
const problem =
  values.stage === undefined
    ? 'Expected --stage NAME but received none'
    : values.prefix === undefined || !values.prefix.endsWith('/')
      ? `Expected --prefix ending in / (e.g. uploads/user-42/) but received ${JSON.stringify(values.prefix ?? '')}`
      : !Number.isInteger(seconds) || seconds < 1
        ? `Expected a whole number of seconds for --seconds but received ${JSON.stringify(values.seconds)}`
        : !key
          ? 'Expected the stage key in the environment variable UPLOAD_GRANT_KEY but received nothing'
          : undefined;
if (problem) {
  console.error(`${problem}\n${USAGE}`);
  process.exit(2);
}
const nonce = randomBytes(18).toString('base64url');
console.log(mintUploadToken({ stage: values.stage!, prefix: values.prefix!, exp: Math.floor(Date.now() / 1000) + seconds, nonce }, key!));

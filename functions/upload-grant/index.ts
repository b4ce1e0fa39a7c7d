// The deployed upload-grant: a regional Lambda behind its function URL. Config baked at build time
// (the generated module below, see functions/baked-config.d.ts); the token key and the role's
// credentials from the environment Lambda gives a regional function.
import { S3Client } from '@aws-sdk/client-s3';
import config from 'edge-images:config/upload-grant';
import { s3NonceStore } from '../adapters/s3/nonces.ts';
import { s3ClientConfig } from '../adapters/s3/store.ts';
import { jsonLog } from '../core/log.ts';
import { createHandler } from './handler.ts';

const tokenKey = process.env['UPLOAD_GRANT_KEY'];
if (!tokenKey) throw new Error("Expected the stage's upload token key in UPLOAD_GRANT_KEY but received nothing");

export const handler = createHandler(config, {
  tokenKey,
  // Lambda puts the role's temporary credentials in the environment and renews them with the instance.
  credentials: () => ({
    accessKeyId: process.env['AWS_ACCESS_KEY_ID'] ?? '',
    secretAccessKey: process.env['AWS_SECRET_ACCESS_KEY'] ?? '',
    sessionToken: process.env['AWS_SESSION_TOKEN'],
  }),
  nonces: s3NonceStore(new S3Client(s3ClientConfig(config.region, undefined, config.s3)), config.bucket),
  now: Date.now,
  log: jsonLog,
});

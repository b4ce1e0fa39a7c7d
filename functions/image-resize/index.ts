// The deployed origin-response function: config baked in at build time, real S3 and sharp.
import { S3Client } from '@aws-sdk/client-s3';
import { render } from '../adapters/image/render.ts';
import { s3ClientConfig, s3Store } from '../adapters/s3/store.ts';
import { jsonLog } from '../core/log.ts';
import { imageResizeConfig } from '../../infra/config.ts';
import { createHandler } from './handler.ts';

const config = imageResizeConfig();
const clients = new Map<string, S3Client>();
const regionOf = (bucket: string) => config.buckets.find((b) => b.bucket === bucket)?.region;
const clientFor = (region = 'us-east-1') => {
  let client = clients.get(region);
  if (!client) clients.set(region, (client = new S3Client(s3ClientConfig(region))));
  return client;
};

export const handler = createHandler(config, { store: s3Store(clientFor, regionOf), render, log: jsonLog });

// The deployed origin-response function: configuration baked in at build time (the generated module
// below: see functions/baked-config.d.ts), real S3 and sharp.
import config from 'edge-images:config/image-resize';
import { renderMakingMezzanine } from '../adapters/image/mezzanine.ts';
import { render } from '../adapters/image/render.ts';
import { regionalClients, s3Store } from '../adapters/s3/store.ts';
import { jsonLog } from '../core/log.ts';
import { createHandler } from './handler.ts';

const regionOf = (bucket: string) => config.buckets.find((b) => b.bucket === bucket)?.region;

export const handler = createHandler(config, { store: s3Store(regionalClients(config.s3), regionOf, config.s3), render, renderMakingMezzanine, log: jsonLog });

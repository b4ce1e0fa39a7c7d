// The deployed origin-response function: config baked in at build time, real S3 and sharp.
import { renderMakingMezzanine } from '../adapters/image/mezzanine.ts';
import { render } from '../adapters/image/render.ts';
import { regionalClients, s3Store } from '../adapters/s3/store.ts';
import { jsonLog } from '../core/log.ts';
import { imageResizeConfig } from '../../infra/config.ts';
import { createHandler } from './handler.ts';

const config = imageResizeConfig();
const regionOf = (bucket: string) => config.buckets.find((b) => b.bucket === bucket)?.region;

export const handler = createHandler(config, { store: s3Store(regionalClients(), regionOf), render, renderMakingMezzanine, log: jsonLog });

// The deployed origin-response function: configuration baked in at build time (the generated module
// below: see functions/baked-config.d.ts), real S3 and sharp.
import config from 'edge-images:config/image-resize';
import path from 'node:path';
import { renderer } from '../adapters/image/render-process.ts';
import { regionalClients, s3Store } from '../adapters/s3/store.ts';
import { jsonLog } from '../core/log.ts';
import { createHandler } from './handler.ts';

const regionOf = (bucket: string) => config.buckets.find((b) => b.bucket === bucket)?.region;

// Renders run in a warm child process, killed past their budget (render-worker.js is beside this
// bundle in the zip: infra/build/bundle.ts).
const rendering = renderer(path.join(__dirname, 'render-worker.js'));

export const handler = createHandler(config, {
  store: s3Store(regionalClients(config.s3), regionOf, config.s3),
  render: rendering.render,
  renderMakingMezzanine: rendering.renderMakingMezzanine,
  log: jsonLog,
});

/**
 * `npm run origin`: the HTTP image origin on any host (EC2 behind the origin group, or a laptop).
 *   npm run origin                                        the fixtures (fixtures/images), derived images in .build/
 *   npm run origin -- --dir ./images                      originals from a directory
 *   npm run origin -- --bucket edge-images-originals --region us-east-1
 *   PORT=8080 HOST=0.0.0.0 npm run origin -- --dir /srv/images
 * SIGTERM or SIGINT: stop accepting, finish in-flight requests, exit 0.
 */
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { renderBudgetMs, startRenderPool } from '../render/pool.ts';
import { s3ClientConfig, s3Store } from '../../functions/adapters/s3/store.ts';
import { distribution, tunables } from '../distribution.ts';
import { startImageOrigin } from './server.ts';
import { bucketStore, directoryStore } from './store.ts';
import type { OriginStore } from './store.ts';

const usage = `Usage: npm run origin -- [--dir DIR | --bucket NAME [--region REGION] [--endpoint URL]] [options]
  --dir DIR          serve originals from DIR (keys are paths relative to DIR; default: fixtures/images,
                     with derived images in .build/origin-derived so the checkout stays clean)
  --derived-dir DIR  keep derived images in DIR (default: DIR/_derived, the S3 layout)
  --bucket NAME      serve originals from an S3 bucket (credentials from the usual AWS chain)
  --region REGION    the bucket's region (default us-east-1)
  --endpoint URL     an S3-compatible endpoint instead of AWS (path-style, e.g. a local s3rver)
  --read-only        never store derived images (resize on every request that reaches it)
  --port N           port to listen on (default $PORT or 8080)
  --host ADDRESS     address to listen on (default $HOST or 127.0.0.1; 0.0.0.0 on a server)
  --drain-seconds N  on SIGTERM, how long in-flight requests may run (default 25)
Health: GET /healthz answers 200 "ok" (503 while draining).`;

let values;
try {
  ({ values } = parseArgs({
    options: {
      dir: { type: 'string' },
      'derived-dir': { type: 'string' },
      bucket: { type: 'string' },
      region: { type: 'string', default: 'us-east-1' },
      endpoint: { type: 'string' },
      'read-only': { type: 'boolean', default: false },
      port: { type: 'string' },
      host: { type: 'string' },
      'drain-seconds': { type: 'string', default: '25' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (error) {
  console.error(`${(error as Error).message}\n\n${usage}`);
  process.exit(2);
}

if (values.help) {
  console.log(usage);
  process.exit(0);
}
if (values.dir !== undefined && values.bucket !== undefined) {
  console.error(`Expected one of --dir or --bucket but received both\n\n${usage}`);
  process.exit(2);
}
// Neither: the fixtures, so `npm run origin` alone serves something; derived images stay out of the checkout.
if (values.bucket === undefined && values.dir === undefined) {
  values.dir = 'fixtures/images';
  values['derived-dir'] ??= '.build/origin-derived';
}
const port = Number(values.port ?? process.env['PORT'] ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Expected a port number for --port/PORT but received ${JSON.stringify(values.port ?? process.env['PORT'])}`);
  process.exit(2);
}
const drainSeconds = Number(values['drain-seconds']);
if (!Number.isFinite(drainSeconds) || drainSeconds < 0) {
  console.error(`Expected a number of seconds for --drain-seconds but received ${JSON.stringify(values['drain-seconds'])}`);
  process.exit(2);
}
const host = values.host ?? process.env['HOST'] ?? '127.0.0.1';

let store: OriginStore;
let client: S3Client | undefined;
if (values.bucket !== undefined) {
  client = new S3Client(s3ClientConfig(values.region, values.endpoint, tunables.s3));
  store = bucketStore(
    s3Store(
      () => client!,
      () => undefined,
      tunables.s3,
    ),
    values.bucket,
  );
} else {
  store = directoryStore({ originals: values.dir!, ...(values['derived-dir'] ? { derived: values['derived-dir'] } : {}) });
}

try {
  // Renders in child processes, each killed past the budget (a hung render never keeps a slot).
  const pool = await startRenderPool({ budgetMs: renderBudgetMs(distribution.images) });
  const origin = await startImageOrigin({
    store,
    policy: distribution.images,
    render: pool.render,
    renderMakingMezzanine: pool.renderMakingMezzanine,
    storeDerived: !values['read-only'],
    port,
    host,
    drainTimeoutMs: drainSeconds * 1000,
  });
  console.log(`edge-images HTTP image origin
  listening  ${origin.url} (on ${host})
  serving    ${store.description}${values['read-only'] ? ' (read-only)' : ''}
  health     ${origin.url}/healthz
SIGTERM or Ctrl-C drains and stops.`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: draining ${origin.inFlight()} in-flight request(s)...`);
    await origin.close();
    await pool.close();
    client?.destroy();
    console.log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
} catch (error) {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`Port ${port} is already in use: stop what is using it or pick another with --port`);
  } else {
    console.error('The image origin could not start:', error);
  }
  process.exit(1);
}

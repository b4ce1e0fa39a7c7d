/**
 * `npm start`: the local edge on its embedded defaults.
 *   npm start -- --images ./my-photos --quotas current      PORT=8080 npm start
 */
import { parseArgs } from 'node:util';
import { parseFailMode, parseViewerCountry } from './dev.ts';
import type { Simulation } from './dev.ts';
import { startLocalStack } from './stack.ts';

const { values } = parseArgs({
  options: {
    images: { type: 'string' },
    quotas: { type: 'string', default: 'strict' },
    country: { type: 'string' },
    'fail-primary': { type: 'string' },
    'origin-timeout': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(`Usage: npm start -- [--images DIR] [--quotas strict|current]
  --images DIR   seed the embedded S3 with the originals under DIR (default fixtures/images)
  --quotas       Lambda@Edge quotas to enforce: strict (5 s viewer timeout, the default) or current
  --country CC   dev only: simulate this viewer country (DE, or US-CA) for every request;
                 per request: header x-local-viewer-country: DE or ?x-local-viewer-country=DE
  --fail-primary MODE  dev only: make the primary origin fail for every request: down, slow or a
                 status (500); per request: header x-local-fail-primary: down or the same query flag
  --origin-timeout MS  origin read timeout (default 5000; CloudFront's is 30 s), which \`slow\` waits out
  PORT           port to listen on at 127.0.0.1 (default 3000)`);
  process.exit(0);
}
if (values.quotas !== 'strict' && values.quotas !== 'current') {
  console.error(`Expected strict or current for --quotas but received ${JSON.stringify(values.quotas)}`);
  process.exit(2);
}
const simulate: Simulation = {};
const originTimeout = values['origin-timeout'] === undefined ? undefined : Number(values['origin-timeout']);
try {
  if (values.country !== undefined) simulate.viewerCountry = parseViewerCountry(values.country);
  if (values['fail-primary'] !== undefined) simulate.failPrimary = parseFailMode(values['fail-primary']);
  if (originTimeout !== undefined && !(Number.isInteger(originTimeout) && originTimeout > 0)) {
    throw new Error(`Expected a number of milliseconds for --origin-timeout but received ${JSON.stringify(values['origin-timeout'])}`);
  }
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const port = Number(process.env['PORT'] ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Expected a port number for PORT but received ${JSON.stringify(process.env['PORT'])}`);
  process.exit(2);
}

try {
  const stack = await startLocalStack({
    port,
    quotas: values.quotas,
    simulate,
    ...(originTimeout ? { originTimeouts: { readMs: originTimeout } } : {}),
    ...(values.images ? { images: values.images } : {}),
  });
  const example = stack.seeded.find((key) => key.endsWith('.jpg')) ?? stack.seeded[0] ?? 'photos/cat.jpg';
  console.log(`edge-images local edge
  edge       ${stack.edge.url}
  try        ${stack.edge.url}/128x128/${example.split('/').map(encodeURIComponent).join('/')}
  S3         ${stack.s3.endpoint}  bucket ${stack.bucket}  (path-style, access key S3RVER / secret S3RVER)
  originals  ${stack.seeded.length} seeded from ${values.images ?? 'fixtures/images'}
  secondary  ${stack.origin.url}  HTTP image origin (the origin group's secondary)
  dev        curl -H 'x-local-viewer-country: DE' -H 'x-local-fail-primary: down' -I ${stack.edge.url}/256x256/${example.split('/').map(encodeURIComponent).join('/')}${
    simulate.viewerCountry || simulate.failPrimary ? `
  simulating ${[simulate.viewerCountry && `viewer country ${simulate.viewerCountry}`, simulate.failPrimary && `primary ${simulate.failPrimary}`].filter(Boolean).join(', ')}` : ''
  }
Ctrl-C stops.`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping the local edge...');
    await stack.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`Port ${port} is already in use: stop what is using it or run with another port, e.g. PORT=3001 npm start`);
  } else {
    console.error('The local edge could not start:', error);
  }
  process.exit(1);
}

/**
 * `npm start`: the local edge on its embedded defaults.
 *   npm start -- --images ./my-photos --quotas current      PORT=8080 npm start
 *   npm start -- --s3-latency 100                            S3 a region away
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { applyOverrides } from '../build/overrides.ts';
import type { BuildOverrides } from '../build/overrides.ts';
import { distribution } from '../distribution.ts';
import { parseFailMode, parseS3Conflicts, parseViewerIp, parseViewerCountry } from './dev.ts';
import type { Simulation } from './dev.ts';
import { startLocalStack } from '../local-stack.ts';
import { S3_LATENCY_PRESETS, startS3LatencyProxy } from './s3-latency.ts';
import type { S3LatencyProxy } from './s3-latency.ts';

const { values } = parseArgs({
  options: {
    images: { type: 'string' },
    quotas: { type: 'string', default: 'strict' },
    country: { type: 'string' },
    'viewer-ip': { type: 'string' },
    'fail-primary': { type: 'string' },
    'origin-timeout': { type: 'string' },
    config: { type: 'string' },
    s3: { type: 'string', default: 'embedded' },
    's3-endpoint': { type: 'string' },
    's3-conflict': { type: 'string' },
    'drop-vary': { type: 'boolean', default: false },
    's3-latency': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(`Usage: npm start -- [--images DIR] [--quotas strict|current]
  --images DIR   seed the embedded S3 with the originals under DIR (default fixtures/images)
  --quotas       Lambda@Edge quotas to enforce: strict (5 s viewer timeout, the default) or current
  --country CC   dev only: simulate this viewer country (DE, or US-CA) for every request;
                 per request: header x-local-viewer-country: DE or ?x-local-viewer-country=DE
  --viewer-ip IP  dev only: the viewer's address (clientIp) for every request, to try IpAddress policies;
                 per request: header x-local-viewer-ip: 203.0.113.7 or ?x-local-viewer-ip=203.0.113.7
  --fail-primary MODE  dev only: make the primary origin fail for every request: down, slow or a
                 status (500); per request: header x-local-fail-primary: down or the same query flag
  --origin-timeout MS  origin read timeout (default 5000; CloudFront's is 30 s), which \`slow\` waits out
  --config FILE  build overrides (the JSON \`npm run package -- --config\` takes), e.g. a stage's bucket names
  --s3 MODE      embedded (default: s3rver in this process, seeded) or aws (the real buckets of the
                 spec, with the default AWS credential chain; what \`sst dev\` runs)
  --s3-endpoint URL  the spec's buckets on any S3-compatible server (MinIO, Ceph, LocalStack...) at URL,
                 path-style, credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or a profile);
                 implies --s3 aws: the buckets must exist and hold the originals (not seeded)
  --s3-conflict N  dev only: the embedded S3 answers the next N (1-3) conditional writes with 409
                 ConditionalRequestConflict, every request; per request: header x-local-s3-conflict: 1
  --drop-vary    dev only: a broken edge on purpose, image-resize's answers lose Vary (npm run verify fails)
  --s3-latency MS  the embedded S3 answers every request's first byte MS ms after it arrives, each
                 body paced at 85 MB/s per connection (infra/local/s3-latency.ts): 30 is in-region
                 S3, 100 a bucket a region away from the edge (the functions and the edge's S3
                 origins go through it; seeding and the gallery do not)
  PORT           port to listen on at 127.0.0.1 (default 3000)`);
  process.exit(0);
}
if (values.quotas !== 'strict' && values.quotas !== 'current') {
  console.error(`Expected strict or current for --quotas but received ${JSON.stringify(values.quotas)}`);
  process.exit(2);
}
if (values['s3-endpoint'] !== undefined) {
  if (!URL.canParse(values['s3-endpoint']) || !/^https?:$/.test(new URL(values['s3-endpoint']).protocol)) {
    console.error(`Expected an http(s) URL such as http://127.0.0.1:9000 for --s3-endpoint but received ${JSON.stringify(values['s3-endpoint'])}`);
    process.exit(2);
  }
  values.s3 = 'aws';
}
if (values.s3 !== 'embedded' && values.s3 !== 'aws') {
  console.error(`Expected embedded or aws for --s3 but received ${JSON.stringify(values.s3)}`);
  process.exit(2);
}
let spec = distribution;
if (values.config !== undefined) {
  try {
    spec = applyOverrides(distribution, JSON.parse(await readFile(values.config, 'utf8')) as BuildOverrides);
  } catch (error) {
    console.error(`The build overrides in ${values.config} cannot be used: ${(error as Error).message}`);
    process.exit(2);
  }
}
const simulate: Simulation = {};
let s3LatencyMs: number | undefined;
let latency: S3LatencyProxy | undefined;
const originTimeout = values['origin-timeout'] === undefined ? undefined : Number(values['origin-timeout']);
try {
  if (values.country !== undefined) simulate.viewerCountry = parseViewerCountry(values.country);
  if (values['fail-primary'] !== undefined) simulate.failPrimary = parseFailMode(values['fail-primary']);
  if (values['viewer-ip'] !== undefined) simulate.viewerIp = parseViewerIp(values['viewer-ip']);
  if (values['drop-vary']) simulate.dropVary = true;
  if (values['s3-conflict'] !== undefined) {
    if (values.s3 === 'aws') throw new Error('Expected the embedded S3 for --s3-conflict but received --s3 aws: real S3 cannot be told to conflict');
    simulate.s3Conflicts = parseS3Conflicts(values['s3-conflict']);
  }
  if (values['s3-latency'] !== undefined) {
    if (values.s3 === 'aws') throw new Error('Expected the embedded S3 for --s3-latency but received --s3 aws: real S3 has latency of its own');
    s3LatencyMs = Number(values['s3-latency']);
    if (!(Number.isInteger(s3LatencyMs) && s3LatencyMs >= 0 && s3LatencyMs <= 10_000)) {
      throw new Error(`Expected a number of milliseconds from 0 to 10000 for --s3-latency but received ${JSON.stringify(values['s3-latency'])}`);
    }
  }
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
    spec,
    s3: values.s3,
    ...(values['s3-endpoint'] ? { s3Endpoint: values['s3-endpoint'] } : {}),
    port,
    quotas: values.quotas,
    simulate,
    ...(originTimeout ? { originTimeouts: { readMs: originTimeout } } : {}),
    ...(values.images ? { images: values.images } : {}),
    ...(s3LatencyMs === undefined
      ? {}
      : {
          s3Front: async (endpoint: string) => {
            latency = await startS3LatencyProxy(endpoint, { firstByteMs: s3LatencyMs!, bytesPerSecond: S3_LATENCY_PRESETS.inRegion.bytesPerSecond });
            return latency.endpoint;
          },
        }),
  });
  const seededExample = stack.seeded.includes('photos/cat.jpg') ? 'photos/cat.jpg' : stack.seeded.find((key) => key.endsWith('.jpg'));
  const example = (seededExample ?? 'photos/cat.jpg').split('/').map(encodeURIComponent).join('/');
  const s3Line =
    values.s3 === 'aws'
      ? `${values['s3-endpoint'] ?? 'real S3'} with your AWS credentials, bucket ${stack.bucket} (not seeded)`
      : `${stack.s3.endpoint}  bucket ${stack.bucket}  (path-style, access key S3RVER / secret S3RVER)`;
  const simulating = [
    simulate.viewerCountry && `viewer country ${simulate.viewerCountry}`,
    simulate.failPrimary && `primary ${simulate.failPrimary}`,
    simulate.viewerIp && `viewer IP ${simulate.viewerIp}`,
    latency && `S3 first byte ${s3LatencyMs} ms (functions' requests through ${latency.endpoint})`,
  ].filter(Boolean);
  console.log(`edge-images local edge
  gallery    ${stack.edge.url}/   thumbnails, private images, dev switches, request inspector
  thumbnail  ${stack.edge.url}/128x128/${example}
  private    npm run sign -- '${stack.edge.url}/private/vault.jpg?w=320'
  S3         ${s3Line}
  originals  ${values.s3 === 'aws' ? 'in the bucket' : `${stack.seeded.length} seeded from ${values.images ?? 'fixtures/images'}`}
  secondary  ${stack.origin.url}  HTTP image origin (the origin group's secondary)${
    stack.uploads
      ? `\n  uploads    UPLOAD_GRANT_KEY=${stack.uploads.tokenKey} npm run upload -- photo.jpg uploads/me/photo.jpg --stage ${stack.uploads.config.stage} --grant ${stack.uploads.url}`
      : ''
  }
  dev        curl -I -H 'x-local-viewer-country: DE' -H 'x-local-fail-primary: down' ${stack.edge.url}/256x256/${example}${
    simulating.length > 0 ? `\n  simulating ${simulating.join(', ')}` : ''
  }
Ctrl-C stops.`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping the local edge...');
    await stack.close();
    await latency?.close();
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

/**
 * The viewer functions in a process of their own (bench/viewer.ts bundles and runs this with
 * `--expose-gc` and a 64 MB young generation): operations per second of each handler against the same
 * work written by hand with the URL API and `crypto.verify`, and the bytes each allocates per request.
 *
 * The hand-written baselines do what a careful minimal function would: parse the URL with `URL` /
 * `URLSearchParams`, check the size against the allowlist, pick the format from Accept, build the
 * canonical URI; for signed URLs, rebuild (or decode) the policy, `crypto.verify` it with a key parsed
 * at init, check the expiry (and IP and resource for a custom policy), strip the signing parameters.
 * They skip what the real functions add: every grammar rule (control characters, `..`, repeated
 * or unknown parameters, preset grants, dpr), CloudFront's exact error answers, the JSON log line.
 * Both sides are async handlers called with the same event object, reset between calls.
 *
 * Prints one JSON line: { cases: [{ name, handler_ops_per_s, baseline_ops_per_s, ... }] }.
 */
import { verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { PerformanceObserver } from 'node:perf_hooks';
import type { CloudFrontRequest, CloudFrontRequestEvent } from 'aws-lambda';
import { viewerRequestEvent } from '../infra/local/cloudfront-events.ts';
import type { Log } from '../functions/core/log.ts';
import { createKeyRing } from '../functions/core/signed-url.ts';
import { createHandler as imageRequestHandler } from '../functions/image-request/handler.ts';
import { createHandler as signedUrlHandler } from '../functions/signed-url/handler.ts';
import { imageRequestConfig, signedUrlConfig } from '../infra/config.ts';
import { images } from '../infra/distribution.ts';
import { signUrl, testKey } from '../infra/tools/signer.ts';
import { opsPerSecondAsync, round } from './stats.ts';

const ROUNDS = Number(process.env['VIEWER_ROUNDS'] ?? 5);
const ROUND_MS = Number(process.env['VIEWER_ROUND_MS'] ?? 150);
const ACCEPT = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';
const HOST = 'cdn.example.com';
const NOW_MS = Date.parse('2026-01-01T00:00:00Z');

/** The deployed log line is JSON on stdout: serialise it (the function's work), write nothing. */
let logged = 0;
const serialisingLog: Log = (line) => {
  logged += JSON.stringify(line).length;
};

type Handler = (event: CloudFrontRequestEvent) => Promise<unknown>;

interface ViewerCase {
  readonly name: string;
  readonly fn: 'image-request' | 'signed-url';
  readonly event: CloudFrontRequestEvent;
  readonly handler: Handler;
  readonly baseline: Handler;
}

function eventFor(uri: string, querystring: string, clientIp = '203.0.113.42'): CloudFrontRequestEvent {
  return viewerRequestEvent({
    clientIp,
    uri,
    querystring,
    requestId: 'n5eGBRLuM6ClsWVizUN7n1nJT-F4MHx74F4lpAXq2g5sQ55bfgtx5A==',
    headers: {
      host: [{ key: 'Host', value: HOST }],
      accept: [{ key: 'Accept', value: ACCEPT }],
      'user-agent': [{ key: 'User-Agent', value: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' }],
    },
  });
}

// ---------------------------------------------------------------------------------------------
// By hand: the same rewrite with the URL API and no grammar of its own.
// ---------------------------------------------------------------------------------------------
const SIZES = new Set<string>(images.sizes);
const WIDTHS = new Set(images.widths.map(String));
const FORMATS = new Set<string>(images.formats);

function rewriteByHand(request: CloudFrontRequest): CloudFrontRequest | { status: string } {
  const url = new URL(`https://${HOST}${request.uri}${request.querystring ? `?${request.querystring}` : ''}`);
  const params = url.searchParams;
  const segments = url.pathname.split('/');
  const first = segments[1] ?? '';
  let width: number;
  let height: number | undefined;
  let fit = params.get('fit') ?? 'cover';
  let quality = Number(params.get('q') ?? 75);
  let format = params.get('fm') ?? 'auto';
  let key: string;
  const preset = Object.hasOwn(images.presets, first) ? images.presets[first] : undefined;
  if (SIZES.has(first)) {
    const [w, h] = first.split('x');
    width = Number(w);
    height = Number(h);
    key = segments.slice(2).join('/');
  } else if (preset) {
    width = preset.width;
    height = preset.height;
    fit = preset.fit ?? (height === undefined ? 'inside' : fit);
    quality = typeof preset.quality === 'number' ? preset.quality : quality;
    format = preset.format ?? format;
    key = segments.slice(2).join('/');
  } else {
    const w = params.get('w');
    key = segments.slice(1).join('/');
    if (w === null) return request;
    if (!WIDTHS.has(w) && !SIZES.has(`${w}x${params.get('h')}`)) return { status: '400' };
    width = Number(w);
    const h = params.get('h');
    height = h === null ? undefined : Number(h);
    if (height === undefined) fit = 'inside';
  }
  if (format === 'auto') format = ACCEPT_AVIF.test(request.headers['accept']?.[0]?.value ?? '') ? 'avif' : 'webp';
  if (!FORMATS.has(format)) return { status: '400' };
  request.uri = `/_derived/${decodeURIComponent(key)}/${width}x${height ?? 'auto'}-${fit}-q${quality}.${format}`;
  request.querystring = '';
  return request;
}
const ACCEPT_AVIF = /image\/avif/;

async function imageRequestByHand(event: CloudFrontRequestEvent): Promise<unknown> {
  return rewriteByHand(event.Records[0]!.cf.request);
}

function signedUrlByHand(keys: Map<string, KeyObject>, now: number): Handler {
  const fromCf = (text: string) => Buffer.from(text.replaceAll('-', '+').replaceAll('_', '=').replaceAll('~', '/'), 'base64');
  const deny = { status: '403' };
  return async (event) => {
    const request = event.Records[0]!.cf.request;
    const params = new URLSearchParams(request.querystring);
    const keyId = params.get('Key-Pair-Id');
    const signature = params.get('Signature');
    const expires = params.get('Expires');
    const encodedPolicy = params.get('Policy');
    const hash = params.get('Hash-Algorithm') === 'SHA256' ? 'sha256' : 'sha1';
    const key = keyId === null ? undefined : keys.get(keyId);
    if (key === undefined || signature === null) return deny;
    for (const name of ['Expires', 'Policy', 'Signature', 'Key-Pair-Id', 'Hash-Algorithm']) params.delete(name);
    const rest = params.toString();
    const url = `https://${request.headers['host']?.[0]?.value ?? ''}${request.uri}${rest ? `?${rest}` : ''}`;
    const policy =
      encodedPolicy === null
        ? `{"Statement":[{"Resource":"${url}","Condition":{"DateLessThan":{"AWS:EpochTime":${expires}}}}]}`
        : fromCf(encodedPolicy).toString('utf8');
    if (!verify(hash, Buffer.from(policy), key, fromCf(signature))) return deny;
    if (encodedPolicy === null) {
      if (Number(expires) <= now) return deny;
    } else {
      const statement = (
        JSON.parse(policy) as {
          Statement: { Resource?: string; Condition: { DateLessThan: { 'AWS:EpochTime': number }; IpAddress?: { 'AWS:SourceIp': string } } }[];
        }
      ).Statement[0]!;
      if (statement.Condition.DateLessThan['AWS:EpochTime'] <= now) return deny;
      if (statement.Resource !== undefined && !new RegExp(`^${statement.Resource.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replaceAll('*', '.*')}$`).test(url))
        return deny;
      const range = statement.Condition.IpAddress?.['AWS:SourceIp'];
      if (range !== undefined && !inRange(request.clientIp, range)) return deny;
    }
    request.querystring = rest;
    return rewriteByHand(request);
  };
}

function inRange(ip: string, cidr: string): boolean {
  const [base = '', bits = '32'] = cidr.split('/');
  const toInt = (text: string) => text.split('.').reduce((n, part) => (n << 8) | Number(part), 0) >>> 0;
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return (toInt(ip) & mask) >>> 0 === (toInt(base) & mask) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------------------
function cases(): ViewerCase[] {
  const list: ViewerCase[] = [];
  const imageRequest = imageRequestHandler(imageRequestConfig(), { log: serialisingLog }) as Handler;
  for (const [name, uri, query] of [
    ['image-request path /128x128/... fm=auto', '/128x128/photos/cat.jpg', ''],
    ['image-request preset /card/...', '/card/photos/cat.jpg', ''],
    ['image-request query ?w=640&h=... fm=auto', '/photos/cat.jpg', 'w=512&h=512&fit=cover&q=75'],
  ] as const) {
    list.push({ name, fn: 'image-request', event: eventFor(uri, query), handler: imageRequest, baseline: imageRequestByHand });
  }

  const config = signedUrlConfig();
  const signed = signedUrlHandler({ ...config, scheme: 'https' }, { log: serialisingLog, now: () => NOW_MS }) as Handler;
  const ring = createKeyRing(config.publicKeys);
  const byHand = signedUrlByHand(new Map([...ring].map(([id, k]) => [id, k.key])), NOW_MS / 1000);
  const expires = new Date(NOW_MS + 3600_000);
  for (const [name, type, hash, policy] of [
    ['signed-url canned RSA SHA1', 'RSA-2048', 'SHA1', 'canned'],
    ['signed-url canned ECDSA SHA256', 'ECDSA-P256', 'SHA256', 'canned'],
    ['signed-url custom (IP, folder) RSA SHA256', 'RSA-2048', 'SHA256', 'wildcard-resource'],
  ] as const) {
    const key = testKey(type);
    const url = signUrl({
      url: `https://${HOST}/private/vault.jpg?w=256&h=256`,
      expires,
      keyPairId: key.id,
      privateKey: key.privateKey,
      hash,
      policy,
      ...(policy === 'canned' ? {} : { ip: '203.0.113.0/24' }),
    });
    const parsed = new URL(url);
    list.push({ name, fn: 'signed-url', event: eventFor(parsed.pathname, parsed.search.slice(1)), handler: signed, baseline: byHand });
  }
  return list;
}

/** Calls fn on the case's event and puts the request back as it was, for the next call. */
function caller(c: ViewerCase, fn: Handler): () => Promise<unknown> {
  const request = c.event.Records[0]!.cf.request;
  const { uri, querystring } = request;
  return async () => {
    const result = await fn(c.event);
    request.uri = uri;
    request.querystring = querystring;
    return result;
  };
}

/** The URI a function sends on (or the status it answers), the request put back afterwards. */
async function once(c: ViewerCase, fn: Handler): Promise<string> {
  const request = c.event.Records[0]!.cf.request;
  const { uri, querystring } = request;
  const result = (await fn(c.event)) as CloudFrontRequest | { status: string };
  const outcome = 'uri' in result ? `${result.uri}${result.querystring ? `?${result.querystring}` : ''}` : `status ${result.status}`;
  request.uri = uri;
  request.querystring = querystring;
  return outcome;
}

/** Bytes allocated per call: heap growth over n calls with no garbage collection in between. */
async function allocationPerCall(call: () => Promise<unknown>, n: number): Promise<{ bytes: number; clean: boolean }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return { bytes: Number.NaN, clean: false };
  for (let i = 0; i < 200; i++) await call();
  let collections = 0;
  let started = Number.POSITIVE_INFINITY;
  const observer = new PerformanceObserver((list) => {
    collections += list.getEntries().filter((entry) => entry.startTime >= started).length;
  });
  observer.observe({ entryTypes: ['gc'] });
  gc();
  started = performance.now();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) await call();
  const after = process.memoryUsage().heapUsed;
  // Entries are delivered asynchronously: give the observer time before reading the count.
  await new Promise((resolve) => setTimeout(resolve, 20));
  observer.disconnect();
  return { bytes: Math.round((after - before) / n), clean: collections === 0 };
}

const rows: Record<string, unknown>[] = [];
for (const c of cases()) {
  const handler = caller(c, c.handler);
  const baseline = caller(c, c.baseline);
  const handled = await once(c, c.handler);
  const byHand = await once(c, c.baseline);
  if (handled.startsWith('status')) throw new Error(`Expected ${c.name} to go on but the handler answered ${handled}`);
  const handlerRuns: number[] = [];
  const baselineRuns: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    handlerRuns.push(await opsPerSecondAsync(handler, ROUND_MS));
    baselineRuns.push(await opsPerSecondAsync(baseline, ROUND_MS));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const handlerOps = median(handlerRuns);
  const baselineOps = median(baselineRuns);
  const n = c.fn === 'signed-url' ? 1000 : 5000;
  const handlerAlloc = await allocationPerCall(handler, n);
  const baselineAlloc = await allocationPerCall(baseline, n);
  rows.push({
    name: c.name,
    fn: c.fn,
    handler_ops_per_s: Math.round(handlerOps),
    baseline_ops_per_s: Math.round(baselineOps),
    baseline_vs_handler: round(baselineOps / handlerOps, 3),
    handler_us: round(1e6 / handlerOps, 2),
    baseline_us: round(1e6 / baselineOps, 2),
    handler_bytes_per_request: handlerAlloc.bytes,
    baseline_bytes_per_request: baselineAlloc.bytes,
    allocation_without_gc: handlerAlloc.clean && baselineAlloc.clean,
    canonical_uri: handled,
    same_uri_by_hand: handled === byHand,
  });
}
process.stdout.write(`${JSON.stringify({ cases: rows, logged_chars: logged, node: process.version })}\n`);

/**
 * Local-only routes of the edge: the gallery page, its API and the request inspector. They answer
 * before the CloudFront pipeline and exist only on the local edge.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { build } from 'esbuild';
import { EdgeError, toEdgeError } from '../../../functions/core/errors.ts';
import { assertOriginalKey, DERIVED_PREFIX, validateKey } from '../../../functions/core/keys.ts';
import type { ImagePolicy } from '../../../functions/core/policy.ts';
import type { EdgeCache } from '../cache.ts';
import type { RequestTrace } from '../edge.ts';
import { contentTypeOfKey } from '../../../functions/core/media-types.ts';
import type { LocalUploadGrant } from '../upload-grant.ts';

/**
 * A dev-only switch shown on the page (simulated country, failing primary). Its id is the local
 * edge's query flag: the page adds it to every image URL, so the browser asks again and the edge
 * applies it to that request alone.
 */
interface DevControl {
  readonly id: string;
  readonly label: string;
  readonly options: readonly { readonly value: string; readonly label: string }[];
}

export interface GalleryOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** Buckets that replicate the primary's originals (geo-routing); uploads go to each, as S3 replication would. */
  readonly replicas?: readonly string[];
  readonly policy: ImagePolicy;
  readonly cache: () => EdgeCache;
  readonly controls?: readonly DevControl[];
  /** Private images to show, with URLs made valid for this page (signed URL, signed cookies). */
  readonly privateImages?: (origin: string, res: ServerResponse) => { label: string; url: string }[];
  readonly maxTraces?: number;
  /**
   * The upload form's grant flow: this page's server plays the site's backend (it mints an upload
   * token for `uploads/`), the browser asks upload-grant and POSTs to the embedded S3.
   */
  readonly uploads?: LocalUploadGrant;
}

/** The prefix the gallery's "site" grants every visitor. */
const GALLERY_UPLOAD_PREFIX = 'uploads/';

const HERE = path.resolve('infra/local/gallery');
const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;
/** The inspector polls every 2 s; five missed polls and it is taken as closed. */
const INSPECTOR_OPEN_MS = 10_000;

export class Gallery {
  readonly #traces: RequestTrace[] = [];
  /** When the inspector last asked for the trace list (it polls every 2 s while the page is open). */
  #inspectedAt = Number.NEGATIVE_INFINITY;
  #assets: Promise<{ html: string; css: string; js: string }> | undefined;

  constructor(private readonly options: GalleryOptions) {}

  /** For the edge's onTrace: the inspector keeps the newest requests. */
  record = (trace: RequestTrace): void => {
    this.#traces.unshift(trace);
    this.#traces.length = Math.min(this.#traces.length, this.options.maxTraces ?? 100);
  };

  /** For the edge's traceDetail: the inspector is open (it polled in the last 10 s), so traces carry events and results. */
  inspecting = (): boolean => performance.now() - this.#inspectedAt < INSPECTOR_OPEN_MS;

  /**
   * For the edge's localRoutes: false at once when the request is not a gallery route (every image
   * request: no promise to wait for), else a promise of true once it is answered.
   */
  route = (req: IncomingMessage, res: ServerResponse): false | Promise<true> => {
    // The request target as sent, never resolved as a URL (`//x` or `/a/../b` would name another path).
    const target = req.url ?? '/';
    const queryAt = target.indexOf('?');
    const pathname = queryAt === -1 ? target : target.slice(0, queryAt);
    if (pathname !== '/' && !pathname.startsWith('/_local/')) return false;
    return this.#route(req, res, pathname, queryAt === -1 ? '' : target.slice(queryAt + 1));
  };

  async #route(req: IncomingMessage, res: ServerResponse, pathname: string, query: string): Promise<true> {
    const method = req.method ?? 'GET';
    const url = { pathname, searchParams: new URLSearchParams(query) };
    try {
      if (method !== 'GET' && method !== 'HEAD') assertSameOrigin(req);
      await this.#answer(method, url, req, res);
    } catch (thrown) {
      const error = toEdgeError(thrown);
      json(res, error.status, { error: error.publicMessage });
    }
    return true;
  }

  async #answer(method: string, url: LocalUrl, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = `${method} ${url.pathname}`;
    if (route === 'GET /' || route === 'HEAD /') return this.#asset(res, 'html', 'text/html; charset=utf-8');
    if (route === 'GET /_local/gallery.css') return this.#asset(res, 'css', 'text/css; charset=utf-8');
    if (route === 'GET /_local/gallery.js') return this.#asset(res, 'js', 'text/javascript; charset=utf-8');
    if (route === 'GET /_local/api/state') return json(res, 200, await this.#state(`http://${req.headers.host ?? 'localhost'}`, res));
    if (route === 'GET /_local/api/traces') {
      const uri = url.searchParams.get('uri');
      if (uri === null) this.#inspectedAt = performance.now();
      return json(res, 200, uri === null ? this.#traces : this.#traces.filter((t) => t.method === 'GET' && t.uri === uri).slice(0, 1));
    }
    if (route === 'DELETE /_local/api/cache') return json(res, 200, { dropped: this.options.cache().invalidate('*') });
    if (route === 'POST /_local/api/originals') return this.#upload(url, req, res);
    if (route === 'POST /_local/api/upload-token') return this.#uploadToken(res);
    throw new EdgeError('NotFound', `No local route ${route}`);
  }

  async #state(origin: string, res: ServerResponse) {
    const originals: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.options.s3.send(new ListObjectsV2Command({ Bucket: this.options.bucket, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        if (object.Key && !object.Key.startsWith(DERIVED_PREFIX) && /\.(jpe?g|png|webp|avif|gif|tiff?|svg)$/i.test(object.Key)) originals.push(object.Key);
      }
      token = page.NextContinuationToken;
    } while (token);
    const isPrivate = (key: string) => key.startsWith('private/');
    return {
      originals: originals.filter((key) => !isPrivate(key)),
      presets: Object.keys(this.options.policy.presets),
      widths: this.options.policy.widths.filter((w) => w <= 1280),
      controls: this.options.controls ?? [],
      privateImages: this.options.privateImages?.(origin, res) ?? [],
    };
  }

  async #upload(url: LocalUrl, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const key = url.searchParams.get('key') ?? '';
    validateKey(key);
    assertOriginalKey(key);
    if (!/\.(jpe?g|png|webp|avif|gif|tiff?)$/i.test(key)) {
      throw new EdgeError('BadRequest', 'Expected a key ending in .jpg, .png, .webp, .avif, .gif or .tif');
    }
    const body = await readBody(req, MAX_UPLOAD_BYTES);
    try {
      // Originals are never overwritten, not even by the gallery: every write is conditional.
      for (const bucket of [this.options.bucket, ...(this.options.replicas ?? [])]) {
        await this.options.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentTypeOfKey(key), IfNoneMatch: '*' }));
      }
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412) {
        return json(res, 409, { error: `An original named ${key} exists already; originals are never overwritten` });
      }
      throw error;
    }
    json(res, 201, { key });
  }

  /** The site's backend: a short-lived token for the gallery's prefix, and where to redeem it. */
  #uploadToken(res: ServerResponse): void {
    const uploads = this.options.uploads;
    if (!uploads) throw new EdgeError('NotFound', 'No upload grant on this local edge (real buckets, or no uploads block in the distribution)');
    json(res, 200, { token: uploads.mint(GALLERY_UPLOAD_PREFIX), grantUrl: uploads.url, prefix: GALLERY_UPLOAD_PREFIX });
  }

  async #asset(res: ServerResponse, kind: 'html' | 'css' | 'js', type: string): Promise<void> {
    this.#assets ??= loadAssets();
    const assets = await this.#assets;
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(assets[kind]);
  }
}

async function loadAssets() {
  const bundle = await build({
    entryPoints: [path.join(HERE, 'client.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    minify: true,
    logLevel: 'silent',
  });
  return {
    html: await readFile(path.join(HERE, 'index.html'), 'utf8'),
    css: await readFile(path.join(HERE, 'gallery.css'), 'utf8'),
    js: bundle.outputFiles[0]!.text,
  };
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBytes) {
        reject(new EdgeError('SourceTooLarge', `Expected at most ${maxBytes} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A local route's path and query, taken from the request target as sent. */
interface LocalUrl {
  readonly pathname: string;
  readonly searchParams: URLSearchParams;
}

/**
 * Writes (upload, cache purge) only from the gallery's own page: any page on the web can make the
 * developer's browser send a simple cross-site POST to 127.0.0.1. Browsers send `Sec-Fetch-Site` and
 * `Origin` on every POST; a write whose Sec-Fetch-Site is not same-origin, or whose Origin is not this
 * edge's own, is refused (curl and scripts, which send neither, still work).
 */
function assertSameOrigin(req: IncomingMessage): void {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new EdgeError('Forbidden', `Expected a same-origin request for a local write but received Sec-Fetch-Site ${JSON.stringify(site)}`);
  }
  const origin = req.headers['origin'];
  if (origin !== undefined && origin !== `http://${req.headers.host ?? ''}`) {
    throw new EdgeError('Forbidden', `Expected the local edge's own Origin for a local write but received ${JSON.stringify(origin)}`);
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

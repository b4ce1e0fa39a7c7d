/**
 * The bucket side of `npm run verify --bucket NAME`: test originals made at run time with sharp,
 * uploaded under a prefix of verify's own (`verify-<time>-<random>/`, and the same under `private/`),
 * and removed afterwards with everything derived from them. Only keys listed under those prefixes are
 * ever deleted; nothing else in the bucket is read, written or deleted.
 *
 * Credentials: the AWS SDK's default chain (AWS_PROFILE, AWS_ACCESS_KEY_ID..., SSO, instance roles).
 * `--s3-endpoint URL` points it at an S3-compatible server (the local edge's embedded S3), path-style.
 */
import { DeleteObjectsCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { DERIVED_PREFIX } from '../../functions/core/keys.ts';

export interface BucketOptions {
  readonly bucket: string;
  readonly region?: string | undefined;
  readonly endpoint?: string | undefined;
}

export interface TestOriginals {
  /** 800x600 JPEG: thumbnails, negotiation, the original row. */
  readonly photo: Buffer;
  /** 600x900 JPEG: replaces `photo` for the cleanup row (another aspect, so its thumbnails differ). */
  readonly replacement: Buffer;
  /** An SVG of a few kilobytes (CloudFront compresses from 1,000 bytes). */
  readonly svg: Buffer;
  /** Noise: its PNG thumbnail at `bigSize` is several times the 1,000,000-byte cap. */
  readonly big: Buffer;
}

/** Noise does not compress: a PNG of it weighs about 3 bytes a pixel. */
function noise(width: number, height: number, quality: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 64 } } })
    .jpeg({ quality })
    .toBuffer();
}

function drawing(): Buffer {
  const shapes = Array.from(
    { length: 60 },
    (_, i) => `  <circle cx="${(i * 37) % 400}" cy="${(i * 53) % 300}" r="${8 + (i % 20)}" fill="hsl(${i * 6} 70% 50%)"/>`,
  );
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300" viewBox="0 0 400 300">\n  <title>edge-images verify test drawing</title>\n${shapes.join('\n')}\n</svg>\n`,
  );
}

/** `bigSize`: the allowed box the over-cap rows ask for as PNG (the largest the distribution allows). */
export async function makeOriginals(bigSize: { width: number; height: number }): Promise<TestOriginals> {
  return {
    photo: await noise(800, 600, 80),
    replacement: await noise(600, 900, 80),
    svg: drawing(),
    big: await noise(bigSize.width, bigSize.height, 95),
  };
}

export class BucketSession {
  readonly client: S3Client;
  readonly bucket: string;
  /** `verify-20261207T123456-ab12cd/`: every public key verify writes starts with it. */
  readonly prefix: string;
  /** `private/` + prefix: every private key verify writes starts with it. */
  readonly privatePrefix: string;
  private readonly written = new Set<string>();

  constructor(options: BucketOptions) {
    this.bucket = options.bucket;
    this.client = new S3Client({
      region: options.region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1',
      followRegionRedirects: true,
      ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
      // S3-compatible servers (s3rver) corrupt streamed bodies with the SDK's default checksums.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
    this.prefix = `verify-${stamp}-${Math.random().toString(36).slice(2, 8)}/`;
    this.privatePrefix = `private/${this.prefix}`;
  }

  /** The bucket exists, the credentials reach it, and verify's prefixes are empty; throws otherwise. */
  async check(): Promise<void> {
    let found: string[];
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      found = [...(await this.list(this.prefix)), ...(await this.list(this.privatePrefix))];
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      throw new Error(
        `Expected a bucket these credentials can reach for --bucket but received ${JSON.stringify(this.bucket)} (${status ?? ''} ${(error as Error).name}: ${(error as Error).message})`,
      );
    }
    if (found.length > 0) throw new Error(`Expected nothing under ${this.prefix} in ${this.bucket} but found ${found[0]}: not touching it`);
  }

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    if (!key.startsWith(this.prefix) && !key.startsWith(this.privatePrefix)) throw new Error(`verify writes only under its own prefix, not ${key}`);
    this.written.add(key);
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  /** Every key under `prefix` (one page of 1,000 is all verify ever makes). */
  async list(prefix: string): Promise<string[]> {
    const out = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: 1000 }));
    return (out.Contents ?? []).map((o) => o.Key!).filter((key) => key.startsWith(prefix));
  }

  /** The keys derived from one original: `_derived/<key>/...`. */
  derived(key: string): Promise<string[]> {
    return this.list(`${DERIVED_PREFIX}${key}/`);
  }

  /** Removes everything under verify's prefixes (originals and derived images); returns how many keys. */
  async removeAll(): Promise<number> {
    const prefixes = [this.prefix, this.privatePrefix, `${DERIVED_PREFIX}${this.prefix}`, `${DERIVED_PREFIX}${this.privatePrefix}`];
    let removed = 0;
    // Twice: derived-cleanup and image-resize may still be writing or deleting as the first pass runs.
    for (let pass = 0; pass < 2; pass++) {
      const keys = (await Promise.all(prefixes.map((p) => this.list(p)))).flat();
      if (keys.length === 0) break;
      const out = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
      const failed = out.Errors ?? [];
      if (failed.length > 0)
        throw new Error(`DeleteObjects in ${this.bucket}: ${failed.length} of ${keys.length} failed, first ${failed[0]?.Key}: ${failed[0]?.Code}`);
      removed += keys.length;
      if (pass === 0) await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    return removed;
  }

  close(): void {
    this.client.destroy();
  }
}

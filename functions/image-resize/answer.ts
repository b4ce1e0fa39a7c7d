/**
 * image-resize's answer for a variant the miss pipeline made: the image inline when it fits
 * CloudFront's cap on a generated origin response, else an uncached 302 that sends the viewer back to
 * S3 for the stored object (overCapAnswer), guarded against loops (RedirectMemory).
 */
import type { CloudFrontResponse, CloudFrontResultResponse } from 'aws-lambda';
import { generatedResponse, generatedSize, replacing } from '../adapters/cloudfront/respond.ts';
import { EdgeError } from '../core/errors.ts';
import { qualityMetadata } from '../core/quality.ts';
import type { Made } from './miss.ts';

/**
 * The inline answer carries what S3 will say for the stored object: Content-Type, Cache-Control,
 * the ETag (MD5 of the bytes, as S3 computes it for a single-part unencrypted or SSE-S3 object) and a
 * Last-Modified taken just before the write. CloudFront sets Content-Length itself.
 */
export function answerMade(
  made: Made,
  received: CloudFrontResponse,
  settings: { readonly cacheControl: string; readonly maxGeneratedBytes: number },
  overCap: () => CloudFrontResultResponse,
): CloudFrontResultResponse {
  const headers = {
    'Content-Type': made.image.contentType,
    'Cache-Control': settings.cacheControl,
    Vary: 'Accept',
    ETag: made.etag,
    'Last-Modified': made.lastModified,
    // What S3 answers for the stored object's user metadata (the SSIM a q=auto variant reached).
    ...Object.fromEntries(Object.entries(qualityMetadata(made.image.quality)).map(([name, value]) => [`x-amz-meta-${name}`, value])),
  };
  const inline = replacing(received, generatedResponse(200, headers, { data: made.image.data.toString('base64'), encoding: 'base64' }));
  if (generatedSize(inline) <= settings.maxGeneratedBytes) return inline;
  if (made.stored === 'failed') {
    throw new EdgeError('Unavailable', 'The image is too large to answer before it is stored; try again', {
      detail: `${made.image.data.byteLength} bytes and its store failed`,
      scope: 'transient',
    });
  }
  return overCap();
}

/**
 * The answer for a stored image too big to answer from the function: S3 has it now, so the viewer is
 * sent back to the canonical URI for it, uncached. The 302 carries nothing any viewer sent: on a
 * signed behavior, signed-url's viewer-response step sends each viewer on to its own signed URL
 * (functions/signed-url/viewer-response.ts), whatever CloudFront collapsed.
 *
 * The body is empty: an origin-response function that sets no body leaves the origin's (S3's
 * NoSuchKey XML) in place, and one that sets a body replaces it
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-generating-http-responses.html#lambda-updating-http-responses).
 */
export function overCapAnswer(received: CloudFrontResponse, canonical: string): CloudFrontResultResponse {
  return replacing(received, generatedResponse(302, { Location: canonical, 'Cache-Control': 'no-store' }, { data: '', encoding: 'text' }));
}

/**
 * Keys this instance answered with a redirect to S3, and when: a second miss of one soon after means
 * S3 does not serve it yet, and redirecting again would loop.
 */
export class RedirectMemory {
  readonly #at = new Map<string, number>();

  constructor(
    readonly memoryMs: number,
    private readonly maxKeys = 1000,
  ) {}

  recent(id: string, now: number): boolean {
    const at = this.#at.get(id);
    if (at !== undefined && now - at < this.memoryMs) return true;
    this.#at.delete(id);
    return false;
  }

  remember(id: string, now: number): void {
    this.#at.delete(id);
    this.#at.set(id, now);
    // Oldest first: drop what has expired, and the oldest beyond the cap.
    for (const [key, at] of this.#at) {
      if (this.#at.size <= this.maxKeys && now - at < this.memoryMs) break;
      this.#at.delete(key);
    }
  }
}

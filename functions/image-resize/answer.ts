/**
 * image-resize's answer for a variant the miss pipeline made: the image inline when it fits
 * CloudFront's cap on a generated origin response, else an uncached 302 that sends the viewer back to
 * S3 for the stored object (overCapAnswer), guarded against loops (RedirectMemory).
 */
import type { CloudFrontResponse, CloudFrontResultResponse } from 'aws-lambda';
import { generatedResponse, generatedSize, replacing } from '../adapters/cloudfront/respond.ts';
import { EdgeError } from '../core/errors.ts';
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
  };
  const inline = replacing(received, generatedResponse(200, headers, { data: made.image.data.toString('base64'), encoding: 'base64' }));
  if (generatedSize(inline) <= settings.maxGeneratedBytes) return inline;
  if (made.stored === 'failed') {
    throw new EdgeError('OriginError', 'The image is too large to answer before it is stored; try again', {
      status: 503,
      detail: `${made.image.data.byteLength} bytes and its store failed`,
      scope: 'transient',
    });
  }
  return overCap();
}

/**
 * The answer for a stored image too big to answer from the function: S3 has it now, so the viewer is
 * sent back for it, uncached. For a private image, to the URL the viewer signed (signed-url passes it
 * in `x-private-viewer-url`: signedLocation), where its signature, URL or cookie, still holds.
 *
 * The body is empty: an origin-response function that sets no body leaves the origin's (S3's
 * NoSuchKey XML) in place, and one that sets a body replaces it
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-generating-http-responses.html#lambda-updating-http-responses).
 */
export function overCapAnswer(received: CloudFrontResponse, canonical: string, viewerUrl: string | undefined): CloudFrontResultResponse {
  const location = signedLocation(viewerUrl) ?? canonical;
  return replacing(received, generatedResponse(302, { Location: location, 'Cache-Control': 'no-store' }, { data: '', encoding: 'text' }));
}

/**
 * Where a signed viewer is sent back for an image too large to answer inline: the very URL it signed
 * (its signature still holds there; the image is in S3 now, so that request is a plain S3 hit),
 * passed by signed-url. Only a same-site path is accepted (never `//host`, never a control character).
 */
function signedLocation(value: string | undefined): string | undefined {
  if (value === undefined || !value.startsWith('/') || value.startsWith('//')) return undefined;
  return /^[\x21-\x7e]+$/.test(value) && !value.includes('\\') ? value : undefined;
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

/**
 * The local edge against real S3 (`npm start -- --s3 aws`, what `sst dev` runs): S3 origins are read
 * with the SDK and the default credential chain, since private buckets answer only signed requests.
 * The answer is shaped like S3's own HTTP answer to CloudFront: status, headers, body.
 *
 * Methods map as S3 maps them for CloudFront's principal, which the bucket policy (infra/bucket.ts)
 * allows s3:GetObject and nothing else:
 * - GET is GetObject, HEAD is HeadObject;
 * - OPTIONS is a CORS preflight, never a read ("OPTIONS object",
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/RESTOPTIONSobject.html: Origin and
 *   Access-Control-Request-Method are required). CloudFront forwards neither to this origin (no
 *   origin request policy of ours names them), so S3 answers it 400 without looking at any object;
 * - any other method (PUT, POST, DELETE, PATCH...) is a write or an unknown operation that the
 *   policy does not grant: 403 AccessDenied. The developer's own credentials, which could write,
 *   are never used for one.
 */
import { GetObjectCommand, HeadObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { CloudFrontHeaders } from 'aws-lambda';
import { toCfHeaders } from '../../functions/adapters/cloudfront/headers.ts';
import type { S3OriginSpec } from '../distribution.ts';

interface S3Answer {
  readonly status: number;
  readonly statusDescription: string;
  readonly headers: CloudFrontHeaders;
  readonly body: Buffer;
}

export type S3Fetch = (origin: S3OriginSpec, uri: string, method: string) => Promise<S3Answer>;

export function awsS3Fetch(clientFor: (region: string | undefined) => S3Client): S3Fetch {
  return async (origin, uri, method) => {
    if (method === 'OPTIONS') return s3Error(400, 'BadRequest', 'Insufficient information. Origin request header needed.');
    if (method !== 'GET' && method !== 'HEAD') return s3Error(403, 'AccessDenied', 'Access Denied');
    const key = decodeURIComponent(uri.slice(1));
    const client = clientFor(origin.region);
    try {
      const input = { Bucket: origin.bucket, Key: key };
      const out = method === 'HEAD' ? await client.send(new HeadObjectCommand(input)) : await client.send(new GetObjectCommand(input));
      const body = 'Body' in out && out.Body ? Buffer.from(await out.Body.transformToByteArray()) : Buffer.alloc(0);
      const headers: Record<string, string> = {};
      if (out.ContentType) headers['Content-Type'] = out.ContentType;
      if (out.ContentLength !== undefined) headers['Content-Length'] = String(out.ContentLength);
      if (out.ETag) headers['ETag'] = out.ETag;
      if (out.LastModified) headers['Last-Modified'] = out.LastModified.toUTCString();
      if (out.CacheControl) headers['Cache-Control'] = out.CacheControl;
      return { status: 200, statusDescription: 'OK', headers: toCfHeaders(headers), body };
    } catch (error) {
      if (!(error instanceof S3ServiceException)) throw error;
      return s3Error(error.$metadata.httpStatusCode ?? 500, error.name);
    }
  };
}

/** S3's XML error answer. */
function s3Error(status: number, code: string, message?: string): S3Answer {
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>${message === undefined ? '' : `<Message>${message}</Message>`}</Error>`;
  return { status, statusDescription: code, headers: toCfHeaders({ 'Content-Type': 'application/xml' }), body: Buffer.from(text) };
}

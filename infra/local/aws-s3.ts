/**
 * The local edge against real S3 (`npm start -- --s3 aws`, what `sst dev` runs): S3 origins are read
 * with the SDK and the default credential chain, since private buckets answer only signed requests.
 * The answer is shaped like S3's own HTTP answer to CloudFront: status, headers, body.
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
      const status = error.$metadata.httpStatusCode ?? 500;
      const text = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.name}</Code></Error>`;
      return { status, statusDescription: error.name, headers: toCfHeaders({ 'Content-Type': 'application/xml' }), body: Buffer.from(text) };
    }
  };
}

/** Responses that functions generate, in the Lambda@Edge result shape. */
import { STATUS_CODES } from 'node:http';
import type { CloudFrontHeaders, CloudFrontResultResponse } from 'aws-lambda';
import type { EdgeError } from '../../core/errors.ts';

export function generatedResponse(
  status: number,
  headers: Readonly<Record<string, string>>,
  body?: { readonly data: string; readonly encoding: 'text' | 'base64' },
): CloudFrontResultResponse {
  const cfHeaders: CloudFrontHeaders = {};
  for (const [key, value] of Object.entries(headers)) cfHeaders[key.toLowerCase()] = [{ key, value }];
  return {
    status: String(status),
    statusDescription: STATUS_CODES[status] ?? '',
    headers: cfHeaders,
    ...(body ? { body: body.data, bodyEncoding: body.encoding } : {}),
  };
}

/** A viewer-safe error: the public message only, cached for the error's few seconds at most. */
export function errorResponse(error: EdgeError): CloudFrontResultResponse {
  return generatedResponse(
    error.status,
    {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': error.cacheSeconds > 0 ? `public, max-age=${error.cacheSeconds}` : 'no-store',
    },
    { data: `${error.status} ${STATUS_CODES[error.status] ?? ''}: ${error.publicMessage}\n`, encoding: 'text' },
  );
}

/** Bytes of a generated response as CloudFront counts them: header names and values plus the body as sent. */
export function generatedSize(response: CloudFrontResultResponse): number {
  let size = Buffer.byteLength(response.body ?? '', 'utf8');
  for (const entries of Object.values(response.headers ?? {})) {
    for (const { key, value } of entries) size += Buffer.byteLength(key ?? '', 'utf8') + Buffer.byteLength(value, 'utf8');
  }
  return size;
}

/** Responses that functions generate, in the Lambda@Edge result shape. */
import { STATUS_CODES } from 'node:http';
import type { CloudFrontHeaders, CloudFrontResponse, CloudFrontResultResponse } from 'aws-lambda';
import type { EdgeError } from '../../core/errors.ts';
import { renderHttpError } from '../http/error.ts';

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

/** A viewer-safe error (adapters/http/error.ts renders it) as a generated response. */
export function errorResponse(error: EdgeError): CloudFrontResultResponse {
  const { status, headers, body } = renderHttpError(error);
  return generatedResponse(status, headers, { data: body, encoding: 'text' });
}

/**
 * Bytes of a generated response as CloudFront counts them: header names and values plus the body as
 * sent (base64 counted encoded). The one measure: functions size their answers by it, the local edge
 * enforces the caps by it.
 */
export function generatedSize(response: Pick<CloudFrontResultResponse, 'headers' | 'body'>): number {
  let size = Buffer.byteLength(response.body ?? '', 'utf8');
  for (const [name, entries] of Object.entries(response.headers ?? {})) {
    for (const { key, value } of entries) size += Buffer.byteLength(key ?? name, 'utf8') + Buffer.byteLength(value, 'utf8');
  }
  return size;
}

/** Headers an origin-response function may not add, change or remove: they stay as the origin sent them. */
const ORIGIN_RESPONSE_READ_ONLY = ['transfer-encoding', 'via'] as const;

/**
 * A response generated in origin-response, built on the one the origin sent: CloudFront rejects the
 * result (502) if a read-only header such as S3's `Transfer-Encoding: chunked` disappears.
 */
export function replacing(received: CloudFrontResponse, generated: CloudFrontResultResponse): CloudFrontResultResponse {
  const headers: CloudFrontHeaders = { ...generated.headers };
  for (const name of ORIGIN_RESPONSE_READ_ONLY) {
    const kept = received.headers[name];
    if (kept) headers[name] = kept;
    else delete headers[name];
  }
  return { ...generated, headers };
}

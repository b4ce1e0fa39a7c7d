/**
 * The one HTTP rendering of an EdgeError, neutral of any runtime: the CloudFront adapter turns it into
 * a Lambda@Edge generated response (adapters/cloudfront/respond.ts), the HTTP image origin writes it on
 * a node:http response (infra/origin/server.ts). Viewers see the public message only.
 */
import { STATUS_CODES } from 'node:http';
import type { EdgeError } from '../../core/errors.ts';

export interface HttpError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Plain text, cached for the error's few seconds at most (`no-store` when it has none). */
export function renderHttpError(error: EdgeError): HttpError {
  return {
    status: error.status,
    headers: {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': error.cacheSeconds > 0 ? `public, max-age=${error.cacheSeconds}` : 'no-store',
    },
    body: `${error.status} ${STATUS_CODES[error.status] ?? ''}: ${error.publicMessage}\n`,
  };
}

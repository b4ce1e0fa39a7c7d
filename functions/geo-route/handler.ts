/**
 * origin-request: choose the origin by the viewer's country. CloudFront passes
 * `CloudFront-Viewer-Country` (and `-Country-Region`) to origin events when the origin request
 * policy forwards them; the geo table in distribution.ts says which origin serves which place.
 *
 * - Only requests bound for the default origin (the origin group's primary) are routed. When
 *   CloudFront fails over, origin-request runs again with the secondary as the origin: that request
 *   passes untouched, or failover would send it straight back to a bucket.
 * - Switching the origin sets `origin` and the `Host` header together (Host is writable here, and S3
 *   answers for the bucket named by Host).
 * - A geo-routed bucket must hold the same originals (replicas): the country is not in the cache key.
 */
import type { CloudFrontRequest, CloudFrontRequestEvent, CloudFrontRequestResult } from 'aws-lambda';
import { headerValue } from '../adapters/cloudfront/headers.ts';
import { compileGeoTable, lookupGeo } from '../core/geo.ts';
import type { GeoTable } from '../core/geo.ts';
import { wrapHandler } from '../core/handler.ts';
import type { Log } from '../core/log.ts';

export type GeoTarget =
  | { readonly kind: 's3'; readonly id: string; readonly domainName: string; readonly region: string }
  | {
      readonly kind: 'custom';
      readonly id: string;
      readonly domainName: string;
      readonly port: number;
      readonly protocol: 'http' | 'https';
      readonly path: string;
    };

export interface GeoRouteConfig {
  readonly table: GeoTable;
  /** Every origin id the table names, as it goes into `request.origin`. */
  readonly targets: Readonly<Record<string, GeoTarget>>;
  /** The `origin.*.domainName` values that mean "bound for the default origin": only these are routed. */
  readonly routedDomains: readonly string[];
}

export interface GeoRouteDeps {
  readonly log: Log;
}

/** The outcomes of geo-route's log line. */
export type GeoRouteOutcome = 'not-routed' | 'unknown-target' | 'default' | 'routed' | 'error';

export function createHandler(config: GeoRouteConfig, deps: GeoRouteDeps) {
  const table = compileGeoTable(config.table);
  const routed = new Set(config.routedDomains);

  return wrapHandler<GeoRouteOutcome, CloudFrontRequestEvent, CloudFrontRequestResult>({
    fn: 'geo-route',
    log: deps.log,
    identify: (event) => ({ requestId: event.Records[0]!.cf.config.requestId, uri: event.Records[0]!.cf.request.uri }),
    run: (event) => {
      const { request } = event.Records[0]!.cf;
      const current = request.origin?.s3?.domainName ?? request.origin?.custom?.domainName;
      if (current === undefined || !routed.has(current)) return { result: request, report: { outcome: 'not-routed', origin: current ?? '-' } };
      const country = headerValue(request.headers, 'cloudfront-viewer-country');
      const region = table.usesRegions ? headerValue(request.headers, 'cloudfront-viewer-country-region') : undefined;
      const found = lookupGeo(table, country, region);
      const target = config.targets[found.origin];
      const line = { country: country ?? '-', matched: found.matched, key: found.key, to: found.origin };
      // checkGeoTable makes an unknown target impossible in a built config; stay on the default origin if it happens.
      if (target === undefined) return { result: request, report: { ...line, outcome: 'unknown-target', level: 'warn' } };
      if (target.domainName === current) return { result: request, report: { ...line, outcome: 'default' } };
      switchOrigin(request, target);
      return { result: request, report: { ...line, outcome: 'routed' } };
    },
    // An origin-request function that throws is CloudFront's 503 (LambdaExecutionError): logged, then rethrown.
    fail: {
      outcome: 'error',
      answer: (_error, _event, thrown) => {
        throw thrown;
      },
    },
  });
}

/** Points the request at `target`: the origin object CloudFront expects, and the matching Host. */
function switchOrigin(request: CloudFrontRequest, target: GeoTarget): void {
  if (target.kind === 's3') {
    const common = { customHeaders: {}, domainName: target.domainName, path: '' };
    // The new bucket is reached the way the old one was: signed (OAI/OAC, which needs the region) or public.
    request.origin =
      request.origin?.s3?.authMethod === 'none'
        ? { s3: { ...common, authMethod: 'none' } }
        : { s3: { ...common, authMethod: 'origin-access-identity', region: target.region } };
  } else {
    request.origin = {
      custom: {
        customHeaders: {},
        domainName: target.domainName,
        keepaliveTimeout: 5,
        path: target.path,
        port: target.port,
        protocol: target.protocol,
        readTimeout: 30,
        sslProtocols: ['TLSv1.2'],
      },
    };
  }
  request.headers['host'] = [{ key: 'Host', value: target.domainName }];
}

import { readFileSync } from 'node:fs';
import type { CloudFrontRequest, CloudFrontRequestEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { geoRouteConfig } from '../../infra/config.ts';
import { distribution } from '../../infra/distribution.ts';
import { validateResult } from '../../infra/local/cloudfront-validate.ts';
import type { LogLine } from '../core/log.ts';
import { createHandler } from './handler.ts';
import type { GeoRouteConfig } from './handler.ts';

const fixture = (name: string): CloudFrontRequestEvent => JSON.parse(readFileSync(`fixtures/events/${name}.json`, 'utf8'));

function withCountry(event: CloudFrontRequestEvent, country: string | undefined, region?: string): CloudFrontRequestEvent {
  const headers = event.Records[0]!.cf.request.headers;
  delete headers['cloudfront-viewer-country'];
  if (country !== undefined) headers['cloudfront-viewer-country'] = [{ key: 'CloudFront-Viewer-Country', value: country }];
  if (region !== undefined) headers['cloudfront-viewer-country-region'] = [{ key: 'CloudFront-Viewer-Country-Region', value: region }];
  return event;
}

/** Runs the handler as the edge does: on a copy, then validates the result against the event as sent. */
async function route(event: CloudFrontRequestEvent, config: GeoRouteConfig = geoRouteConfig()) {
  const logs: LogLine[] = [];
  const handler = createHandler(config, { log: (line) => logs.push(line) });
  const sent = structuredClone(event);
  const result = (await handler(event)) as CloudFrontRequest;
  const validated = validateResult('origin-request', sent, result);
  expect(validated.ok, JSON.stringify(validated)).toBe(true);
  return { result, logs, sent: sent.Records[0]!.cf.request };
}

describe('geo-route on a request bound for the S3 primary (fixtures/events/origin-request-s3.json)', () => {
  it('leaves a US viewer on the primary bucket, untouched', async () => {
    const { result, logs, sent } = await route(fixture('origin-request-s3'));
    expect(result).toEqual(sent);
    expect(logs).toEqual([expect.objectContaining({ fn: 'geo-route', outcome: 'default', country: 'US', matched: 'default', to: 'images-s3' })]);
  });

  it('sends a German viewer to the EU replica bucket, with the Host that names it', async () => {
    const { result, sent } = await route(withCountry(fixture('origin-request-s3'), 'DE'));
    expect(result.origin).toEqual({
      s3: {
        authMethod: 'origin-access-identity',
        customHeaders: {},
        domainName: 'edge-images-originals-eu.s3.eu-west-1.amazonaws.com',
        path: '',
        region: 'eu-west-1',
      },
    });
    expect(result.headers['host']).toEqual([{ key: 'Host', value: 'edge-images-originals-eu.s3.eu-west-1.amazonaws.com' }]);
    // Nothing else changes: same URI, query, method and every other header.
    expect({ ...result, origin: undefined, headers: { ...result.headers, host: undefined } }).toEqual({
      ...sent,
      origin: undefined,
      headers: { ...sent.headers, host: undefined },
    });
  });

  it('sends a Korean viewer to the APAC replica bucket', async () => {
    const { result } = await route(withCountry(fixture('origin-request-s3'), 'KR'));
    expect(result.origin?.s3).toMatchObject({ domainName: 'edge-images-originals-ap.s3.ap-northeast-2.amazonaws.com', region: 'ap-northeast-2' });
    expect(result.headers['host']?.[0]?.value).toBe('edge-images-originals-ap.s3.ap-northeast-2.amazonaws.com');
  });

  it('sends a viewer in China to the custom HTTP origin, in the shape CloudFront gives custom origins', async () => {
    const { result, logs } = await route(withCountry(fixture('origin-request-s3'), 'CN'));
    const custom = fixture('origin-request-custom').Records[0]!.cf.request.origin!.custom!;
    expect(result.origin?.s3).toBeUndefined();
    expect(result.origin?.custom).toEqual({
      customHeaders: {},
      domainName: 'origin-hk.images.example.com',
      keepaliveTimeout: 5,
      path: '',
      port: 443,
      protocol: 'https',
      readTimeout: 30,
      sslProtocols: ['TLSv1.2'],
    });
    // Every field a captured custom-origin event has (responseCompletionTimeout is optional in results).
    for (const field of Object.keys(custom).filter((f) => f !== 'responseCompletionTimeout')) expect(result.origin?.custom).toHaveProperty(field);
    expect(result.headers['host']).toEqual([{ key: 'Host', value: 'origin-hk.images.example.com' }]);
    expect(logs[0]).toMatchObject({ outcome: 'routed', country: 'CN', matched: 'country', key: 'CN', to: 'image-origin-hk' });
  });

  it('routes by continent: every EU country goes to the EU bucket', async () => {
    for (const country of ['FR', 'PL', 'GB', 'NO', 'ie']) {
      const { result } = await route(withCountry(fixture('origin-request-s3'), country));
      expect(result.origin?.s3?.domainName, country).toBe('edge-images-originals-eu.s3.eu-west-1.amazonaws.com');
    }
  });

  it.each([[undefined], ['XX'], ['']])('keeps a viewer without a known country (%j) on the primary', async (country) => {
    const { result, sent } = await route(withCountry(fixture('origin-request-s3'), country));
    expect(result).toEqual(sent);
  });

  it('also recognises the primary by its global S3 domain name', async () => {
    const event = withCountry(fixture('origin-request-s3'), 'DE');
    event.Records[0]!.cf.request.origin!.s3!.domainName = 'edge-images-originals.s3.amazonaws.com';
    const { result } = await route(event);
    expect(result.origin?.s3?.domainName).toBe('edge-images-originals-eu.s3.eu-west-1.amazonaws.com');
  });

  it('keeps a public bucket public (authMethod none, no region)', async () => {
    const event = withCountry(fixture('origin-request-s3'), 'DE');
    const s3 = event.Records[0]!.cf.request.origin!.s3! as unknown as Record<string, unknown>;
    s3['authMethod'] = 'none';
    delete s3['region'];
    const { result } = await route(event);
    expect(result.origin?.s3).toEqual({ authMethod: 'none', customHeaders: {}, domainName: 'edge-images-originals-eu.s3.eu-west-1.amazonaws.com', path: '' });
  });
});

describe('geo-route on the failover request to the secondary (fixtures/events/origin-request-custom.json)', () => {
  it.each([['DE'], ['KR'], ['CN'], ['US']])('passes it untouched for %s: failover must reach the secondary', async (country) => {
    const { result, sent, logs } = await route(withCountry(fixture('origin-request-custom'), country));
    expect(result).toEqual(sent);
    expect(logs[0]).toMatchObject({ outcome: 'not-routed', origin: 'origin.images.example.com' });
  });
});

describe('geo-route with subdivisions', () => {
  const config = geoRouteConfig({
    ...distribution,
    geo: {
      defaultOrigin: 'images-s3',
      routes: [
        { origin: 'images-s3-ap', subdivisions: ['US-HI'] },
        { origin: 'images-s3-eu', countries: ['US'] },
      ],
    },
  });

  it('reads CloudFront-Viewer-Country-Region and prefers the subdivision', async () => {
    const hawaii = await route(withCountry(fixture('origin-request-s3'), 'US', 'HI'), config);
    expect(hawaii.result.origin?.s3?.region).toBe('ap-northeast-2');
    const newYork = await route(withCountry(fixture('origin-request-s3'), 'US', 'NY'), config);
    expect(newYork.result.origin?.s3?.region).toBe('eu-west-1');
    // The region header is absent for requests from inside AWS: the country still applies.
    const noRegion = await route(withCountry(fixture('origin-request-s3'), 'US'), config);
    expect(noRegion.result.origin?.s3?.region).toBe('eu-west-1');
  });
});

describe('geo-route and the local edge dev switches', () => {
  it('ignores x-local-viewer-country: only CloudFront-Viewer-Country counts', async () => {
    const event = withCountry(fixture('origin-request-s3'), undefined);
    event.Records[0]!.cf.request.headers['x-local-viewer-country'] = [{ key: 'X-Local-Viewer-Country', value: 'DE' }];
    event.Records[0]!.cf.request.querystring = 'x-local-viewer-country=KR';
    const { result, sent } = await route(event);
    expect(result).toEqual(sent);
  });
});

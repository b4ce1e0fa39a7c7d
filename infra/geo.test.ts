import { describe, expect, it } from 'vitest';
import { COUNTRY_CONTINENTS } from '../functions/core/countries.ts';
import { imageResizeConfig } from './config.ts';
import { distribution } from './distribution.ts';
import type { DistributionSpec } from './distribution.ts';
import { checkDistributionGeo, checkGeoDns, geoDns, geoDnsRecords, geoRouteConfig, resolveGeoDns } from './geo.ts';
import type { GeoDnsSpec } from './geo.ts';

describe('geo-route config, built from distribution.ts', () => {
  it('has a sound geo table', () => {
    expect(checkDistributionGeo(distribution)).toEqual([]);
  });

  it('names every target origin as it goes into the event, and routes only requests bound for the primary', () => {
    const config = geoRouteConfig();
    expect(config.routedDomains).toEqual(['edge-images-originals.s3.us-east-1.amazonaws.com', 'edge-images-originals.s3.amazonaws.com']);
    expect(config.targets).toEqual({
      'images-s3': { kind: 's3', id: 'images-s3', domainName: 'edge-images-originals.s3.us-east-1.amazonaws.com', region: 'us-east-1' },
      'images-s3-eu': { kind: 's3', id: 'images-s3-eu', domainName: 'edge-images-originals-eu.s3.eu-west-1.amazonaws.com', region: 'eu-west-1' },
      'images-s3-ap': { kind: 's3', id: 'images-s3-ap', domainName: 'edge-images-originals-ap.s3.ap-northeast-2.amazonaws.com', region: 'ap-northeast-2' },
      'image-origin-hk': { kind: 'custom', id: 'image-origin-hk', domainName: 'origin-hk.images.example.com', port: 443, protocol: 'https', path: '' },
    });
  });

  it('refuses to build with an unknown origin id or a duplicate country', () => {
    const broken: DistributionSpec = {
      ...distribution,
      geo: {
        defaultOrigin: 'images-s3',
        routes: [
          { origin: 'images-s3-mars', countries: ['DE'] },
          { origin: 'images-s3-eu', countries: ['DE'] },
        ],
      },
    };
    expect(() => geoRouteConfig(broken)).toThrow(/unknown origin id "images-s3-mars"[\s\S]*country DE is listed twice/);
  });

  it('refuses a table whose default is not where the behaviors send requests (geo-route would never fire)', () => {
    const wrong: DistributionSpec = { ...distribution, geo: { ...distribution.geo!, defaultOrigin: 'images-s3-eu' } };
    const problems = checkDistributionGeo(wrong);
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) expect(problem).toMatch(/sends requests to images-s3, but the geo table's default origin is images-s3-eu/);
  });

  it('refuses geo-route on a behavior whose origin request policy does not forward the country', () => {
    const blind: DistributionSpec = { ...distribution, behaviors: distribution.behaviors.map((b) => ({ ...b, originRequestPolicy: { headers: [] } })) };
    expect(checkDistributionGeo(blind).join('\n')).toMatch(/does not forward CloudFront-Viewer-Country/);
    const withRegions: DistributionSpec = {
      ...distribution,
      behaviors: distribution.behaviors.map((b) => ({ ...b, originRequestPolicy: { headers: ['CloudFront-Viewer-Country'] } })),
      geo: { defaultOrigin: 'images-s3', routes: [{ origin: 'images-s3-eu', subdivisions: ['US-CA'] }] },
    };
    const problems = checkDistributionGeo(withRegions);
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) expect(problem).toMatch(/does not forward CloudFront-Viewer-Country-Region/);
  });

  it('refuses geo-route without a geo table', () => {
    const { geo: _dropped, ...rest } = distribution;
    expect(() => geoRouteConfig(rest)).toThrow(/has no geo table/);
  });

  it('lets image-resize read and write every geo-routed bucket (and only S3 ones)', () => {
    const buckets = imageResizeConfig().buckets;
    expect(buckets.map((b) => [b.bucket, b.region])).toEqual(
      expect.arrayContaining([
        ['edge-images-originals', 'us-east-1'],
        ['edge-images-originals-eu', 'eu-west-1'],
        ['edge-images-originals-ap', 'ap-northeast-2'],
      ]),
    );
    const config = geoRouteConfig();
    for (const target of Object.values(config.targets)) {
      if (target.kind !== 's3') continue;
      expect(
        buckets.some((b) => b.domainNames.includes(target.domainName)),
        target.id,
      ).toBe(true);
    }
  });
});

describe('Route 53 geolocation (multi-CDN)', () => {
  it('is sound: one default without a health check, a health-checked China record, TTL 60', () => {
    expect(checkGeoDns(geoDns)).toEqual([]);
  });

  it('becomes one CNAME record per location, the default as CountryCode *', () => {
    expect(geoDnsRecords(geoDns, 'd2abc.cloudfront.net')).toEqual([
      {
        name: 'cdn.example.com',
        type: 'CNAME',
        ttl: 60,
        setIdentifier: 'china-cdn-cn',
        geoLocation: { countryCode: 'CN' },
        value: 'cn.cdn-partner.example.net',
        healthCheckId: 'china-cdn',
        routeId: 'china-cdn',
      },
      {
        name: 'cdn.example.com',
        type: 'CNAME',
        ttl: 60,
        setIdentifier: 'cloudfront-default',
        geoLocation: { countryCode: '*' },
        value: 'd2abc.cloudfront.net',
        routeId: 'cloudfront',
      },
    ]);
  });

  it('answers China with the local CDN and every other country with CloudFront', () => {
    expect(resolveGeoDns({ country: 'CN' })).toMatchObject({ matched: 'country', record: { routeId: 'china-cdn' } });
    for (const country of Object.keys(COUNTRY_CONTINENTS).filter((c) => c !== 'CN')) {
      expect(resolveGeoDns({ country })?.record.routeId, country).toBe('cloudfront');
    }
    expect(resolveGeoDns({ country: 'HK' })).toMatchObject({ matched: 'default', record: { routeId: 'cloudfront' } });
  });

  it('answers an unknown or unmapped location with the default', () => {
    expect(resolveGeoDns({})).toMatchObject({ matched: 'default', record: { value: 'd111111abcdef8.cloudfront.net' } });
    expect(resolveGeoDns({ country: 'XX' })).toMatchObject({ matched: 'default' });
  });

  it('falls back to CloudFront when the China CDN health check fails', () => {
    const answer = resolveGeoDns({ country: 'CN' }, geoDns, (id) => id !== 'china-cdn');
    expect(answer).toMatchObject({ matched: 'default', record: { routeId: 'cloudfront' } });
  });

  describe('precedence: subdivision > country > continent > default', () => {
    const spec: GeoDnsSpec = {
      ...geoDns,
      healthChecks: [{ id: 'us', type: 'HTTPS', fqdn: 'us.cdn.example.net', port: 443, resourcePath: '/healthz', requestInterval: 30, failureThreshold: 3 }],
      routes: [
        { id: 'california', subdivisions: ['US-CA'], target: { kind: 'cname', hostname: 'ca.cdn.example.net' } },
        { id: 'usa', countries: ['US'], target: { kind: 'cname', hostname: 'us.cdn.example.net' }, healthCheck: 'us' },
        { id: 'america', continents: ['NA'], target: { kind: 'cname', hostname: 'na.cdn.example.net' } },
        { id: 'cloudfront', isDefault: true, target: { kind: 'cloudfront' } },
      ],
    };

    it('answers the most specific healthy record', () => {
      expect(checkGeoDns(spec)).toEqual([]);
      expect(resolveGeoDns({ country: 'US', subdivision: 'CA' }, spec)?.record.routeId).toBe('california');
      expect(resolveGeoDns({ country: 'US', subdivision: 'NY' }, spec)?.record.routeId).toBe('usa');
      expect(resolveGeoDns({ country: 'US' }, spec)?.record.routeId).toBe('usa');
      expect(resolveGeoDns({ country: 'CA' }, spec)).toMatchObject({ matched: 'continent', record: { routeId: 'america' } });
      expect(resolveGeoDns({ country: 'DE' }, spec)).toMatchObject({ matched: 'default' });
      // An unhealthy country record sends its viewers one level up, to the continent.
      expect(resolveGeoDns({ country: 'US', subdivision: 'NY' }, spec, () => false)?.record.routeId).toBe('america');
      expect(resolveGeoDns({ country: 'US', subdivision: 'CA' }, spec, () => false)?.record.routeId).toBe('california');
    });

    it('answers nothing where no record applies and there is no default', () => {
      const noDefault = { ...spec, routes: spec.routes.filter((r) => !r.isDefault) };
      expect(checkGeoDns(noDefault)).toContain('expected exactly one default record but found 0');
      expect(resolveGeoDns({ country: 'DE' }, noDefault)).toBeUndefined();
    });
  });

  it('finds the mistakes a hand-edited record set can have', () => {
    const problems = checkGeoDns({
      zone: 'example.com',
      name: 'cdn.example.org',
      ttl: 300,
      healthChecks: [
        { id: 'a', type: 'HTTPS', fqdn: 'not a host', port: 443, resourcePath: 'healthz', requestInterval: 30, failureThreshold: 0 },
        { id: 'unused', type: 'HTTP', fqdn: 'x.example.net', port: 80, resourcePath: '/', requestInterval: 10, failureThreshold: 3 },
      ],
      routes: [
        { id: 'cn', countries: ['CN', 'UK'], target: { kind: 'cname', hostname: 'cn.example.net' }, healthCheck: 'a' },
        { id: 'cn', countries: ['CN'], subdivisions: ['CA-ON'], target: { kind: 'cname', hostname: '-bad-.example' }, healthCheck: 'missing' },
        { id: 'd1', isDefault: true, target: { kind: 'cloudfront' }, healthCheck: 'a' },
        { id: 'd2', isDefault: true, target: { kind: 'cloudfront' } },
        { id: 'empty', target: { kind: 'cloudfront' } },
      ],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/name "cdn.example.org" is not a name inside the zone example.com/),
        expect.stringMatching(/health check a: "not a host" is not a hostname/),
        expect.stringMatching(/health check a: the resource path must start with/),
        expect.stringMatching(/health check a: expected a failure threshold from 1 to 10 but received 0/),
        'health check unused is not attached to any record',
        'records with health checks should have a TTL of 60 s or less, not 300',
        'expected exactly one default record but found 2',
        'the default record d1 must not have a health check: it is the last answer',
        'two routes share the id cn',
        expect.stringMatching(/route cn: expected an ISO 3166-1 alpha-2 code but received "UK"/),
        'country CN is listed twice (in cn and in cn)',
        expect.stringMatching(/expected a US state such as "US-CA" but received "CA-ON"/),
        expect.stringMatching(/"-bad-.example" is not a hostname/),
        'route cn: unknown health check missing',
        'route empty lists no location',
      ]),
    );
  });
});

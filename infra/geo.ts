/**
 * Geography, as data, in two layers:
 *
 * 1. Inside CloudFront: `geoRouteConfig` builds geo-route's baked config from the geo table in
 *    distribution.ts, refusing to build a table that names unknown origins or lists a place twice.
 * 2. In front of CloudFront (multi-CDN): Route 53 geolocation records for the CDN hostname. China
 *    goes to a local CDN (CloudFront has no edge in mainland China), everyone else to CloudFront.
 *    The SST infra deploys `geoDnsRecords(geoDns, distributionDomain)`; `resolveGeoDns` answers, offline,
 *    which record a viewer would get (subdivision > country > continent > default, health included).
 */
import { checkGeoTable } from '../functions/core/geo.ts';
import { CONTINENTS, continentOf, isContinent, isCountryCode } from '../functions/core/countries.ts';
import type { Continent } from '../functions/core/countries.ts';
import type { GeoRouteConfig, GeoTarget } from '../functions/geo-route/handler.ts';
import { distribution, findOrigin, s3DomainName } from './distribution.ts';
import type { DistributionSpec, OriginSpec } from './distribution.ts';

// ---------------------------------------------------------------------------------------------
// 1. geo-route's config

/** Every problem with the geo table of `spec`, or an empty list. Used at build time and in tests. */
export function checkDistributionGeo(spec: DistributionSpec): string[] {
  if (!spec.geo) {
    const users = spec.behaviors.filter((b) => Object.values(b.functions).includes('geo-route'));
    return users.length > 0 ? [`geo-route runs on ${users.map((b) => b.pathPattern).join(', ')} but ${spec.name} has no geo table`] : [];
  }
  const problems = checkGeoTable(
    spec.geo,
    spec.origins.map((o) => o.id),
  );
  for (const behavior of spec.behaviors) {
    if (behavior.functions['origin-request'] !== 'geo-route') continue;
    const group = spec.originGroups.find((g) => g.id === behavior.target);
    const primary = group ? group.primary : behavior.target;
    // geo-route only reroutes requests bound for the default origin: any other would never be routed.
    if (primary !== spec.geo.defaultOrigin) {
      problems.push(`behavior ${behavior.pathPattern} sends requests to ${primary}, but the geo table's default origin is ${spec.geo.defaultOrigin}`);
    }
    const forwarded = (behavior.originRequestPolicy?.headers ?? []).map((h) => h.toLowerCase());
    if (!forwarded.includes('cloudfront-viewer-country')) {
      problems.push(`behavior ${behavior.pathPattern} runs geo-route but its origin request policy does not forward CloudFront-Viewer-Country`);
    }
    const usesRegions = spec.geo.routes.some((r) => (r.subdivisions?.length ?? 0) > 0);
    if (usesRegions && !forwarded.includes('cloudfront-viewer-country-region')) {
      problems.push(`the geo table lists subdivisions but behavior ${behavior.pathPattern} does not forward CloudFront-Viewer-Country-Region`);
    }
  }
  return problems;
}

export function geoRouteConfig(spec: DistributionSpec = distribution): GeoRouteConfig {
  const problems = checkDistributionGeo(spec);
  if (problems.length > 0 || !spec.geo) {
    throw new Error(`Expected a sound geo table in ${spec.name} but found:\n  ${problems.join('\n  ')}`);
  }
  const ids = new Set([spec.geo.defaultOrigin, ...spec.geo.routes.map((r) => r.origin)]);
  const targets = Object.fromEntries([...ids].map((id) => [id, geoTarget(findOrigin(spec, id))]));
  return { table: spec.geo, targets, routedDomains: domainNamesOf(findOrigin(spec, spec.geo.defaultOrigin)) };
}

function geoTarget(origin: OriginSpec): GeoTarget {
  if (origin.kind === 's3') return { kind: 's3', id: origin.id, domainName: s3DomainName(origin), region: origin.region };
  return { kind: 'custom', id: origin.id, domainName: origin.domainName, port: origin.port, protocol: origin.protocol, path: origin.path ?? '' };
}

/** The `origin.*.domainName` values CloudFront may use for an origin. */
function domainNamesOf(origin: OriginSpec): string[] {
  return origin.kind === 's3' ? [s3DomainName(origin), `${origin.bucket}.s3.amazonaws.com`] : [origin.domainName];
}

// ---------------------------------------------------------------------------------------------
// 2. Route 53 geolocation (multi-CDN)

interface HealthCheckSpec {
  readonly id: string;
  readonly type: 'HTTP' | 'HTTPS';
  readonly fqdn: string;
  readonly port: number;
  readonly resourcePath: string;
  /** Seconds between checks from each checker: 10 (fast) or 30 (standard). */
  readonly requestInterval: 10 | 30;
  /** Consecutive failures (1-10) before the endpoint counts as unhealthy. */
  readonly failureThreshold: number;
}

/** Where a record points: the CloudFront distribution (its domain is known at deploy) or a hostname. */
type GeoDnsTarget = { readonly kind: 'cloudfront' } | { readonly kind: 'cname'; readonly hostname: string };

interface GeoDnsRoute {
  /** The set identifier stem; each location gets its own record `<id>-<location>`. */
  readonly id: string;
  readonly target: GeoDnsTarget;
  /** The default record (Route 53 country code `*`): everyone no other record claims. */
  readonly isDefault?: boolean;
  readonly continents?: readonly Continent[];
  readonly countries?: readonly string[];
  /** US states as `US-CA` (Route 53 geolocation subdivisions are US states). */
  readonly subdivisions?: readonly string[];
  /** A health check id: when it fails, Route 53 answers the next broader location's record. */
  readonly healthCheck?: string;
}

export interface GeoDnsSpec {
  readonly zone: string;
  /** The name viewers resolve. Every record of the set has this name and one type (CNAME). */
  readonly name: string;
  /** Seconds; 60 or less when health checks are attached, so resolvers notice a change quickly. */
  readonly ttl: number;
  readonly healthChecks: readonly HealthCheckSpec[];
  readonly routes: readonly GeoDnsRoute[];
}

export const geoDns: GeoDnsSpec = {
  zone: 'example.com',
  name: 'cdn.example.com',
  ttl: 60,
  healthChecks: [
    // The China CDN pulls from the HTTP image origin, which answers /healthz (infra/origin).
    { id: 'china-cdn', type: 'HTTPS', fqdn: 'cn.cdn-partner.example.net', port: 443, resourcePath: '/healthz', requestInterval: 30, failureThreshold: 3 },
  ],
  routes: [
    { id: 'china-cdn', countries: ['CN'], target: { kind: 'cname', hostname: 'cn.cdn-partner.example.net' }, healthCheck: 'china-cdn' },
    // No health check on the default: if it could fail, some viewers would get no answer at all.
    { id: 'cloudfront', isDefault: true, target: { kind: 'cloudfront' } },
  ],
};

/** One Route 53 record, in the API's terms (GeoLocation: ContinentCode | CountryCode [+ SubdivisionCode]). */
export interface GeoDnsRecord {
  readonly name: string;
  readonly type: 'CNAME';
  readonly ttl: number;
  readonly setIdentifier: string;
  readonly geoLocation: { readonly continentCode: Continent } | { readonly countryCode: string; readonly subdivisionCode?: string };
  readonly value: string;
  readonly healthCheckId?: string;
  readonly routeId: string;
}

/** The records to create, one per location, the CloudFront target filled with the distribution's domain. */
export function geoDnsRecords(spec: GeoDnsSpec = geoDns, cloudFrontDomain = 'd111111abcdef8.cloudfront.net'): GeoDnsRecord[] {
  const records: GeoDnsRecord[] = [];
  for (const route of spec.routes) {
    const value = route.target.kind === 'cloudfront' ? cloudFrontDomain : route.target.hostname;
    const common = {
      name: spec.name,
      type: 'CNAME' as const,
      ttl: spec.ttl,
      value,
      routeId: route.id,
      ...(route.healthCheck ? { healthCheckId: route.healthCheck } : {}),
    };
    if (route.isDefault) records.push({ ...common, setIdentifier: `${route.id}-default`, geoLocation: { countryCode: '*' } });
    for (const code of route.continents ?? [])
      records.push({ ...common, setIdentifier: `${route.id}-${code.toLowerCase()}`, geoLocation: { continentCode: code } });
    for (const code of route.countries ?? [])
      records.push({ ...common, setIdentifier: `${route.id}-${code.toLowerCase()}`, geoLocation: { countryCode: code } });
    for (const code of route.subdivisions ?? []) {
      const [country = '', subdivision = ''] = code.split('-');
      records.push({ ...common, setIdentifier: `${route.id}-${code.toLowerCase()}`, geoLocation: { countryCode: country, subdivisionCode: subdivision } });
    }
  }
  return records;
}

const HOSTNAME = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/;

/** Build-time check of the Route 53 data. Returns the problems found. */
export function checkGeoDns(spec: GeoDnsSpec): string[] {
  const problems: string[] = [];
  if (!HOSTNAME.test(spec.zone)) problems.push(`zone ${JSON.stringify(spec.zone)} is not a domain name`);
  if (!HOSTNAME.test(spec.name) || !(spec.name === spec.zone || spec.name.endsWith(`.${spec.zone}`))) {
    problems.push(`name ${JSON.stringify(spec.name)} is not a name inside the zone ${spec.zone}`);
  }
  const checks = new Map(spec.healthChecks.map((h) => [h.id, h]));
  if (checks.size !== spec.healthChecks.length) problems.push('two health checks share an id');
  for (const check of spec.healthChecks) {
    if (!HOSTNAME.test(check.fqdn)) problems.push(`health check ${check.id}: ${JSON.stringify(check.fqdn)} is not a hostname`);
    if (!check.resourcePath.startsWith('/')) problems.push(`health check ${check.id}: the resource path must start with "/"`);
    if (!Number.isInteger(check.failureThreshold) || check.failureThreshold < 1 || check.failureThreshold > 10) {
      problems.push(`health check ${check.id}: expected a failure threshold from 1 to 10 but received ${check.failureThreshold}`);
    }
    if (!spec.routes.some((r) => r.healthCheck === check.id)) problems.push(`health check ${check.id} is not attached to any record`);
  }
  if (spec.healthChecks.length > 0 && spec.ttl > 60) problems.push(`records with health checks should have a TTL of 60 s or less, not ${spec.ttl}`);
  const defaults = spec.routes.filter((r) => r.isDefault);
  if (defaults.length !== 1) problems.push(`expected exactly one default record but found ${defaults.length}`);
  for (const route of defaults) {
    if (route.healthCheck) problems.push(`the default record ${route.id} must not have a health check: it is the last answer`);
  }
  const ids = new Set<string>();
  const seen = new Map<string, string>();
  const claim = (key: string, id: string) => {
    const previous = seen.get(key);
    if (previous !== undefined) problems.push(`${key} is listed twice (in ${previous} and in ${id})`);
    else seen.set(key, id);
  };
  for (const route of spec.routes) {
    if (ids.has(route.id)) problems.push(`two routes share the id ${route.id}`);
    ids.add(route.id);
    if (route.target.kind === 'cname' && !HOSTNAME.test(route.target.hostname)) {
      problems.push(`route ${route.id}: ${JSON.stringify(route.target.hostname)} is not a hostname`);
    }
    if (route.healthCheck !== undefined && !checks.has(route.healthCheck)) problems.push(`route ${route.id}: unknown health check ${route.healthCheck}`);
    const places = (route.continents?.length ?? 0) + (route.countries?.length ?? 0) + (route.subdivisions?.length ?? 0);
    if (places === 0 && !route.isDefault) problems.push(`route ${route.id} lists no location`);
    for (const code of route.continents ?? []) {
      if (!isContinent(code)) problems.push(`route ${route.id}: expected one of ${CONTINENTS.join(', ')} but received ${JSON.stringify(code)}`);
      else claim(`continent ${code}`, route.id);
    }
    for (const code of route.countries ?? []) {
      if (!/^[A-Z]{2}$/.test(code) || !isCountryCode(code))
        problems.push(`route ${route.id}: expected an ISO 3166-1 alpha-2 code but received ${JSON.stringify(code)}`);
      else claim(`country ${code}`, route.id);
    }
    for (const code of route.subdivisions ?? []) {
      if (!/^US-[A-Z]{2}$/.test(code)) problems.push(`route ${route.id}: expected a US state such as "US-CA" but received ${JSON.stringify(code)}`);
      else claim(`subdivision ${code}`, route.id);
    }
  }
  return problems;
}

export interface GeoDnsAnswer {
  readonly record: GeoDnsRecord;
  readonly matched: 'subdivision' | 'country' | 'continent' | 'default';
}

/**
 * Which record Route 53 answers for a viewer: the most specific location that has a record whose
 * health check (if any) passes; subdivision > country > continent > default. `undefined` when nothing
 * applies and there is no default (Route 53 then answers with no data).
 */
export function resolveGeoDns(
  viewer: { readonly country?: string; readonly subdivision?: string },
  spec: GeoDnsSpec = geoDns,
  isHealthy: (healthCheckId: string) => boolean = () => true,
): GeoDnsAnswer | undefined {
  const records = geoDnsRecords(spec);
  const usable = (record: GeoDnsRecord | undefined) =>
    record !== undefined && (record.healthCheckId === undefined || isHealthy(record.healthCheckId)) ? record : undefined;
  const country = viewer.country?.toUpperCase();
  const continent = country === undefined ? undefined : continentOf(country);
  const find = (test: (location: GeoDnsRecord['geoLocation']) => boolean) => usable(records.find((r) => test(r.geoLocation)));
  const candidates: [GeoDnsAnswer['matched'], GeoDnsRecord | undefined][] = [
    [
      'subdivision',
      country && viewer.subdivision
        ? find((l) => 'countryCode' in l && l.countryCode === country && l.subdivisionCode === viewer.subdivision?.toUpperCase())
        : undefined,
    ],
    ['country', country && continent ? find((l) => 'countryCode' in l && l.countryCode === country && l.subdivisionCode === undefined) : undefined],
    ['continent', continent ? find((l) => 'continentCode' in l && l.continentCode === continent) : undefined],
    ['default', find((l) => 'countryCode' in l && l.countryCode === '*')],
  ];
  for (const [matched, record] of candidates) if (record) return { record, matched };
  return undefined;
}

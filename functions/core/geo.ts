/**
 * The geo table: which origin serves a viewer, by where the viewer is. Plain typed data in
 * infra/distribution.ts, checked at build time by `checkGeoTable`, looked up by geo-route.
 *
 * Precedence, the same as Route 53 geolocation: subdivision > country > continent > default.
 * A viewer whose country is missing or unknown gets the default origin.
 */
import { CONTINENTS, continentOf, isContinent, isCountryCode } from './countries.ts';
import type { Continent } from './countries.ts';

interface GeoRoute {
  /** The origin id (in distribution.ts) that serves these places. */
  readonly origin: string;
  readonly continents?: readonly Continent[];
  /** ISO 3166-1 alpha-2 codes, upper case, as `CloudFront-Viewer-Country` sends them. */
  readonly countries?: readonly string[];
  /**
   * ISO 3166-2 codes such as `US-CA`: the country plus `CloudFront-Viewer-Country-Region`. Listing
   * one makes geo-route read that header (the origin request policy must forward it).
   */
  readonly subdivisions?: readonly string[];
}

export interface GeoTable {
  /** Where everyone else goes: the origin the behaviors send requests to (the group's primary). */
  readonly defaultOrigin: string;
  readonly routes: readonly GeoRoute[];
}

type GeoMatch = 'subdivision' | 'country' | 'continent' | 'default';

export interface GeoLookup {
  readonly origin: string;
  readonly matched: GeoMatch;
  /** The key that matched: `US-CA`, `KR`, `EU`, or `*` for the default. */
  readonly key: string;
}

const COUNTRY = /^[A-Z]{2}$/;
const SUBDIVISION = /^([A-Z]{2})-([A-Z0-9]{1,3})$/;

/**
 * Build-time check of a geo table against the distribution's origin ids. Returns the problems found
 * (empty when the table is sound): unknown origin ids, unknown or malformed codes, a place listed
 * twice (in one route or in two), and routes that list no place.
 */
export function checkGeoTable(table: GeoTable, originIds: readonly string[]): string[] {
  const problems: string[] = [];
  const known = new Set(originIds);
  const unknownOrigin = (id: string, where: string) => {
    if (!known.has(id)) problems.push(`${where}: unknown origin id ${JSON.stringify(id)} (known: ${[...known].join(', ')})`);
  };
  unknownOrigin(table.defaultOrigin, 'the default');
  const seen = new Map<string, string>();
  const claim = (key: string, origin: string) => {
    const previous = seen.get(key);
    if (previous !== undefined) problems.push(`${key} is listed twice (for ${previous} and for ${origin})`);
    else seen.set(key, origin);
  };
  for (const [index, route] of table.routes.entries()) {
    const where = `route ${index + 1} (${route.origin})`;
    unknownOrigin(route.origin, where);
    const places = (route.continents?.length ?? 0) + (route.countries?.length ?? 0) + (route.subdivisions?.length ?? 0);
    if (places === 0) problems.push(`${where} lists no continent, country or subdivision`);
    for (const continent of route.continents ?? []) {
      if (!isContinent(continent)) problems.push(`${where}: expected one of ${CONTINENTS.join(', ')} but received ${JSON.stringify(continent)}`);
      else claim(`continent ${continent}`, route.origin);
    }
    for (const country of route.countries ?? []) {
      if (!COUNTRY.test(country) || !isCountryCode(country)) {
        problems.push(`${where}: expected an ISO 3166-1 alpha-2 country code but received ${JSON.stringify(country)}`);
      } else claim(`country ${country}`, route.origin);
    }
    for (const subdivision of route.subdivisions ?? []) {
      const match = SUBDIVISION.exec(subdivision);
      if (!match || !isCountryCode(match[1]!)) {
        problems.push(`${where}: expected an ISO 3166-2 subdivision such as "US-CA" but received ${JSON.stringify(subdivision)}`);
      } else claim(`subdivision ${subdivision}`, route.origin);
    }
  }
  return problems;
}

/** The table as maps, built once per function instance. */
export interface CompiledGeoTable {
  readonly defaultOrigin: string;
  readonly subdivisions: ReadonlyMap<string, string>;
  readonly countries: ReadonlyMap<string, string>;
  readonly continents: ReadonlyMap<string, string>;
  /** Whether any route names a subdivision, i.e. whether the region header is worth reading. */
  readonly usesRegions: boolean;
}

export function compileGeoTable(table: GeoTable): CompiledGeoTable {
  const subdivisions = new Map<string, string>();
  const countries = new Map<string, string>();
  const continents = new Map<string, string>();
  for (const route of table.routes) {
    for (const code of route.subdivisions ?? []) subdivisions.set(code, route.origin);
    for (const code of route.countries ?? []) countries.set(code, route.origin);
    for (const code of route.continents ?? []) continents.set(code, route.origin);
  }
  return { defaultOrigin: table.defaultOrigin, subdivisions, countries, continents, usesRegions: subdivisions.size > 0 };
}

/**
 * The origin for a viewer. `country` is the `CloudFront-Viewer-Country` value, `region` the
 * `CloudFront-Viewer-Country-Region` value (the part after the dash, such as `CA`); either may be
 * missing (the region is absent for requests from inside AWS). Case and surrounding spaces are ignored.
 */
export function lookupGeo(table: CompiledGeoTable, country: string | undefined, region?: string): GeoLookup {
  const code = country?.trim().toUpperCase() ?? '';
  if (COUNTRY.test(code)) {
    const sub = region?.trim().toUpperCase();
    if (sub && table.subdivisions.size > 0) {
      const key = `${code}-${sub}`;
      const origin = table.subdivisions.get(key);
      if (origin !== undefined) return { origin, matched: 'subdivision', key };
    }
    const byCountry = table.countries.get(code);
    if (byCountry !== undefined) return { origin: byCountry, matched: 'country', key: code };
    const continent = continentOf(code);
    const byContinent = continent === undefined ? undefined : table.continents.get(continent);
    if (continent !== undefined && byContinent !== undefined) return { origin: byContinent, matched: 'continent', key: continent };
  }
  return { origin: table.defaultOrigin, matched: 'default', key: '*' };
}

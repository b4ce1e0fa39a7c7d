import { describe, expect, it } from 'vitest';
import { distribution } from '../../infra/distribution.ts';
import { CONTINENTS, COUNTRY_CONTINENTS, continentOf, isCountryCode } from './countries.ts';
import { checkGeoTable, compileGeoTable, lookupGeo } from './geo.ts';
import type { GeoTable } from './geo.ts';

const ISO_CODES = Object.keys(COUNTRY_CONTINENTS);

describe('the ISO 3166-1 alpha-2 country list', () => {
  it('has the 249 assigned codes, each two capital letters, each on one of the seven continents', () => {
    expect(ISO_CODES).toHaveLength(249);
    expect(new Set(ISO_CODES).size).toBe(249);
    for (const code of ISO_CODES) {
      expect(code).toMatch(/^[A-Z]{2}$/);
      expect(CONTINENTS).toContain(COUNTRY_CONTINENTS[code]);
    }
    const perContinent = Object.fromEntries(CONTINENTS.map((c) => [c, ISO_CODES.filter((code) => COUNTRY_CONTINENTS[code] === c).length]));
    expect(perContinent).toEqual({ AF: 58, AN: 5, AS: 53, EU: 52, NA: 41, OC: 26, SA: 14 });
  });

  it('matches the regions ICU knows, apart from codes that are not ISO 3166-1 assignments', () => {
    // An independent source: Node's ICU names every region it knows and echoes unknown codes back.
    const names = new Intl.DisplayNames(['en'], { type: 'region' });
    const known: string[] = [];
    for (let a = 65; a <= 90; a++) {
      for (let b = 65; b <= 90; b++) {
        const code = String.fromCharCode(a, b);
        const name = names.of(code);
        if (name !== undefined && name !== code) known.push(code);
      }
    }
    for (const code of ISO_CODES) expect(known, `${code} is not a region ICU knows`).toContain(code);
    // Exceptionally reserved (AC CP DG EA EU EZ IC TA UK UN), transitional or deleted (AN BU CS DD FX
    // NT TP YU ZR ...), user-assigned (QO XA XB XK ZZ): none of them an officially assigned code.
    const notIso = new Set('AC AN BU CP CQ CS DD DG DY EA EU EZ FX HV IC NH NT QO RH SU TA TP UK UN VD XA XB XK YD YU ZR ZZ'.split(' '));
    expect(known.filter((code) => !ISO_CODES.includes(code) && !notIso.has(code))).toEqual([]);
  });

  it.each([
    ['DE', 'EU'],
    ['FR', 'EU'],
    ['GB', 'EU'],
    ['IE', 'EU'],
    ['NO', 'EU'],
    ['RU', 'EU'],
    ['UA', 'EU'],
    ['VA', 'EU'],
    ['US', 'NA'],
    ['CA', 'NA'],
    ['MX', 'NA'],
    ['PA', 'NA'],
    ['CU', 'NA'],
    ['GL', 'NA'],
    ['BR', 'SA'],
    ['AR', 'SA'],
    ['CL', 'SA'],
    ['FK', 'SA'],
    ['CN', 'AS'],
    ['KR', 'AS'],
    ['JP', 'AS'],
    ['IN', 'AS'],
    ['HK', 'AS'],
    ['TW', 'AS'],
    ['IL', 'AS'],
    ['TR', 'AS'],
    ['KZ', 'AS'],
    ['AU', 'OC'],
    ['NZ', 'OC'],
    ['FJ', 'OC'],
    ['GU', 'OC'],
    ['EG', 'AF'],
    ['ZA', 'AF'],
    ['NG', 'AF'],
    ['MA', 'AF'],
    ['RE', 'AF'],
    ['AQ', 'AN'],
    ['GS', 'AN'],
  ])('puts %s in %s', (country, continent) => {
    expect(continentOf(country)).toBe(continent);
    expect(continentOf(country.toLowerCase())).toBe(continent);
  });

  it('knows Kosovo (XK, a code geo databases send) and nothing made up', () => {
    expect(continentOf('XK')).toBe('EU');
    expect(isCountryCode('XK')).toBe(true);
    for (const code of ['UK', 'EU', 'ZZ', 'XX', 'A1', 'DEU', '']) expect(continentOf(code)).toBeUndefined();
  });
});

describe('the geo table of distribution.ts', () => {
  const table = compileGeoTable(distribution.geo!);
  /** What the table says, written out independently of lookupGeo. */
  const expected = (country: string) =>
    ({ CN: 'image-origin-hk', KR: 'images-s3-ap', JP: 'images-s3-ap' })[country] ?? (COUNTRY_CONTINENTS[country] === 'EU' ? 'images-s3-eu' : 'images-s3');

  it('is sound', () => {
    expect(
      checkGeoTable(
        distribution.geo!,
        distribution.origins.map((o) => o.id),
      ),
    ).toEqual([]);
  });

  it('routes every one of the 249 country codes', () => {
    for (const country of ISO_CODES) {
      const found = lookupGeo(table, country);
      expect(found.origin, country).toBe(expected(country));
      const matched = ['CN', 'KR', 'JP'].includes(country) ? 'country' : COUNTRY_CONTINENTS[country] === 'EU' ? 'continent' : 'default';
      expect(found.matched, country).toBe(matched);
    }
  });

  it('sends CN, DE and KR where the table says, and the rest of the world to the primary', () => {
    expect(lookupGeo(table, 'CN')).toEqual({ origin: 'image-origin-hk', matched: 'country', key: 'CN' });
    expect(lookupGeo(table, 'DE')).toEqual({ origin: 'images-s3-eu', matched: 'continent', key: 'EU' });
    expect(lookupGeo(table, 'KR')).toEqual({ origin: 'images-s3-ap', matched: 'country', key: 'KR' });
    expect(lookupGeo(table, 'US')).toEqual({ origin: 'images-s3', matched: 'default', key: '*' });
    expect(lookupGeo(table, 'BR').origin).toBe('images-s3');
    expect(lookupGeo(table, 'XK').origin).toBe('images-s3-eu');
  });

  it.each([undefined, '', 'XX', 'ZZ', 'A1', 'DEU', 'D', '--', '<script>'])('sends a missing or unknown country (%s) to the default', (country) => {
    expect(lookupGeo(table, country)).toEqual({ origin: 'images-s3', matched: 'default', key: '*' });
  });

  it('ignores case and surrounding spaces, as headers may carry them', () => {
    expect(lookupGeo(table, ' de ').origin).toBe('images-s3-eu');
    expect(lookupGeo(table, 'kr').origin).toBe('images-s3-ap');
  });
});

describe('precedence: subdivision > country > continent > default', () => {
  const table = compileGeoTable({
    defaultOrigin: 'world',
    routes: [
      { origin: 'north-america', continents: ['NA'] },
      { origin: 'usa', countries: ['US'] },
      { origin: 'california', subdivisions: ['US-CA'] },
      { origin: 'europe', continents: ['EU'], countries: ['IL'] },
    ],
  });

  it('picks the most specific match', () => {
    expect(lookupGeo(table, 'US', 'CA')).toEqual({ origin: 'california', matched: 'subdivision', key: 'US-CA' });
    expect(lookupGeo(table, 'US', 'ca')).toMatchObject({ origin: 'california' });
    expect(lookupGeo(table, 'US', 'NY')).toEqual({ origin: 'usa', matched: 'country', key: 'US' });
    expect(lookupGeo(table, 'US')).toMatchObject({ origin: 'usa', matched: 'country' });
    expect(lookupGeo(table, 'CA', 'ON')).toEqual({ origin: 'north-america', matched: 'continent', key: 'NA' });
    expect(lookupGeo(table, 'IL')).toMatchObject({ origin: 'europe', matched: 'country' });
    expect(lookupGeo(table, 'JP')).toEqual({ origin: 'world', matched: 'default', key: '*' });
  });

  it('uses the region only with its own country', () => {
    // `CA` is California only inside the US: a Canadian region header means nothing here.
    expect(lookupGeo(table, 'MX', 'CA').origin).toBe('north-america');
    expect(lookupGeo(table, undefined, 'CA').origin).toBe('world');
  });

  it('reads regions only when a route lists a subdivision', () => {
    expect(table.usesRegions).toBe(true);
    expect(compileGeoTable({ defaultOrigin: 'a', routes: [{ origin: 'b', countries: ['DE'] }] }).usesRegions).toBe(false);
  });
});

describe('checkGeoTable', () => {
  const origins = ['primary', 'eu', 'ap'];
  const check = (table: GeoTable) => checkGeoTable(table, origins);

  it('accepts a sound table', () => {
    expect(
      check({
        defaultOrigin: 'primary',
        routes: [
          { origin: 'eu', continents: ['EU'] },
          { origin: 'ap', countries: ['KR'], subdivisions: ['US-HI'] },
        ],
      }),
    ).toEqual([]);
  });

  it('refuses unknown origin ids, for the default and for a route', () => {
    const problems = check({ defaultOrigin: 'primry', routes: [{ origin: 'images-s3-asia', countries: ['KR'] }] });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/the default: unknown origin id "primry"/);
    expect(problems[1]).toMatch(/route 1 \(images-s3-asia\): unknown origin id "images-s3-asia"/);
  });

  it('refuses a country listed twice, across routes or in one', () => {
    expect(
      check({
        defaultOrigin: 'primary',
        routes: [
          { origin: 'eu', countries: ['DE'] },
          { origin: 'ap', countries: ['KR', 'DE'] },
        ],
      }),
    ).toEqual(['country DE is listed twice (for eu and for ap)']);
    expect(check({ defaultOrigin: 'primary', routes: [{ origin: 'ap', countries: ['KR', 'KR'] }] })).toEqual([
      'country KR is listed twice (for ap and for ap)',
    ]);
  });

  it('refuses a continent or subdivision listed twice', () => {
    expect(
      check({
        defaultOrigin: 'primary',
        routes: [
          { origin: 'eu', continents: ['EU'] },
          { origin: 'ap', continents: ['AS', 'EU'] },
        ],
      }),
    ).toEqual(['continent EU is listed twice (for eu and for ap)']);
    expect(
      check({
        defaultOrigin: 'primary',
        routes: [
          { origin: 'eu', subdivisions: ['US-CA'] },
          { origin: 'ap', subdivisions: ['US-CA'] },
        ],
      }),
    ).toHaveLength(1);
  });

  it('allows a country and its own continent on different routes: the country wins', () => {
    expect(
      check({
        defaultOrigin: 'primary',
        routes: [
          { origin: 'eu', continents: ['EU'] },
          { origin: 'ap', countries: ['DE'] },
        ],
      }),
    ).toEqual([]);
  });

  it.each([['UK'], ['de'], ['DEU'], ['XX'], ['']])('refuses the country code %j', (code) => {
    expect(check({ defaultOrigin: 'primary', routes: [{ origin: 'eu', countries: [code] }] })[0]).toMatch(/expected an ISO 3166-1 alpha-2 country code/);
  });

  it('refuses unknown continents, malformed subdivisions and routes without places', () => {
    const problems = check({
      defaultOrigin: 'primary',
      routes: [
        // @ts-expect-error: not a continent, as a typo in plain data would be
        { origin: 'eu', continents: ['EUR'] },
        { origin: 'ap', subdivisions: ['CA', 'XX-CA', 'US-'] },
        { origin: 'eu' },
      ],
    });
    expect(problems).toEqual([
      expect.stringMatching(/expected one of AF, AN, AS, EU, NA, OC, SA but received "EUR"/),
      expect.stringMatching(/subdivision such as "US-CA" but received "CA"/),
      expect.stringMatching(/received "XX-CA"/),
      expect.stringMatching(/received "US-"/),
      'route 3 (eu) lists no continent, country or subdivision',
    ]);
  });
});

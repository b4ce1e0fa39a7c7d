/**
 * Dev-only switches of the local edge. They exist only here: the deployed functions never read them
 * (a test bundles every functions/<name>/index.ts and checks these names are absent), and the local
 * edge removes them from the request before the viewer-request function sees it, because a header a
 * viewer function would not see in CloudFront must not reach it here.
 *
 *   x-local-viewer-country: DE | US-CA      (header, or the query flag ?x-local-viewer-country=DE)
 *     The viewer's country, optionally with its ISO 3166-2 subdivision. The edge puts it into ORIGIN
 *     events only, as `CloudFront-Viewer-Country` (and `CloudFront-Viewer-Country-Region: CA`), and only
 *     when the behavior's origin request policy forwards those headers, as CloudFront does.
 *
 *   x-local-fail-primary: down | slow | 500  (header, or the query flag ?x-local-fail-primary=down)
 *     Makes the first origin tried for this request (the origin group's primary, or wherever
 *     origin-request sent it) fail: `down` refuses the connection, `slow` never answers within the
 *     origin read timeout, a status code from 400 to 599 answers with that status. origin-request still
 *     runs; what happens next is CloudFront's rule (failover if the group lists the code, 503 for a
 *     refused connection, 504 for a timeout; GET/HEAD, and OPTIONS when cached, only).
 *
 *   x-local-viewer-ip: 203.0.113.7 | 2001:db8::7  (header, or the query flag ?x-local-viewer-ip=...)
 *     The viewer's address as functions see it (`clientIp` of every event), so a signed URL's
 *     IpAddress condition can be tried locally. Default 127.0.0.1.
 *
 * A response made under any switch is cached apart from plain requests (the switches are part of the
 * local cache key), so a simulated failure or country never answers the next plain request.
 *   x-local-s3-conflict: 1 | 2 | 3          (header, or the query flag ?x-local-s3-conflict=1)
 *     The embedded S3 answers the next N conditional writes (PutObject with `If-None-Match: *`, what
 *     image-resize stores a derived image with) with 409 ConditionalRequestConflict, as S3 does when
 *     another conditional write of the key is in flight. image-resize tries a PutObject 3 times: 1 or 2
 *     show the retry succeed, 3 shows the failure. The request inspector notes each 409 answered.
 *     Embedded S3 only (real S3 cannot be told to conflict).
 *
 * The same switches can be set for every request: `npm start -- --country DE --fail-primary down`,
 * or `edge.simulate` in code. A per-request switch wins; the value `off` / `none` clears one.
 *
 *   npm start -- --drop-vary                 (whole edge only; `edge.simulate.dropVary` in code)
 *     Breaks the local edge on purpose: image-resize's answers lose their `Vary` header, as a
 *     deployment with a wrong function would. `npm run verify` must then fail, naming the row.
 */
import { STATUS_CODES } from 'node:http';
import { isIP } from 'node:net';
import type { EdgeFunction } from './function-runner.ts';

export const DEV_VIEWER_COUNTRY = 'x-local-viewer-country';
export const DEV_FAIL_PRIMARY = 'x-local-fail-primary';
const DEV_VIEWER_IP = 'x-local-viewer-ip';
export const DEV_S3_CONFLICT = 'x-local-s3-conflict';
export const DEV_SWITCHES = [DEV_VIEWER_COUNTRY, DEV_FAIL_PRIMARY, DEV_S3_CONFLICT, DEV_VIEWER_IP] as const;

export type FailMode = 'down' | 'slow' | number;

export interface Simulation {
  /** `DE`, or `US-CA` with the subdivision. */
  viewerCountry?: string | undefined;
  failPrimary?: FailMode | undefined;
  /** The viewer's IPv4 or IPv6 address (`clientIp`). */
  viewerIp?: string | undefined;
  /** How many conditional writes the embedded S3 answers with 409 ConditionalRequestConflict (1-3). */
  s3Conflicts?: number | undefined;
  /** Broken on purpose: image-resize's answers lose their Vary header (dropVary). */
  dropVary?: boolean | undefined;
}

/** image-resize as the edge runs it: its answers without Vary while `broken()` says so. */
export function dropVary(fn: EdgeFunction, broken: () => boolean): EdgeFunction {
  return async (event: unknown) => {
    const answer = (await fn(event)) as { headers?: Record<string, unknown> } | undefined;
    if (broken() && answer?.headers) delete answer.headers['vary'];
    return answer;
  };
}

const COUNTRY = /^([A-Za-z]{2})(?:-([A-Za-z0-9]{1,3}))?$/;

/** `de` -> `DE`, `us-ca` -> `US-CA`; throws on anything else. `off`/`none` -> undefined. */
export function parseViewerCountry(value: string): string | undefined {
  const trimmed = value.trim();
  if (/^(off|none)$/i.test(trimmed)) return undefined;
  if (!COUNTRY.test(trimmed)) {
    throw new Error(`Expected a country code such as DE, or a subdivision such as US-CA, for ${DEV_VIEWER_COUNTRY} but received ${JSON.stringify(value)}`);
  }
  return trimmed.toUpperCase();
}

/** `down`, `slow`, or a status from 400 to 599; throws on anything else. `off`/`none` -> undefined. */
export function parseFailMode(value: string): FailMode | undefined {
  const trimmed = value.trim().toLowerCase();
  if (trimmed === 'off' || trimmed === 'none') return undefined;
  if (trimmed === 'down' || trimmed === 'slow') return trimmed;
  const status = Number(trimmed);
  if (/^\d{3}$/.test(trimmed) && status >= 400 && status <= 599 && STATUS_CODES[status] !== undefined) return status;
  throw new Error(`Expected down, slow or an HTTP status from 400 to 599 for ${DEV_FAIL_PRIMARY} but received ${JSON.stringify(value)}`);
}

/** An IPv4 or IPv6 address as CloudFront writes clientIp; throws on anything else. `off`/`none` -> undefined. */
export function parseViewerIp(value: string): string | undefined {
  const trimmed = value.trim();
  if (/^(off|none)$/i.test(trimmed)) return undefined;
  const family = isIP(trimmed);
  if (family === 0) throw new Error(`Expected an IPv4 or IPv6 address such as 203.0.113.7 for ${DEV_VIEWER_IP} but received ${JSON.stringify(value)}`);
  return family === 6 ? trimmed.toLowerCase() : trimmed;
}

/** `1` to `3`; throws on anything else. `off`/`none`/`0` -> undefined. */
export function parseS3Conflicts(value: string): number | undefined {
  const trimmed = value.trim().toLowerCase();
  if (trimmed === 'off' || trimmed === 'none' || trimmed === '0') return undefined;
  if (/^[1-3]$/.test(trimmed)) return Number(trimmed);
  throw new Error(`Expected 1, 2 or 3 (conditional writes to answer with 409) for ${DEV_S3_CONFLICT} but received ${JSON.stringify(value)}`);
}

/** The country and region headers CloudFront would add for a simulated `DE` or `US-CA`. */
export function geoHeaderValues(viewerCountry: string): { country: string; region?: string } {
  const [, country = '', region] = COUNTRY.exec(viewerCountry) ?? [];
  return region ? { country, region } : { country };
}

const SHORTEST_SWITCH = Math.min(...DEV_SWITCHES.map((name) => name.length));

export function isDevSwitch(name: string): boolean {
  return (DEV_SWITCHES as readonly string[]).includes(name.toLowerCase());
}

/**
 * Reads the switches from a request's raw headers and query string. Returns what they ask for
 * (`undefined` fields: not given; a key present with value undefined: cleared) and the query string
 * without the flags (every other byte of it kept as it was).
 */
export function takeDevSwitches(rawHeaders: readonly string[], querystring: string): { simulation: Simulation; querystring: string } {
  const simulation: Simulation = {};
  const apply = (name: string, value: string) => {
    if (name === DEV_VIEWER_COUNTRY) simulation.viewerCountry = parseViewerCountry(value);
    else if (name === DEV_VIEWER_IP) simulation.viewerIp = parseViewerIp(value);
    else if (name === DEV_S3_CONFLICT) simulation.s3Conflicts = parseS3Conflicts(value);
    else simulation.failPrimary = parseFailMode(value);
  };
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    // Every switch is named `x-local-...`: other names are passed over without lowercasing.
    const raw = rawHeaders[i]!;
    if (raw.length < SHORTEST_SWITCH || (raw.charCodeAt(0) | 0x20) !== 0x78) continue;
    const name = raw.toLowerCase();
    if (isDevSwitch(name)) apply(name, rawHeaders[i + 1]!);
  }
  if (querystring === '') return { simulation, querystring };
  const kept: string[] = [];
  for (const part of querystring.split('&')) {
    const equals = part.indexOf('=');
    const name = safeDecode(equals === -1 ? part : part.slice(0, equals)).toLowerCase();
    if (isDevSwitch(name)) apply(name, safeDecode(equals === -1 ? '' : part.slice(equals + 1)));
    else kept.push(part);
  }
  return { simulation, querystring: kept.join('&') };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}

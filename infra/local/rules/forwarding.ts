/**
 * The forwarding model: what CloudFront puts in the request it sends to an origin (and shows to
 * origin-event functions), and what goes into the cache key, from a behavior's cache policy and origin
 * request policy. Pure: no I/O.
 *
 * - Only the headers, cookies and query strings the policies name are forwarded; everything in the
 *   cache key is forwarded too (controlling-origin-requests, understanding-how-origin-request-policies-
 *   and-cache-policies-work-together).
 * - CloudFront always includes Host (the origin's domain), User-Agent (`Amazon CloudFront` unless a
 *   policy forwards the viewer's), Via and X-Forwarded-For (the viewer's list with the client IP
 *   appended), as AWS's own origin-request example event shows; X-Amz-Cf-Id goes to the origin but is
 *   never shown to a function (it is a disallowed header).
 * - With gzip or Brotli enabled in the cache policy, Accept-Encoding is normalized (`br,gzip`, `gzip`,
 *   `br`, or `identity` for a viewer that accepts neither), put in the cache key and forwarded.
 * - CloudFront headers (`CloudFront-Viewer-Country`, ...) named by a policy carry CloudFront's values,
 *   overwriting any the viewer sent; unnamed ones are not forwarded.
 */
import type { CloudFrontHeaders } from 'aws-lambda';
import type { BehaviorSpec, CachePolicySpec, ValueSet } from '../../distribution.ts';

/** The value CloudFront puts in User-Agent when the viewer's is not forwarded. */
export const CLOUDFRONT_USER_AGENT = 'Amazon CloudFront';

export interface ForwardInput {
  readonly behavior: Pick<BehaviorSpec, 'cachePolicy' | 'originRequestPolicy'>;
  /** The viewer's headers as the viewer-request function left them. */
  readonly headers: CloudFrontHeaders;
  /** Without the leading `?`. */
  readonly querystring: string;
  readonly clientIp: string;
  /** CloudFront-computed headers (lowercase name -> value), e.g. `cloudfront-viewer-country`. */
  readonly cloudFrontHeaders: Readonly<Record<string, string>>;
  /** CloudFront's own Via value for this hop, e.g. `1.1 abc.cloudfront.net (CloudFront)`. */
  readonly via: string;
  /** The domain of the origin the request is bound for, and whether it is an S3 origin. */
  readonly originDomain: string;
  readonly originIsS3: boolean;
}

export interface Forwarded {
  /** The origin request's headers, as origin-request and origin-response functions see them. */
  readonly headers: CloudFrontHeaders;
  readonly querystring: string;
}

/** Accept-Encoding as CloudFront normalizes it for the cache key and the origin request. */
export type NormalizedEncoding = 'br,gzip' | 'br' | 'gzip' | 'identity';

/**
 * The normalized Accept-Encoding, or undefined when the policy caches neither coding (the header is
 * then an ordinary header) or the viewer sent none (it is then neither in the key nor forwarded).
 * A coding listed with `q=0` is refused (RFC 9110); AWS does not mention weights (a named choice).
 */
export function normalizeAcceptEncoding(policy: CachePolicySpec, viewerValue: string | undefined): NormalizedEncoding | undefined {
  if (!policy.enableAcceptEncodingBrotli && !policy.enableAcceptEncodingGzip) return undefined;
  if (viewerValue === undefined) return undefined;
  const accepted = acceptedCodings(viewerValue);
  const br = policy.enableAcceptEncodingBrotli && accepted.has('br');
  const gzip = policy.enableAcceptEncodingGzip && accepted.has('gzip');
  if (br && gzip) return 'br,gzip';
  if (br) return 'br';
  if (gzip) return 'gzip';
  return 'identity';
}

function acceptedCodings(value: string): Set<string> {
  const codings = new Set<string>();
  for (const part of value.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (!coding) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q !== undefined && !(Number.parseFloat(q.slice(2)) > 0)) continue;
    codings.add(coding.trim());
  }
  return codings;
}

/** Whether CloudFront compression may apply: the policy normalizes Accept-Encoding and does not list it. */
export function compressionKeyed(policy: CachePolicySpec): boolean {
  return (policy.enableAcceptEncodingBrotli || policy.enableAcceptEncodingGzip) && !keyHeaderNames(policy).includes('accept-encoding');
}

/** The request CloudFront sends to the origin (and shows to origin-event functions). */
export function forwardToOrigin(input: ForwardInput): Forwarded {
  const { cachePolicy, originRequestPolicy } = input.behavior;
  const named = lowerSet([...cachePolicy.headers, ...(originRequestPolicy?.headers ?? [])]);
  const allViewer = originRequestPolicy?.allViewerHeaders === true;
  const encoding = normalizeAcceptEncoding(cachePolicy, first(input.headers, 'accept-encoding'));
  const encodingManaged = cachePolicy.enableAcceptEncodingBrotli || cachePolicy.enableAcceptEncodingGzip;
  const out: CloudFrontHeaders = {};
  for (const [name, entries] of Object.entries(input.headers)) {
    if (name.startsWith('cloudfront-') || name === 'cookie' || name === 'host' || name === 'user-agent') continue;
    if (name === 'accept-encoding' && encodingManaged) continue;
    if (name === 'via' || name === 'x-forwarded-for') continue;
    if (allViewer || named.has(name)) out[name] = entries.map((e) => ({ ...e }));
  }
  // Host: the origin's domain, unless a custom origin gets the viewer's (named, or all viewer headers).
  const viewerHost = input.headers['host'];
  out['host'] =
    !input.originIsS3 && viewerHost && (allViewer || named.has('host')) ? viewerHost.map((e) => ({ ...e })) : [{ key: 'Host', value: input.originDomain }];
  const viewerAgent = input.headers['user-agent'];
  out['user-agent'] =
    viewerAgent && (allViewer || named.has('user-agent')) ? viewerAgent.map((e) => ({ ...e })) : [{ key: 'User-Agent', value: CLOUDFRONT_USER_AGENT }];
  const viewerVia = first(input.headers, 'via');
  out['via'] = [{ key: 'Via', value: viewerVia ? `${viewerVia}, ${input.via}` : input.via }];
  const viewerXff = first(input.headers, 'x-forwarded-for');
  out['x-forwarded-for'] = [{ key: 'X-Forwarded-For', value: viewerXff ? `${viewerXff},${input.clientIp}` : input.clientIp }];
  if (encoding !== undefined) out['accept-encoding'] = [{ key: 'Accept-Encoding', value: encoding }];
  // CloudFront headers: CloudFront's values when a policy names them, whatever the viewer sent.
  for (const [name, value] of Object.entries(input.cloudFrontHeaders)) {
    if (named.has(name)) out[name] = [{ key: canonical(name), value }];
  }
  const cookie = filterCookies(input.headers, unionSets(cachePolicy.cookies, originRequestPolicy?.cookies));
  if (cookie !== undefined) out['cookie'] = [{ key: 'Cookie', value: cookie }];
  const querystring = filterQuery(input.querystring, unionSets(cachePolicy.queryStrings, originRequestPolicy?.queryStrings));
  return { headers: out, querystring };
}

/**
 * The cache key: the path, and the values the cache policy names (headers, cookies, query strings),
 * with Accept-Encoding normalized when the policy enables compressed objects. `method` separates
 * OPTIONS entries (cached only when the behavior caches OPTIONS) from the GET entry that HEAD shares.
 */
export function cacheKey(
  input: Omit<ForwardInput, 'clientIp' | 'via' | 'originDomain' | 'originIsS3'> & { readonly uri: string; readonly method: string },
): string {
  const policy = input.behavior.cachePolicy;
  const parts: string[] = [input.method === 'OPTIONS' ? 'OPTIONS' : 'GET', input.uri];
  for (const name of keyHeaderNames(policy)) {
    const value = name.startsWith('cloudfront-') ? input.cloudFrontHeaders[name] : input.headers[name]?.map((e) => e.value).join(',');
    parts.push(`${name}=${value ?? ''}`);
  }
  if (compressionKeyed(policy)) {
    const encoding = normalizeAcceptEncoding(policy, first(input.headers, 'accept-encoding'));
    // A viewer that accepts neither coding shares the uncompressed entry with one that sent no header.
    parts.push(`accept-encoding=${encoding === undefined || encoding === 'identity' ? '' : encoding}`);
  }
  parts.push(`cookie=${filterCookies(input.headers, policy.cookies) ?? ''}`);
  parts.push(`query=${filterQuery(input.querystring, policy.queryStrings)}`);
  return JSON.stringify(parts);
}

/** Each cache policy's header names, lowercase and sorted, made once (a policy is plain data that does not change). */
const keyHeaders = new WeakMap<CachePolicySpec, readonly string[]>();

function keyHeaderNames(policy: CachePolicySpec): readonly string[] {
  let names = keyHeaders.get(policy);
  if (names === undefined) {
    names = [...lowerSet(policy.headers)].sort();
    keyHeaders.set(policy, names);
  }
  return names;
}

function unionSets(a: ValueSet, b: ValueSet | undefined): (name: string) => boolean {
  const inA = includes(a);
  const inB = b === undefined ? () => false : includes(b);
  return (name) => inA(name) || inB(name);
}

function includes(set: ValueSet): (name: string) => boolean {
  switch (set.behavior) {
    case 'none':
      return () => false;
    case 'all':
      return () => true;
    case 'whitelist':
      return (name) => set.items.includes(name);
    case 'allExcept':
      return (name) => !set.items.includes(name);
  }
}

/** The Cookie header with only the cookies kept (names are case-sensitive), or undefined if none. */
function filterCookies(headers: CloudFrontHeaders, keep: ValueSet | ((name: string) => boolean)): string | undefined {
  if (!Object.hasOwn(headers, 'cookie')) return undefined;
  const test = typeof keep === 'function' ? keep : includes(keep);
  const pairs = (headers['cookie'] ?? [])
    .flatMap((e) => e.value.split(';'))
    .map((pair) => pair.trim())
    .filter((pair) => pair !== '' && test(pair.split('=')[0]!.trim()));
  return pairs.length > 0 ? pairs.join('; ') : undefined;
}

/** The query string with only the parameters kept, in the viewer's order. */
function filterQuery(querystring: string, keep: ValueSet | ((name: string) => boolean)): string {
  if (querystring === '') return '';
  const test = typeof keep === 'function' ? keep : includes(keep);
  return querystring
    .split('&')
    .filter((pair) => pair !== '' && test(decodeName(pair.split('=')[0]!)))
    .join('&');
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    return name;
  }
}

function lowerSet(names: readonly string[]): Set<string> {
  return new Set(names.map((n) => n.toLowerCase()));
}

function first(headers: CloudFrontHeaders, name: string): string | undefined {
  return Object.hasOwn(headers, name) ? headers[name]?.[0]?.value : undefined;
}

/** `cloudfront-viewer-country` -> `CloudFront-Viewer-Country`. */
function canonical(name: string): string {
  return name
    .split('-')
    .map((part) => (part === 'cloudfront' ? 'CloudFront' : part.charAt(0).toUpperCase() + part.slice(1)))
    .join('-');
}

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudFrontHeaders, CloudFrontRequestEvent, CloudFrontResponseEvent } from 'aws-lambda';
import { describe, it, expect } from 'vitest';
import { viewerResponseEvent } from './cloudfront-events.ts';
import { setHeader, removeHeader } from '../../functions/adapters/cloudfront/headers.ts';
import { READ_ONLY_HEADERS, isDisallowedHeader, validateResult, type EventType } from './cloudfront-validate.ts';

type AnyEvent = CloudFrontRequestEvent | CloudFrontResponseEvent;
type Mutable = Record<string, unknown> & { headers: CloudFrontHeaders };

function fixture<T extends AnyEvent>(name: string): T {
  return JSON.parse(readFileSync(join(process.cwd(), 'fixtures/events', name), 'utf8')) as T;
}

const viewerRequest = () => fixture<CloudFrontRequestEvent>('viewer-request-thumbnail.json');
const originRequest = () => fixture<CloudFrontRequestEvent>('origin-request-s3.json');
const originResponse = () => fixture<CloudFrontResponseEvent>('origin-response-404-derived.json');

/** What CloudFront would send a viewer-response function for the thumbnail once it is cached. */
function viewerResponse(): CloudFrontResponseEvent {
  const { request } = viewerRequest().Records[0]!.cf;
  const { response } = fixture<CloudFrontResponseEvent>('origin-response-200-derived.json').Records[0]!.cf;
  setHeader(response.headers, 'via', '1.1 411880e7f3696efa4f9197acf1e7f44b.cloudfront.net (CloudFront)');
  return viewerResponseEvent({ ...request, response });
}

const inputs: Record<EventType, () => AnyEvent> = {
  'viewer-request': viewerRequest,
  'origin-request': originRequest,
  'origin-response': originResponse,
  'viewer-response': viewerResponse,
};
const EVENT_TYPES = Object.keys(inputs) as EventType[];

/** The object a function that changes nothing would return: the request or the response it got. */
function passThrough(input: AnyEvent): Mutable {
  const cf = input.Records[0]!.cf;
  return structuredClone('response' in cf ? cf.response : cf.request) as unknown as Mutable;
}

function rejected(reason: string) {
  return { ok: false, error: 'LambdaValidationError', reason };
}

const textResponse = (status: string, body: string) => ({
  status,
  statusDescription: 'OK',
  headers: { 'content-type': [{ key: 'Content-Type', value: 'text/plain' }] },
  body,
});
const CONTENT_TYPE_BYTES = 'Content-Type'.length + 'text/plain'.length;

describe('accepted results', () => {
  it('viewer-request: the request with a rewritten uri continues', () => {
    const input = viewerRequest();
    const result = passThrough(input);
    result.uri = '/_derived/photos/cat.jpg/128x128-cover-q75.webp';
    result.querystring = '';
    expect(validateResult('viewer-request', input, result)).toEqual({ ok: true, kind: 'request', request: result });
  });

  it('viewer-request: a generated 400 is a response with its body decoded', () => {
    const verdict = validateResult('viewer-request', viewerRequest(), textResponse('400', 'Expected a size'));
    expect(verdict).toMatchObject({ ok: true, kind: 'response', generated: true, response: { status: '400' } });
    expect(verdict.ok && verdict.kind === 'response' && verdict.body?.toString()).toBe('Expected a size');
  });

  it('origin-request: another bucket with its Host header and a geo header', () => {
    const input = originRequest();
    const result = passThrough(input);
    const domainName = 'edge-images-originals-eu.s3.eu-central-1.amazonaws.com';
    result.origin = { s3: { authMethod: 'origin-access-identity', customHeaders: {}, domainName, path: '', region: 'eu-central-1' } };
    setHeader(result.headers, 'host', domainName);
    setHeader(result.headers, 'cloudfront-viewer-country-region', 'BY');
    expect(validateResult('origin-request', input, result)).toMatchObject({ ok: true, kind: 'request' });
  });

  it('origin-request: a switch to the custom origin', () => {
    const input = originRequest();
    const result = passThrough(input);
    result.origin = fixture<CloudFrontRequestEvent>('origin-request-custom.json').Records[0]!.cf.request.origin;
    expect(validateResult('origin-request', input, result)).toMatchObject({ ok: true, kind: 'request' });
  });

  it('origin-response: the 404 turned into a 200 image, read-only headers kept', () => {
    const input = originResponse();
    const image = randomBytes(4000);
    const result = passThrough(input);
    Object.assign(result, { status: 200, statusDescription: 'OK', body: image.toString('base64'), bodyEncoding: 'base64' });
    setHeader(result.headers, 'content-type', 'image/webp');
    setHeader(result.headers, 'cache-control', 'public, max-age=31536000, immutable');
    const verdict = validateResult('origin-response', input, result);
    expect(verdict).toMatchObject({ ok: true, kind: 'response', generated: true, response: { status: '200' } });
    expect(verdict.ok && verdict.kind === 'response' && verdict.body?.equals(image)).toBe(true);
  });

  it('origin-response: the response unchanged keeps the origin body (not generated)', () => {
    const input = originResponse();
    const verdict = validateResult('origin-response', input, passThrough(input));
    expect(verdict).toEqual({ ok: true, kind: 'response', generated: false, response: passThrough(input) });
  });

  it('origin-response: an empty body replaces the origin body', () => {
    const input = originResponse();
    const verdict = validateResult('origin-response', input, { ...passThrough(input), body: '' });
    expect(verdict).toMatchObject({ ok: true, generated: true, body: Buffer.alloc(0) });
  });

  it('viewer-response: an added header, the status given as a number', () => {
    const input = viewerResponse();
    const result = passThrough(input);
    result.status = 200;
    setHeader(result.headers, 'vary', 'Accept');
    expect(validateResult('viewer-response', input, result)).toMatchObject({
      ok: true,
      generated: false,
      response: { status: '200', headers: { vary: [{ key: 'Vary', value: 'Accept' }] } },
    });
  });

  it('a header key differing from its map name only in case', () => {
    const input = viewerRequest();
    const result = passThrough(input);
    result.headers.host = [{ key: 'HOST', value: 'cdn.example.com' }];
    result.headers['x-no-key'] = [{ value: 'ok' }];
    expect(validateResult('viewer-request', input, result).ok).toBe(true);
  });
});

describe('result shape', () => {
  it.each([null, undefined, 'response', 42, []])('rejects %j as a result', (result) => {
    const verdict = validateResult('viewer-request', viewerRequest(), result);
    expect(verdict).toMatchObject({ ok: false, reason: expect.stringMatching(/^the result of viewer-request must be an object/) });
  });

  it('rejects a request returned from a response event', () => {
    const input = originResponse();
    const request = structuredClone(input.Records[0]!.cf.request);
    expect(validateResult('origin-response', input, request)).toEqual(rejected('status must be a number from 200 to 599 but was undefined'));
  });

  it.each([
    ['199', '"199"'],
    ['600', '"600"'],
    [600, '600'],
    [200.5, '200.5'],
    ['2000', '"2000"'],
    ['ok', '"ok"'],
    [' 200', '" 200"'],
  ])('rejects status %j', (status, shown) => {
    expect(validateResult('viewer-request', viewerRequest(), { status })).toEqual(rejected(`status must be a number from 200 to 599 but was ${shown}`));
  });

  it('rejects a uri without a leading slash', () => {
    const input = viewerRequest();
    expect(validateResult('viewer-request', input, { ...passThrough(input), uri: 'photos/cat.jpg' })).toEqual(
      rejected('uri must be a string starting with "/" but was "photos/cat.jpg"'),
    );
  });

  it('rejects a querystring with a leading "?" or a space', () => {
    const input = viewerRequest();
    expect(validateResult('viewer-request', input, { ...passThrough(input), querystring: '?w=1' })).toEqual(rejected('querystring must not start with "?"'));
    expect(validateResult('viewer-request', input, { ...passThrough(input), querystring: 'a=b c' })).toMatchObject({ ok: false });
  });

  it('rejects a changed clientIp', () => {
    const input = viewerRequest();
    expect(validateResult('viewer-request', input, { ...passThrough(input), clientIp: '192.0.2.1' })).toEqual(
      rejected('read-only field "clientIp" was changed in viewer-request'),
    );
  });

  it('rejects an origin with both s3 and custom', () => {
    const input = originRequest();
    const result = passThrough(input);
    const custom = fixture<CloudFrontRequestEvent>('origin-request-custom.json').Records[0]!.cf.request.origin?.custom;
    result.origin = { ...(result.origin as object), custom };
    expect(validateResult('origin-request', input, result)).toEqual(rejected('origin must have exactly one of "s3" or "custom"'));
  });

  it('rejects a body that is not a string, an unknown encoding and invalid base64', () => {
    const input = viewerRequest();
    expect(validateResult('viewer-request', input, { status: '200', body: 12 })).toEqual(rejected('body must be a string but was 12'));
    expect(validateResult('viewer-request', input, { status: '200', body: 'x', bodyEncoding: 'gzip' })).toEqual(
      rejected('bodyEncoding must be "text" or "base64" but was "gzip"'),
    );
    expect(validateResult('viewer-request', input, { status: '200', body: 'not base64!', bodyEncoding: 'base64' })).toEqual(
      rejected('body is not valid base64'),
    );
  });

  it('rejects a 204 with a body in viewer-request', () => {
    expect(validateResult('viewer-request', viewerRequest(), { status: '204', body: 'x' })).toEqual(
      rejected('a generated 204 response in viewer-request must not have a body'),
    );
  });
});

describe('header map shape', () => {
  const cases: [string, unknown, string][] = [
    ['an uppercase map key', { 'Content-Type': [{ value: 'text/plain' }] }, 'header map key "Content-Type" must be lowercase'],
    ['a value that is not an array', { 'content-type': { value: 'text/plain' } }, 'header "content-type" must be an array of {key, value} objects'],
    ['an entry that is not an object', { 'content-type': ['text/plain'] }, 'header "content-type" must be an array of {key, value} objects'],
    ['a non-string value', { 'content-length': [{ value: 12 }] }, 'header "content-length" has a value that is not a string: 12'],
    ['a key that is not a string', { 'content-type': [{ key: 1, value: '1' }] }, 'header "content-type" has a key that is not a string: 1'],
    ['CR LF in a value', { location: [{ value: '/a\r\nSet-Cookie: x=1' }] }, 'header "location" has a value with a control character (CR, LF, NUL, ...)'],
    ['NUL in a value', { location: [{ value: '/a\u0000' }] }, 'header "location" has a value with a control character (CR, LF, NUL, ...)'],
    ['a name that is no HTTP token', { 'bad name': [{ value: '1' }] }, 'header name "bad name" is not a valid HTTP header name'],
  ];

  it.each(cases)('rejects %s', (_, headers, reason) => {
    expect(validateResult('viewer-request', viewerRequest(), { status: '200', headers })).toEqual(rejected(reason));
  });

  it('rejects headers that are not an object', () => {
    const input = viewerRequest();
    expect(validateResult('viewer-request', input, { ...passThrough(input), headers: [] })).toEqual(
      rejected('request headers must be an object but was an array'),
    );
  });
});

describe.each(EVENT_TYPES)('read-only headers in %s', (eventType) => {
  it.each([...READ_ONLY_HEADERS[eventType]])('rejects adding or changing "%s"', (name) => {
    const input = inputs[eventType]();
    const result = passThrough(input);
    const change = name in result.headers ? 'changed' : 'added';
    setHeader(result.headers, name, 'something else');
    expect(validateResult(eventType, input, result)).toEqual(rejected(`read-only header "${name}" was ${change} in ${eventType}`));
  });

  it('rejects removing one that the input had', () => {
    const input = inputs[eventType]();
    const result = passThrough(input);
    const name = READ_ONLY_HEADERS[eventType].find((header) => header in result.headers);
    expect(name).toBeDefined();
    removeHeader(result.headers, name!);
    expect(validateResult(eventType, input, result)).toEqual(rejected(`read-only header "${name}" was removed in ${eventType}`));
  });

  it('accepts them unchanged when other headers change', () => {
    const input = inputs[eventType]();
    const result = passThrough(input);
    setHeader(result.headers, 'x-image-variant', '128x128-cover-q75');
    expect(validateResult(eventType, input, result).ok).toBe(true);
  });
});

describe('disallowed headers', () => {
  const disallowed = [
    'Connection',
    'Expect',
    'Keep-Alive',
    'Proxy-Authorization',
    'Trailer',
    'Upgrade',
    'X-Accel-Redirect',
    'X-Amz-Cf-Id',
    'X-Amz-Cf-Pop',
    'X-Amzn-RequestId',
    'X-Amzn-Cf-Xff',
    'X-Cache',
    'X-Edge-Location',
    'X-Forwarded-Proto',
    'X-Real-IP',
    'CloudFront-Viewer-Cert-PEM',
    'Client-Cert',
    'Client-Cert-Chain',
  ];

  it.each(disallowed)('knows %s', (name) => {
    expect(isDisallowedHeader(name)).toBe(true);
  });

  it.each(['X-Amzn-Trace-Id', 'X-Amz-Meta-Source', 'Cache-Control', 'CloudFront-Viewer-Country'])('allows %s', (name) => {
    expect(isDisallowedHeader(name)).toBe(false);
  });

  it.each(EVENT_TYPES)('rejects adding one in %s', (eventType) => {
    const input = inputs[eventType]();
    const result = passThrough(input);
    setHeader(result.headers, 'x-cache', 'Hit from cloudfront');
    expect(validateResult(eventType, input, result)).toEqual(rejected(`disallowed header "x-cache" was added in ${eventType}`));
  });

  it('rejects one in a generated response and in an origin custom header', () => {
    const generated = { status: '302', headers: { 'x-amz-cf-pop': [{ value: 'FRA56-P1' }] } };
    expect(validateResult('origin-request', originRequest(), generated)).toEqual(rejected('disallowed header "x-amz-cf-pop" was added in origin-request'));
    const input = originRequest();
    const result = passThrough(input);
    result.origin = structuredClone(result.origin);
    setHeader((result.origin as { s3: { customHeaders: CloudFrontHeaders } }).s3.customHeaders, 'x-real-ip', '1.2.3.4');
    expect(validateResult('origin-request', input, result)).toEqual(rejected('disallowed header "x-real-ip" was added in origin-request'));
  });

  it('rejects a geo header invented by a viewer function', () => {
    const input = viewerRequest();
    const result = passThrough(input);
    setHeader(result.headers, 'cloudfront-viewer-country', 'DE');
    expect(validateResult('viewer-request', input, result)).toEqual(rejected('geo header "cloudfront-viewer-country" cannot be added in viewer-request'));
  });
});

describe('viewer-response status', () => {
  it('rejects a changed status', () => {
    const input = viewerResponse();
    expect(validateResult('viewer-response', input, { ...passThrough(input), status: '404' })).toEqual(
      rejected('viewer-response cannot change the status (200 -> 404)'),
    );
  });
});

describe('generated response size (headers + body)', () => {
  const viewerLimit = 40_000;
  const originLimit = 1_000_000;

  it('accepts exactly 40 KB (40,000 bytes) in viewer-request and rejects one byte more', () => {
    const atLimit = textResponse('200', 'a'.repeat(viewerLimit - CONTENT_TYPE_BYTES));
    expect(validateResult('viewer-request', viewerRequest(), atLimit).ok).toBe(true);
    const over = textResponse('200', 'a'.repeat(viewerLimit - CONTENT_TYPE_BYTES + 1));
    expect(validateResult('viewer-request', viewerRequest(), over)).toEqual(
      rejected('generated response is 40001 bytes (headers + body), over the 40000-byte limit for viewer-request'),
    );
  });

  it('counts multi-byte text in bytes', () => {
    const body = 'é'.repeat(viewerLimit / 2); // 2 bytes each in UTF-8
    expect(validateResult('viewer-request', viewerRequest(), textResponse('200', body)).ok).toBe(false);
  });

  it('measures a base64 body encoded, as sent', () => {
    const bytes = randomBytes(30_003); // 40,004 characters once encoded, under 40,000 bytes decoded
    const asBase64 = { status: '200', body: bytes.toString('base64'), bodyEncoding: 'base64' };
    expect(validateResult('viewer-request', viewerRequest(), asBase64)).toEqual(
      rejected('generated response is 40004 bytes (headers + body), over the 40000-byte limit for viewer-request'),
    );
    expect(validateResult('viewer-request', viewerRequest(), { status: '200', body: 'a'.repeat(30_003) }).ok).toBe(true);
  });

  it('allows 1 MB in origin events: a 100 KB generated origin-request response passes', () => {
    expect(validateResult('origin-request', originRequest(), textResponse('200', 'a'.repeat(100 * 1024))).ok).toBe(true);
  });

  it('rejects an origin-response body over 1 MB and accepts one under it', () => {
    const input = originResponse();
    const withBody = (bytes: number) => ({
      ...passThrough(input),
      status: '200',
      body: randomBytes(bytes).toString('base64'),
      bodyEncoding: 'base64',
    });
    // 749,000 bytes are 998,668 base64 characters: under 1,000,000 with the headers; 750,000 are 1,000,000 alone.
    const under = validateResult('origin-response', input, withBody(749_000));
    expect(under).toMatchObject({ ok: true, generated: true });
    expect(under.ok && under.kind === 'response' && under.body?.length).toBe(749_000);

    const over = validateResult('origin-response', input, withBody(750_000));
    expect(over).toMatchObject({ ok: false, reason: expect.stringMatching(new RegExp(`over the ${originLimit}-byte limit for origin-response$`)) });
  });

  it('does not count an origin-response that keeps the origin body', () => {
    const input = originResponse();
    const verdict = validateResult('origin-response', input, passThrough(input), {
      generatedResponseBytes: { viewer: 1, origin: 1 },
      replacedBodyBytes: { viewer: 1, origin: 1 },
    });
    expect(verdict).toMatchObject({ ok: true, generated: false });
  });

  it('honours given limits', () => {
    const limits = { generatedResponseBytes: { viewer: 100, origin: 1000 }, replacedBodyBytes: { viewer: 100, origin: 1000 } };
    expect(validateResult('viewer-request', viewerRequest(), textResponse('200', 'a'.repeat(100)), limits).ok).toBe(false);
    expect(validateResult('origin-request', originRequest(), textResponse('200', 'a'.repeat(100)), limits).ok).toBe(true);
  });
});

describe('conformance with the documented rules', () => {
  /** An origin-request result that switches to the custom origin, with `change` applied to it. */
  function customOrigin(change: (custom: Record<string, unknown>) => void) {
    const input = originRequest();
    const result = passThrough(input);
    const origin = structuredClone(fixture<CloudFrontRequestEvent>('origin-request-custom.json').Records[0]!.cf.request.origin!) as unknown as {
      custom: Record<string, unknown>;
    };
    change(origin.custom);
    result.origin = origin;
    return validateResult('origin-request', input, result);
  }

  it('[fn.key-case] accepts what AWS example functions return: a lowercase key, a standard-case key, no key', () => {
    // "Dynamically route to an S3 origin": request.headers['host'] = [{ key: 'host', value: s3DomainName }].
    const input = originRequest();
    const result = passThrough(input);
    result.headers['host'] = [{ key: 'host', value: 'edge-images-originals-eu.s3.eu-west-1.amazonaws.com' }];
    expect(validateResult('origin-request', input, result).ok).toBe(true);
    // "Adding HTTP security headers": standard case, and a name written without a key.
    const response = viewerResponse();
    const secured = passThrough(response);
    secured.headers['strict-transport-security'] = [{ key: 'Strict-Transport-Security', value: 'max-age=63072000; includeSubdomains; preload' }];
    secured.headers['x-xss-protection'] = [{ key: 'X-XSS-Protection', value: '1; mode=block' }];
    secured.headers['content-security-policy'] = [{ value: "default-src 'none'" }];
    expect(validateResult('viewer-response', response, secured).ok).toBe(true);
  });

  it('[fn.key-other-name] accepts AWS\'s "Overriding a response header": an entry copied, key and all, under another map name, which names the header', () => {
    // lambda-examples.html: headers['last-modified'] = [headers['x-amz-meta-last-modified'][0]].
    const input = originResponse();
    setHeader(input.Records[0]!.cf.response.headers, 'X-Amz-Meta-Last-Modified', 'Thu, 01 Jan 2026 00:00:00 GMT');
    const result = passThrough(input);
    result.headers['last-modified'] = [result.headers['x-amz-meta-last-modified']![0]!];
    const verdict = validateResult('origin-response', input, result);
    expect(verdict).toMatchObject({ ok: true, kind: 'response' });
    const headers = verdict.ok && verdict.kind === 'response' ? verdict.response.headers : {};
    expect(headers?.['last-modified']).toEqual([{ key: 'last-modified', value: 'Thu, 01 Jan 2026 00:00:00 GMT' }]);
    // The map name decides, so a key cannot smuggle a disallowed header past the checks: added under
    // a disallowed map name it is refused, under an ordinary one it goes out under that name.
    const viewer = viewerRequest();
    const smuggled = passThrough(viewer);
    smuggled.headers['x-note'] = [{ key: 'Connection', value: 'close' }];
    const accepted = validateResult('viewer-request', viewer, smuggled);
    expect(accepted.ok && accepted.kind === 'request' && accepted.request.headers['x-note']).toEqual([{ key: 'x-note', value: 'close' }]);
    const direct = passThrough(viewer);
    direct.headers['connection'] = [{ key: 'x-note', value: 'close' }];
    expect(validateResult('viewer-request', viewer, direct)).toEqual(rejected('disallowed header "connection" was added in viewer-request'));
  });

  it('[fn.disallowed] refuses exactly the documented disallowed headers: the four X-Accel names, not every X-Accel-*', () => {
    for (const name of [
      'X-Accel-Buffering',
      'X-Accel-Charset',
      'X-Accel-Limit-Rate',
      'X-Accel-Redirect',
      'X-Amz-Cf-Anything',
      'X-Edge-Anything',
      'X-Amzn-Cf-Billing',
    ]) {
      expect(isDisallowedHeader(name), name).toBe(true);
    }
    for (const name of ['X-Accel-Expires', 'X-Amzn-Trace-Id', 'X-Amz-Meta-Owner', 'X-Forwarded-For', 'Via']) expect(isDisallowedHeader(name), name).toBe(false);
    const input = originResponse();
    const result = passThrough(input);
    setHeader(result.headers, 'x-accel-expires', '60');
    expect(validateResult('origin-response', input, result).ok).toBe(true);
  });

  it('[fn.viewer-country] refuses only CloudFront-Viewer-Country added in viewer-request', () => {
    const input = viewerRequest();
    const city = passThrough(input);
    setHeader(city.headers, 'cloudfront-viewer-city', 'Berlin');
    setHeader(city.headers, 'cloudfront-is-mobile-viewer', 'true');
    expect(validateResult('viewer-request', input, city).ok).toBe(true);
    const country = passThrough(input);
    setHeader(country.headers, 'cloudfront-viewer-country', 'DE');
    expect(validateResult('viewer-request', input, country)).toEqual(rejected('geo header "cloudfront-viewer-country" cannot be added in viewer-request'));
    const response = viewerResponse();
    const echoed = passThrough(response);
    setHeader(echoed.headers, 'cloudfront-viewer-country', 'DE');
    expect(validateResult('viewer-response', response, echoed).ok).toBe(true);
  });

  it('[fn.origin-fields] checks the documented constraints on domain, port, protocol, path and timeouts', () => {
    expect(customOrigin(() => undefined).ok).toBe(true);
    expect(customOrigin((c) => Object.assign(c, { port: 8443, protocol: 'https', path: '/v1/images', readTimeout: 4, keepaliveTimeout: 60 })).ok).toBe(true);
    const refused: [string, (c: Record<string, unknown>) => void][] = [
      ['an IP address', (c) => (c.domainName = '203.0.113.9')],
      ['a colon', (c) => (c.domainName = 'origin.example.com:8080')],
      ['254 characters', (c) => (c.domainName = `${'a'.repeat(250)}.com`)],
      ['port 65536', (c) => (c.port = 65536)],
      ['port 1023', (c) => (c.port = 1023)],
      ['protocol ftp', (c) => (c.protocol = 'ftp')],
      ['a path ending in /', (c) => (c.path = '/images/')],
      ['a path without a leading /', (c) => (c.path = 'images')],
      ['a 256-character path', (c) => (c.path = `/${'a'.repeat(255)}`)],
      ['readTimeout 3', (c) => (c.readTimeout = 3)],
      ['keepaliveTimeout 61', (c) => (c.keepaliveTimeout = 61)],
      ['sslProtocols TLSv1.3', (c) => (c.sslProtocols = ['TLSv1.3'])],
    ];
    for (const [what, change] of refused) expect(customOrigin(change).ok, what).toBe(false);
    const input = originRequest();
    const s3 = passThrough(input);
    s3.origin = {
      s3: { authMethod: 'origin-access-identity', customHeaders: {}, domainName: 'Bucket.s3.eu-west-1.amazonaws.com', path: '', region: 'eu-west-1' },
    };
    expect(validateResult('origin-request', input, s3).ok).toBe(false);
    s3.origin = { s3: { authMethod: 'origin-access-identity', customHeaders: {}, domainName: 'bucket.s3.eu-west-1.amazonaws.com', path: '' } };
    expect(validateResult('origin-request', input, s3)).toEqual(rejected('origin.s3.region is required when authMethod is "origin-access-identity"'));
    s3.origin = { s3: { authMethod: 'none', customHeaders: {}, domainName: 'bucket.s3.eu-west-1.amazonaws.com', path: '/prefix' } };
    expect(validateResult('origin-request', input, s3).ok).toBe(true);
  });

  it('[fn.custom-header-denylist] refuses origin custom headers CloudFront cannot add or that the request already has', () => {
    expect(customOrigin((c) => (c.customHeaders = { 'x-origin-token': [{ key: 'X-Origin-Token', value: 's3cr3t' }] })).ok).toBe(true);
    for (const name of ['cache-control', 'cookie', 'range', 'x-amz-date', 'pragma']) {
      expect(
        customOrigin((c) => (c.customHeaders = { [name]: [{ value: '1' }] })),
        name,
      ).toMatchObject({ ok: false, reason: `origin custom header "${name}" is one CloudFront cannot add to origin requests` });
    }
    expect(customOrigin((c) => (c.customHeaders = { 'user-agent': [{ value: 'x' }] }))).toEqual(
      rejected('origin custom header "user-agent" is also in the request headers'),
    );
  });

  it('[fn.body-replace] refuses a replaced body over the quota (40 KB / 1 MB text, 53.2 KB / 1.33 MB base64) with a 502, never truncates it, and refuses invalid base64', () => {
    const input = viewerRequest();
    const replace = (data: string, encoding?: string) => ({ ...passThrough(input), body: { action: 'replace', data, ...(encoding ? { encoding } : {}) } });
    const atText = validateResult('viewer-request', input, replace('a'.repeat(40_000), 'text'));
    expect(atText.ok && atText.kind === 'request' && atText.replacedBody?.length).toBe(40_000);
    expect(validateResult('viewer-request', input, replace('a'.repeat(40_001), 'text'))).toEqual(
      rejected('replaced request body is 40001 bytes, over the 40000-byte limit for viewer-request'),
    );
    const bytes = randomBytes(39_900); // 53,200 base64 characters: 53.2 KB
    const base64 = validateResult('viewer-request', input, replace(bytes.toString('base64')));
    expect(base64.ok && base64.kind === 'request' && base64.replacedBody?.equals(bytes)).toBe(true);
    expect(validateResult('viewer-request', input, replace(randomBytes(39_903).toString('base64')))).toEqual(
      rejected('replaced request body is 53204 base64 characters, over the 53200-character limit for viewer-request'),
    );
    const origin = originRequest();
    const overOrigin = validateResult('origin-request', origin, {
      ...passThrough(origin),
      body: { action: 'replace', data: 'a'.repeat(1_000_001), encoding: 'text' },
    });
    expect(overOrigin).toEqual(rejected('replaced request body is 1000001 bytes, over the 1000000-byte limit for origin-request'));
    const small = validateResult('origin-request', originRequest(), {
      ...passThrough(originRequest()),
      body: { action: 'replace', data: 'name=value', encoding: 'text' },
    });
    expect(small.ok && small.kind === 'request' && small.replacedBody?.toString()).toBe('name=value');
    expect(validateResult('viewer-request', input, replace('not base64!'))).toEqual(rejected('request body data is not valid base64'));
    const readOnly = validateResult('viewer-request', input, { ...passThrough(input), body: { action: 'read-only', data: 'ignored', encoding: 'text' } });
    expect(readOnly.ok && readOnly.kind === 'request' && readOnly.replacedBody).toBeUndefined();
  });
  it('[fn.read-only] refuses a change to a read-only header in each event, and keeps the documented lists', () => {
    expect(READ_ONLY_HEADERS['viewer-request']).toEqual(expect.arrayContaining(['content-length', 'host', 'transfer-encoding', 'via']));
    expect(READ_ONLY_HEADERS['origin-request']).toEqual(
      expect.arrayContaining([
        'accept-encoding',
        'content-length',
        'if-modified-since',
        'if-none-match',
        'if-range',
        'if-unmodified-since',
        'transfer-encoding',
        'via',
      ]),
    );
    expect(READ_ONLY_HEADERS['origin-response']).toEqual(expect.arrayContaining(['transfer-encoding', 'via']));
    expect(READ_ONLY_HEADERS['viewer-response']).toEqual(expect.arrayContaining(['warning', 'via']));
    for (const eventType of EVENT_TYPES) {
      const input = inputs[eventType]();
      const result = passThrough(input);
      setHeader(result.headers, 'via', '1.1 forged.example (proxy)');
      expect(validateResult(eventType, input, result), eventType).toMatchObject({ ok: false, reason: expect.stringContaining('read-only header "via"') });
    }
  });

  it('[quota.generated-size] caps a generated response at 40 KB (40,000 bytes) in viewer events and 1 MB (1,000,000) in origin events, base64 counted encoded', () => {
    const sized = (bytes: number) => ({ status: '200', headers: {}, body: 'a'.repeat(bytes) });
    expect(validateResult('viewer-request', viewerRequest(), sized(40_000)).ok).toBe(true);
    expect(validateResult('viewer-request', viewerRequest(), sized(40_001)).ok).toBe(false);
    expect(validateResult('origin-request', originRequest(), sized(1_000_000)).ok).toBe(true);
    expect(validateResult('origin-request', originRequest(), sized(1_000_001)).ok).toBe(false);
    // 750,000 bytes decoded are 1,000,000 characters encoded: at the cap; 750,003 are over it.
    const base64 = (bytes: number) => ({ status: '200', headers: {}, body: Buffer.alloc(bytes).toString('base64'), bodyEncoding: 'base64' });
    expect(validateResult('origin-request', originRequest(), base64(750_000)).ok).toBe(true);
    expect(validateResult('origin-request', originRequest(), base64(750_003)).ok).toBe(false);
  });
});

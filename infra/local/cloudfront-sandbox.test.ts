import { beforeAll, describe, expect, it } from 'vitest';
import { CloudFrontFunctionTooLarge, buildCloudFrontFunction } from '../build/cloudfront-function.ts';
import { MAX_FUNCTION_BYTES } from '../build/cloudfront-runtime.ts';
import { imageRequestConfig } from '../config.ts';
import { toCfHeaders } from '../../functions/adapters/cloudfront/headers.ts';
import { functionViewerRequestEvent, viewerRequestEvent } from './cloudfront-events.ts';
import { loadCloudFrontFunction } from './cloudfront-sandbox.ts';
import { CloudFrontFunctionRefused, checkFunctionCode } from './cloudfront-syntax.ts';
import type { CfOutcome } from './cloudfront-sandbox.ts';

const CHROMIUM_ACCEPT = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';

function event(uri: string, querystring?: string, headers: [string, string][] = [['Accept', CHROMIUM_ACCEPT]], method = 'GET') {
  const lambda = viewerRequestEvent({
    method,
    uri,
    querystring: querystring ?? '',
    headers: toCfHeaders([['Host', 'cdn.example.com'], ...headers]),
    clientIp: '192.0.2.1',
    requestId: 'test-request',
  });
  return functionViewerRequestEvent(lambda, querystring !== undefined);
}

/** A function's source, as it would be pasted in the console (test data, run only in the sandbox). */
const fn = (body: string) => `function handler(event) {\n${body}\n}`;

async function runSource(source: string, e = event('/a.jpg')): Promise<CfOutcome> {
  const loaded = loadCloudFrontFunction(source);
  try {
    return await loaded.run(e);
  } finally {
    await loaded.close();
  }
}

describe('the image-request CloudFront Function build', () => {
  let code: string;
  let bytes: number;
  beforeAll(async () => {
    ({ code, bytes } = await buildCloudFrontFunction({ root: '.', config: imageRequestConfig() }));
  });

  it('fits the 10 KB quota and is one script with a top-level handler', () => {
    expect(bytes).toBeLessThanOrEqual(MAX_FUNCTION_BYTES);
    expect(code).toMatch(/function handler\([\w$]+\)/);
    expect(code).not.toMatch(/\bexport\b|\bimport\b|\brequire\(/);
  });

  it('is refused by the build, with the largest inputs named, above the limit', async () => {
    const attempt = buildCloudFrontFunction({ root: '.', config: imageRequestConfig(), maxBytes: 4096 });
    await expect(attempt).rejects.toBeInstanceOf(CloudFrontFunctionTooLarge);
    await expect(attempt).rejects.toThrow(
      /^Expected a CloudFront Function of at most 4096 bytes .* for image-request but received \d+ bytes; largest inputs: functions\/core\/grammar\.ts \d+ B/,
    );
  });

  it('rewrites the path form to the canonical URI, negotiating AVIF, and drops the query', async () => {
    const outcome = await loadCloudFrontFunction(code).run(event('/128x128/photos/cat.jpg', 'fm=auto'));
    expect(outcome).toMatchObject({ ok: true, kind: 'request', request: { uri: '/_derived/photos/cat.jpg/128x128-cover-q75.avif', querystring: {} } });
  });

  it('leaves an original and its query string as they are', async () => {
    const outcome = await loadCloudFrontFunction(code).run(event('/photos/cat.jpg', 'v=2'));
    expect(outcome).toMatchObject({ ok: true, kind: 'request', request: { uri: '/photos/cat.jpg', querystring: { v: { value: '2' } } } });
  });

  it('answers bad parameters with a 400 generated in the function, and logs one line', async () => {
    const lines: string[] = [];
    const outcome = await loadCloudFrontFunction(code, { log: (l) => lines.push(l) }).run(event('/photos/cat.jpg', 'w=129&h=128'));
    expect(outcome).toMatchObject({ ok: true, kind: 'response', response: { statusCode: 400 } });
    const response = (outcome as Extract<CfOutcome, { kind: 'response' }>).response;
    expect(response.body).toEqual({
      encoding: 'text',
      data: expect.stringMatching(/^400 Bad Request: Expected one of the allowed sizes \(.*\) for size but received "129x128"\n$/),
    });
    expect(response.headers?.['cache-control']).toEqual({ value: 'public, max-age=60' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ fn: 'image-request', outcome: 'rejected', status: 400, requestId: 'test-request' });
  });

  it('refuses a private key on the public behavior with a 403', async () => {
    const outcome = await loadCloudFrontFunction(code).run(event('/private/vault.jpg', 'w=160'));
    expect(outcome).toMatchObject({ ok: true, kind: 'response', response: { statusCode: 403 } });
  });
});

describe('the sandbox: what cloudfront-js-2.0 lacks fails here as in AWS', () => {
  it.each([
    ['Map', 'new Map()'],
    ['Set', 'new Set()'],
    ['URLSearchParams', "new URLSearchParams('a=1')"],
    ['process', 'process.env'],
    ['setTimeout', 'setTimeout(() => {}, 1)'],
    ['fetch', "fetch('https://example.com')"],
    ['structuredClone', 'structuredClone({})'],
    ['Array.from', 'Array.from([1])'],
    ['Object.hasOwn', 'Object.hasOwn({}, "a")'],
    ['Object.fromEntries', 'Object.fromEntries([])'],
  ])('%s: a FunctionExecutionError (503 at CloudFront)', async (_, expression) => {
    const outcome = await runSource(fn(`${expression};\nreturn event.request;`));
    expect(outcome).toMatchObject({ ok: false, error: 'FunctionExecutionError', reason: expect.stringMatching(/ReferenceError|TypeError/) });
  });

  it('eval and the Function constructor throw', async () => {
    expect(await runSource(fn("eval('1');\nreturn event.request;"))).toMatchObject({
      ok: false,
      error: 'FunctionExecutionError',
      reason: expect.stringMatching(/EvalError/),
    });
    expect(await runSource(fn("new Function('a', 'return a');\nreturn event.request;"))).toMatchObject({ ok: false, error: 'FunctionExecutionError' });
  });

  it('what the page lists works: querystring and crypto modules, Buffer, TextEncoder, atob, String methods', async () => {
    const source = fn(`
      const qs = require('querystring');
      const crypto = require('crypto');
      const parsed = qs.parse('a=1&a=2&b=x');
      const digest = crypto.createHash('sha256').update('abc').digest('hex');
      const bytes = new TextEncoder().encode('é').length;
      const b64 = Buffer.from('hi').toString('base64');
      event.request.headers['x-check'] = { value: [parsed.a.join('+'), digest.slice(0, 8), bytes, b64, atob('aGk='), 'ab'.padStart(4, '-'), 'x'.charCodeAt(0)].join(' ') };
      return event.request;`);
    const outcome = await runSource(source);
    expect(outcome).toMatchObject({ ok: true, kind: 'request', request: { headers: { 'x-check': { value: '1+2 ba7816bf 2 aGk= hi --ab 120' } } } });
  });

  it('a module the runtime does not offer cannot be required', async () => {
    expect(await runSource(fn("require('fs');\nreturn event.request;"))).toMatchObject({
      ok: false,
      error: 'FunctionExecutionError',
      reason: expect.stringMatching(/Cannot find module 'fs'/),
    });
  });

  it('Date stands still during a run', async () => {
    const source = fn(`
      const first = Date.now();
      let spin = 0;
      for (let i = 0; i < 2e6; i++) spin += i;
      event.request.headers['x-same'] = { value: String(first === Date.now() && first === new Date().getTime() && spin > 0) };
      return event.request;`);
    expect(await runSource(source)).toMatchObject({ ok: true, request: { headers: { 'x-same': { value: 'true' } } } });
  });

  it('refuses, when the function is created, syntax the page does not list', () => {
    expect(() => checkFunctionCode(`class A {}\n${fn('return event.request;')}`)).toThrow(CloudFrontFunctionRefused);
    expect(() => checkFunctionCode(fn('const { uri } = event.request;\nreturn event.request;'))).toThrow(/destructuring, which it does not list/);
    expect(() => checkFunctionCode(fn('for (const k of [1]) {}\nreturn event.request;'))).toThrow(CloudFrontFunctionRefused);
    expect(() => checkFunctionCode(fn('return event?.request;'))).toThrow(/does not list/);
    expect(() => checkFunctionCode(fn('return { ...event.request };'))).toThrow(/does not list/);
    // What it lists passes: const/let, arrows, template literals, rest parameters, async/await, **.
    expect(() =>
      checkFunctionCode(
        `async function handler(event) {\n  const f = (...a) => a.length ** 2;\n  let s = \`\${f(1, 2)}\`;\n  await Promise.resolve(s);\n  return event.request;\n}`,
      ),
    ).not.toThrow();
  });

  it('refuses code over 10 KB when the function is created', () => {
    const big = fn(`const padding = '${'x'.repeat(MAX_FUNCTION_BYTES)}';\nreturn event.request;`);
    expect(() => loadCloudFrontFunction(big)).toThrow(/^Expected a function of at most 10000 bytes \(CloudFront Functions quota\) but received \d+ bytes$/);
  });

  it.each([
    ['the method (read-only)', "event.request.method = 'POST';"],
    ['a uri without a leading slash', "event.request.uri = 'a.jpg';"],
    ['an uppercase header name', "event.request.headers['X-Up'] = { value: '1' };"],
    ['a header without { value }', "event.request.headers['x-bad'] = '1';"],
    ['the read-only Host header', "event.request.headers['host'] = { value: 'evil.example.com' };"],
    ['a disallowed header', "event.request.headers['x-amz-cf-id'] = { value: '1' };"],
  ])('changing %s: a FunctionValidationError (502 at CloudFront)', async (_, statement) => {
    expect(await runSource(fn(`${statement}\nreturn event.request;`))).toMatchObject({ ok: false, error: 'FunctionValidationError' });
  });

  it('a response needs an integer statusCode', async () => {
    expect(await runSource(fn("return { statusCode: '302' };"))).toMatchObject({ ok: false, error: 'FunctionValidationError' });
    expect(await runSource(fn("return { statusCode: 302, headers: { location: { value: '/b' } } };"))).toMatchObject({ ok: true, kind: 'response' });
  });

  it("the event has CloudFront Functions' shape: lowercase headers, multiValue repeats, cookies apart", () => {
    const e = event('/a.jpg', 'w=1&w=2', [
      ['Accept', 'image/webp'],
      ['X-Many', 'a'],
      ['X-Many', 'b'],
      ['Cookie', 'k=v; other=1'],
    ]);
    expect(e.request.headers['accept']).toEqual({ value: 'image/webp' });
    expect(e.request.headers['x-many']).toEqual({ value: 'a', multiValue: [{ value: 'a' }, { value: 'b' }] });
    expect(e.request.headers['cookie']).toBeUndefined();
    expect(e.request.cookies).toEqual({ k: { value: 'v' }, other: { value: '1' } });
    expect(e.request.querystring).toEqual({ w: { value: '1', multiValue: [{ value: '1' }, { value: '2' }] } });
    expect(e.request.rawQueryString()).toBe('w=1&w=2');
  });
});

describe('runtime 2.0 exactly: what AWS refuses is refused here', () => {
  it('[cff.strict-mode] runs every function in strict mode: an undeclared assignment throws, `this` is undefined, a frozen write throws', async () => {
    expect(await runSource(fn('undeclared = 1;\nreturn event.request;'))).toMatchObject({
      ok: false,
      error: 'FunctionExecutionError',
      reason: expect.stringMatching(/ReferenceError: undeclared is not defined/),
    });
    const thisIs = await runSource(fn("event.request.headers['x-this'] = { value: String((function () { return this; })()) };\nreturn event.request;"));
    expect(thisIs).toMatchObject({ ok: true, request: { headers: { 'x-this': { value: 'undefined' } } } });
    expect(await runSource(fn('const o = Object.freeze({ a: 1 });\no.a = 2;\nreturn event.request;'))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/TypeError: Cannot assign to read only property/),
    });
  });

  it('[cff.async] refuses async closures and async arguments when the function is created, and runs a top-level async handler', async () => {
    expect(() => checkFunctionCode('async function handler(event) {\n  const f = async () => 1;\n  return event.request;\n}')).toThrow(
      /an async closure \(an async function inside another function\)/,
    );
    expect(() => checkFunctionCode('function handler(event) {\n  async function inner() {}\n  return event.request;\n}')).toThrow(/an async closure/);
    expect(() => checkFunctionCode('function run(f) { return f; }\nrun(async function () {});\nfunction handler(event) { return event.request; }')).toThrow(
      /an async function as an argument/,
    );
    // AWS's own key value store examples: a top-level async handler that awaits.
    const outcome = await runSource(
      "async function helper(v) {\n  return v + 1;\n}\nasync function handler(event) {\n  const n = await helper(1);\n  event.request.headers['x-n'] = { value: String(n) };\n  return event.request;\n}",
    );
    expect(outcome).toMatchObject({ ok: true, request: { headers: { 'x-n': { value: '2' } } } });
  });

  it('[cff.base64-body] answers a generated response whose base64 body does not decode with a FunctionValidationError', async () => {
    expect(await runSource(fn("return { statusCode: 200, body: { encoding: 'base64', data: 'not base64!' } };"))).toMatchObject({
      ok: false,
      error: 'FunctionValidationError',
      reason: 'Expected valid base64 for body.data but received text that does not decode',
    });
    expect(await runSource(fn("return { statusCode: 200, body: { encoding: 'base64', data: 'aGk=' } };"))).toMatchObject({ ok: true, kind: 'response' });
  });

  it('[cff.raw-query-string] rawQueryString() answers "" for /page? and undefined for /page, as the helper page says', async () => {
    const source = fn("event.request.headers['x-raw'] = { value: String(event.request.rawQueryString()) };\nreturn event.request;");
    expect(await runSource(source, event('/page', ''))).toMatchObject({ ok: true, request: { headers: { 'x-raw': { value: '' } } } });
    expect(await runSource(source, event('/page'))).toMatchObject({ ok: true, request: { headers: { 'x-raw': { value: 'undefined' } } } });
    expect(await runSource(source, event('/page', 'a=1'))).toMatchObject({ ok: true, request: { headers: { 'x-raw': { value: 'a=1' } } } });
  });
});

describe('runtime 2.0 exactly: Buffer and typed arrays', () => {
  const value = async (expression: string) => {
    const outcome = await runSource(fn(`event.request.headers['x-v'] = { value: String(${expression}) };\nreturn event.request;`));
    return outcome.ok && outcome.kind === 'request' ? outcome.request.headers['x-v']?.value : outcome;
  };

  it('[cff.buffer] offers the listed encodings (utf8, hex, base64, base64url) and refuses the others', async () => {
    expect(await value("Buffer.from('hé', 'utf8').toString('hex')")).toBe('68c3a9');
    expect(await value("Buffer.from('68c3a9', 'hex').toString('base64url')")).toBe('aMOp');
    expect(await value("Buffer.from('aMOp', 'base64').toString()")).toBe('hé');
    expect(await value("Buffer.isEncoding('latin1') + ' ' + Buffer.isEncoding('base64url')")).toBe('false true');
    for (const encoding of ['latin1', 'ascii', 'utf16le', 'binary', 'ucs2']) {
      expect(await value(`Buffer.from('a', '${encoding}').length`), encoding).toMatchObject({
        ok: false,
        error: 'FunctionExecutionError',
        reason: `the function threw: TypeError: Unknown encoding: ${encoding}`,
      });
      expect(await value(`Buffer.from('a').toString('${encoding}')`)).toMatchObject({ ok: false, reason: expect.stringContaining('Unknown encoding') });
    }
  });

  it('[cff.buffer] offers the listed Buffer methods only', async () => {
    expect(await value("Buffer.concat([Buffer.from('a'), Buffer.alloc(1, 98)]).toString() + Buffer.byteLength('é')")).toBe('ab2');
    expect(await value('Buffer.from([1, 2, 3, 4]).readUInt16BE(1)')).toBe('515');
    expect(await value("Buffer.isBuffer(Buffer.from('a')) + ' ' + Buffer.from('abc').subarray(1).toString()")).toBe('true bc');
    expect(await value("require('crypto').createHash('sha1').update(Buffer.from('abc')).digest().toString('hex').slice(0, 8)")).toBe('a9993e36');
    for (const member of [
      'Buffer.allocUnsafeSlow',
      "Buffer.from('a').readBigUInt64LE",
      "Buffer.from('a').toLocaleString",
      "Buffer.from('a').readUint8",
      "Buffer.from('a').at",
    ]) {
      expect(await value(`typeof ${member}`), member).toBe('undefined');
    }
  });

  it('[cff.typed-arrays] keeps the listed typed array methods and removes the newer ones from their shared prototype', async () => {
    expect(await value('new Uint8Array([3, 1, 2]).sort().join(",") + " " + Int16Array.from([1, 2]).map((x) => x * 2).join(",")')).toBe('1,2,3 2,4');
    for (const member of ['at', 'entries', 'keys', 'values', 'findLast', 'toReversed', 'toSorted', 'with']) {
      expect(await value(`typeof new Uint8Array(1).${member} + typeof new Float64Array(1).${member}`), member).toBe('undefinedundefined');
    }
    // TextEncoder's bytes are the runtime's typed arrays too.
    expect(await value("typeof new TextEncoder().encode('a').at + new TextDecoder().decode(new TextEncoder().encode('é'))")).toBe('undefinedé');
  });
});

/**
 * Functions written here in the patterns of AWS's published CloudFront Functions examples
 * (github.com/aws-samples/amazon-cloudfront-functions: url-rewrite-single-page-apps,
 * redirect-based-on-country, add-true-client-ip-header, normalize-query-string, verify-jwt): the
 * strict sandbox still runs what AWS's own code does.
 */
describe("AWS's published example patterns still run", () => {
  it('rewrites a directory URI to index.html, and a URI without an extension', async () => {
    const source = `function handler(event) {
    var request = event.request;
    var uri = request.uri;
    if (uri.endsWith('/')) {
        request.uri += 'index.html';
    } else if (!uri.includes('.')) {
        request.uri += '/index.html';
    }
    return request;
}`;
    expect(await runSource(source, event('/docs/'))).toMatchObject({ ok: true, request: { uri: '/docs/index.html' } });
    expect(await runSource(source, event('/docs'))).toMatchObject({ ok: true, request: { uri: '/docs/index.html' } });
  });

  it('redirects by a header with a 302 built as a response object, and adds the viewer IP as a header', async () => {
    const source = `function handler(event) {
    var headers = event.request.headers;
    var host = headers.host.value;
    if (headers['x-country'] && headers['x-country'].value === 'DE') {
        return { statusCode: 302, statusDescription: 'Found', headers: { location: { value: \`https://\${host}/de/index.html\` } } };
    }
    event.request.headers['true-client-ip'] = { value: event.viewer.ip };
    return event.request;
}`;
    expect(await runSource(source, event('/', undefined, [['X-Country', 'DE']]))).toMatchObject({
      ok: true,
      kind: 'response',
      response: { statusCode: 302, headers: { location: { value: 'https://cdn.example.com/de/index.html' } } },
    });
    expect(await runSource(source, event('/'))).toMatchObject({ ok: true, request: { headers: { 'true-client-ip': { value: '192.0.2.1' } } } });
  });

  it('normalizes the query string: names lowercased and sorted, returned as a string', async () => {
    const source = `function handler(event) {
    var qs = [];
    for (var key in event.request.querystring) {
        qs.push(key.toLowerCase() + '=' + event.request.querystring[key].value);
    }
    event.request.querystring = qs.sort().join('&');
    return event.request;
}`;
    expect(await runSource(source, event('/a.jpg', 'B=2&a=1'))).toMatchObject({ ok: true, request: { querystring: 'a=1&b=2' } });
  });

  it('verifies an HS256 token with crypto and base64url, in an async handler', async () => {
    const source = `var crypto = require('crypto');
var key = 'LzdWGpAToQ1DqYuzHxE6YOqi7G3X2yvNBot9mCXfx5k';
function sign(input) {
    return crypto.createHmac('sha256', key).update(input).digest('base64url');
}
async function handler(event) {
    var token = event.request.querystring.jwt && event.request.querystring.jwt.value;
    var parts = token ? token.split('.') : [];
    if (parts.length !== 3 || sign(parts[0] + '.' + parts[1]) !== parts[2]) {
        return { statusCode: 401, statusDescription: 'Unauthorized' };
    }
    var payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    event.request.headers['x-user'] = { value: String(payload.sub) };
    return event.request;
}`;
    const { createHmac } = await import('node:crypto');
    const head = Buffer.from('{"alg":"HS256"}').toString('base64url');
    const body = Buffer.from('{"sub":"alice"}').toString('base64url');
    const signature = createHmac('sha256', 'LzdWGpAToQ1DqYuzHxE6YOqi7G3X2yvNBot9mCXfx5k').update(`${head}.${body}`).digest('base64url');
    expect(await runSource(source, event('/a.jpg', `jwt=${head}.${body}.${signature}`))).toMatchObject({
      ok: true,
      request: { headers: { 'x-user': { value: 'alice' } } },
    });
    expect(await runSource(source, event('/a.jpg', `jwt=${head}.${body}.forged`))).toMatchObject({ ok: true, kind: 'response', response: { statusCode: 401 } });
  });
});

describe('globals node adds by its own flags', () => {
  it('a global that cannot be deleted (--expose-gc gives every context a gc) is overwritten with undefined', async () => {
    const { setFlagsFromString } = await import('node:v8');
    setFlagsFromString('--expose-gc');
    expect((await import('node:vm')).runInNewContext('typeof gc')).toBe('function');
    const outcome = await runSource(fn("event.request.headers['x-gc'] = { value: typeof gc };\nreturn event.request;"));
    expect(outcome).toMatchObject({ ok: true, request: { headers: { 'x-gc': { value: 'undefined' } } } });
  });
});

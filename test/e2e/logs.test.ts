/**
 * The log contract (functions/core/log.ts, README "Logs"): every function invocation writes exactly
 * one JSON line, with the same requestId across the functions of one viewer request, the documented
 * fields and types, and the internal detail of a failure in the log and never in the answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../../functions/core/log.ts';
import type { RequestTrace } from '../../infra/local/edge.ts';
import { startLocalStack } from '../../infra/local-stack.ts';
import type { LocalStack } from '../../infra/local-stack.ts';
import { signUrl, testKey } from '../../infra/tools/signer.ts';
import { ACCEPT_WEBP, get, rawGet } from '../support/http.ts';

let stack: LocalStack;
const logs: LogLine[] = [];
const traces: RequestTrace[] = [];
const bodies = new Map<string, string>();

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, log: (line) => logs.push(line), onTrace: (trace) => traces.push(trace) });
  const key = testKey('RSA-2048');
  const signed = new URL(
    signUrl({ url: `${stack.edge.url}/private/vault.jpg?w=320`, expires: new Date(Date.now() + 600_000), keyPairId: key.id, privateKey: key.privateKey }),
  );
  const requests: [string, Record<string, string>?][] = [
    ['/photos/cat.jpg'],
    ['/128x128/photos/cat.jpg', { Accept: ACCEPT_WEBP }],
    ['/128x128/photos/cat.jpg', { Accept: ACCEPT_WEBP }],
    ['/100x100/photos/cat.jpg'],
    ['/photos/%2e%2e/x.jpg?w=320'],
    ['/128x128/photos/missing.jpg', { Accept: ACCEPT_WEBP }],
    ['/private/vault.jpg'],
    [`${signed.pathname}${signed.search}`],
    ['/256x256/photos/cat.jpg?fm=jpg', { 'x-local-viewer-country': 'DE' }],
  ];
  for (const [path, headers] of requests) {
    const response = await rawGet(stack.edge.url, path, headers);
    bodies.set(response.headers.get('x-amz-cf-id') ?? path, response.body.toString('latin1'));
  }
  // Served by S3 once stored: image-resize passes it on (outcome derived-stored).
  stack.edge.cache.invalidate('/_derived/*');
  await get(`${stack.edge.url}/128x128/photos/cat.jpg`, { Accept: ACCEPT_WEBP });
});
afterAll(() => stack?.close());

describe('one JSON line per invocation', () => {
  it('every function that ran for a request wrote exactly one line, with that request id', () => {
    const functionLines = logs.filter((l) => l.fn !== 'image-origin' && l.fn !== 'derived-cleanup');
    let invocations = 0;
    for (const trace of traces) {
      for (const run of trace.functions) {
        invocations++;
        const mine = functionLines.filter((l) => l.requestId === trace.requestId && l.fn === run.fn);
        expect(mine.length, `${run.fn} on ${trace.uri}`).toBe(trace.functions.filter((f) => f.fn === run.fn).length);
      }
    }
    expect(functionLines).toHaveLength(invocations);
    expect(new Set(functionLines.map((l) => l.fn))).toEqual(new Set(['image-request', 'signed-url', 'geo-route', 'image-resize']));
  });

  it('has the documented fields and types, and nothing a terminal or a log parser would trip on', () => {
    for (const line of logs) {
      const text = JSON.stringify(line);
      expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
      expect(typeof line.fn).toBe('string');
      expect(line.requestId.length).toBeGreaterThan(10);
      expect(typeof line.uri).toBe('string');
      expect(line.outcome).toMatch(/^[a-z][a-z-]*$/);
      expect(line.ms).toBeGreaterThanOrEqual(0);
      if (line.status !== undefined) expect(Number.isInteger(line.status)).toBe(true);
      if (line.status !== undefined && line.status >= 400) expect(typeof line.detail).toBe('string');
    }
  });

  it('image-resize says what it read, made and stored', () => {
    const resized = logs.find((l) => l.fn === 'image-resize' && l.outcome === 'resized')!;
    expect(resized).toMatchObject({ status: 200, stored: 'stored' });
    expect(resized.sourceBytes).toBeGreaterThan(resized.outputBytes!);
    expect(resized.outputBytes).toBeGreaterThan(0);
    expect(logs.filter((l) => l.fn === 'image-resize').map((l) => l.outcome)).toEqual(expect.arrayContaining(['resized', 'error', 'passed', 'derived-stored']));
  });

  it('keeps the internal detail of a refusal in the log, out of the answer', () => {
    const refusals = logs.filter((l) => (l.status ?? 0) >= 400 && l.fn !== 'image-origin');
    expect(refusals.length).toBeGreaterThanOrEqual(4);
    for (const line of refusals) {
      const body = bodies.get(line.requestId);
      expect(body, line.uri).toBeDefined();
      // Internal particulars (bucket names, reasons) are in the log line; the viewer got the public message.
      if (line.detail && /edge-images-originals|protected prefix|missing:|bad-signature/.test(line.detail)) expect(body).not.toContain(line.detail);
    }
  });
});

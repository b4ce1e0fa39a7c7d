/**
 * How long a CloudFront Function's globals live in the local sandbox: by default nothing survives a
 * run; with `contextRuns` one context serves that many runs, and a run that throws leaves nothing behind. Node flags that add
 * undeletable globals (`--expose-externalize-string` adds `x`) do not stop the function's own
 * top-level `var` of the same name.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { toCfHeaders } from '../../functions/adapters/cloudfront/headers.ts';
import { functionViewerRequestEvent, viewerRequestEvent } from './cloudfront-events.ts';
import { loadCloudFrontFunction } from './cloudfront-sandbox.ts';
import type { CfOutcome } from './cloudfront-sandbox.ts';

const event = (uri = '/a.jpg') =>
  functionViewerRequestEvent(
    viewerRequestEvent({ method: 'GET', uri, querystring: '', headers: toCfHeaders([['Host', 'cdn.example.com']]), clientIp: '192.0.2.1', requestId: 'test' }),
  );

/** Counts its runs in a global and says the count in a header; throws when the URI asks. */
const COUNTER = `var runs = 0;
function handler(event) {
  runs = runs + 1;
  if (event.request.uri === '/throw') throw new Error('asked to');
  event.request.headers['x-runs'] = { value: String(runs) };
  return event.request;
}`;

function runsSeen(outcome: CfOutcome): string | undefined {
  return outcome.ok && outcome.kind === 'request' ? outcome.request.headers['x-runs']?.value : undefined;
}

describe('the context of a CloudFront Function', () => {
  it('keeps globals for contextRuns runs, then starts fresh', async () => {
    const fn = loadCloudFrontFunction(COUNTER, { contextRuns: 3 });
    const seen: (string | undefined)[] = [];
    for (let i = 0; i < 7; i++) seen.push(runsSeen(await fn.run(event())));
    expect(seen).toEqual(['1', '2', '3', '1', '2', '3', '1']);
  });

  it('keeps nothing from one run to the next by default (AWS does not say that anything survives)', async () => {
    const fn = loadCloudFrontFunction(COUNTER, { timeoutMs: 0 });
    const seen: (string | undefined)[] = [];
    for (let i = 0; i < 5; i++) seen.push(runsSeen(await fn.run(event())));
    expect(seen).toEqual(['1', '1', '1', '1', '1']);
  });

  it('gives a fresh context to the run after one that threw', async () => {
    const fn = loadCloudFrontFunction(COUNTER, { contextRuns: 50 });
    expect(runsSeen(await fn.run(event()))).toBe('1');
    expect(runsSeen(await fn.run(event()))).toBe('2');
    const thrown = event('/throw');
    expect(await fn.run(thrown)).toMatchObject({ ok: false, error: 'FunctionExecutionError' });
    expect(runsSeen(await fn.run(event()))).toBe('1');
  });

  it('runs code whose top-level var shares its name with a global a node flag adds', async () => {
    // A child node with the flag: `x` is an undeletable global there, and the function defines its own.
    const script = `
      const { loadCloudFrontFunction, functionViewerRequestEvent, viewerRequestEvent } = await import(${JSON.stringify(path.resolve(import.meta.dirname, '../../.build/sandbox-flags-test.mjs'))});
      const fn = loadCloudFrontFunction('var x = function (r) { return r; };\\nfunction handler(event) { return x(event.request); }');
      const lambda = viewerRequestEvent({ method: 'GET', uri: '/a.jpg', querystring: '', headers: { host: [{ key: 'Host', value: 'h' }] }, clientIp: '192.0.2.1', requestId: 't' });
      const outcome = await fn.run(functionViewerRequestEvent(lambda));
      console.log(JSON.stringify({ ok: outcome.ok, kind: outcome.kind, flagAddedX: typeof globalThis.x }));`;
    const { build } = await import('esbuild');
    await build({
      stdin: {
        contents:
          "export { loadCloudFrontFunction } from './cloudfront-sandbox.ts'; export { functionViewerRequestEvent, viewerRequestEvent } from './cloudfront-events.ts';",
        resolveDir: import.meta.dirname,
        loader: 'ts',
      },
      outfile: path.resolve(import.meta.dirname, '../../.build/sandbox-flags-test.mjs'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'silent',
    });
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-externalize-string', '--input-type=module', '-e', script], {
      cwd: path.resolve(import.meta.dirname, '../..'),
    });
    expect(JSON.parse(stdout.trim())).toEqual({ ok: true, kind: 'request', flagAddedX: 'function' });
  });
});

/**
 * What a CloudFront Function's run leaves behind in the local sandbox: nothing. Its top-level `var`,
 * `let` and `const` start afresh every run, a write to the global object is gone by the next run,
 * and a run that throws leaves nothing either. A run past its time or its heap is stopped, and the
 * runs queued behind it are answered by a fresh thread. Node flags that add undeletable globals
 * (`--expose-externalize-string` adds `x`) do not stop the function's own top-level `var` of that name.
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
  it("[cff.state] keeps nothing of the function's own state from one run to the next (AWS does not say that anything survives)", async () => {
    const fn = loadCloudFrontFunction(COUNTER);
    const seen: (string | undefined)[] = [];
    for (let i = 0; i < 5; i++) seen.push(runsSeen(await fn.run(event())));
    await fn.close();
    expect(seen).toEqual(['1', '1', '1', '1', '1']);
  });

  it('keeps nothing in let, const or the objects they hold, nor in the global object', async () => {
    const fn = loadCloudFrontFunction(`let lets = 0;
const kept = { runs: 0 };
function handler(event) {
  lets = lets + 1;
  kept.runs = kept.runs + 1;
  globalThis.written = (globalThis.written || 0) + 1;
  event.request.headers['x-runs'] = { value: [lets, kept.runs, globalThis.written].join(',') };
  return event.request;
}`);
    const seen: (string | undefined)[] = [];
    for (let i = 0; i < 3; i++) seen.push(runsSeen(await fn.run(event())));
    await fn.close();
    expect(seen).toEqual(['1,1,1', '1,1,1', '1,1,1']);
  });

  it('keeps nothing of a run that threw', async () => {
    const fn = loadCloudFrontFunction(COUNTER);
    expect(await fn.run(event('/throw'))).toMatchObject({ ok: false, error: 'FunctionExecutionError', reason: 'the function threw: Error: asked to' });
    expect(runsSeen(await fn.run(event()))).toBe('1');
    await fn.close();
  });

  it('[cff.compute] stops a run past its time, and answers the runs queued behind it from a fresh thread', async () => {
    const fn = loadCloudFrontFunction(
      `function handler(event) {
  if (event.request.uri === '/spin') for (;;) {}
  event.request.headers['x-runs'] = { value: '1' };
  return event.request;
}`,
      { timeoutMs: 200 },
    );
    const [spun, queued] = await Promise.all([fn.run(event('/spin')), fn.run(event())]);
    expect(spun).toEqual({ ok: false, error: 'FunctionExecutionError', reason: 'the function ran past 200 ms and was stopped' });
    expect(runsSeen(queued)).toBe('1');
    expect(runsSeen(await fn.run(event()))).toBe('1');
    await fn.close();
  });

  it("stops a run that exhausts its thread's heap, and serves the next", async () => {
    const fn = loadCloudFrontFunction(`function handler(event) {
  if (event.request.uri === '/grow') { var all = []; for (;;) all.push('x'.repeat(1024) + all.length); }
  event.request.headers['x-runs'] = { value: '1' };
  return event.request;
}`);
    const grown = await fn.run(event('/grow'));
    expect(grown).toMatchObject({ ok: false, error: 'FunctionExecutionError' });
    expect(grown.ok === false && grown.reason).toMatch(/thread/);
    expect(runsSeen(await fn.run(event()))).toBe('1');
    await fn.close();
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

import { readFileSync } from 'node:fs';
import type { CloudFrontRequestEvent, CloudFrontRequestResult, CloudFrontResultResponse } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { validateResult } from '../../infra/local/cloudfront-validate.ts';
import type { LogLine } from '../core/log.ts';
import { imageRequestConfig } from '../../infra/config.ts';
import { createHandler } from './handler.ts';

function event(name: string): CloudFrontRequestEvent {
  return JSON.parse(readFileSync(`fixtures/events/${name}.json`, 'utf8')) as CloudFrontRequestEvent;
}

async function run(input: CloudFrontRequestEvent, logs: LogLine[] = []) {
  const sent = structuredClone(input);
  const result = await createHandler(imageRequestConfig(), { log: (l) => logs.push(l) })(input);
  const validated = validateResult('viewer-request', sent, result);
  expect(validated).toMatchObject({ ok: true });
  return result as CloudFrontRequestResult;
}

describe('image-request on captured viewer-request events', () => {
  it('rewrites the path form to the canonical URI, negotiating AVIF for Chromium', async () => {
    const logs: LogLine[] = [];
    const result = await run(event('viewer-request-thumbnail'), logs);
    expect(result).toMatchObject({ uri: '/_derived/photos/cat.jpg/128x128-cover-q75.avif', querystring: '' });
    expect(logs).toEqual([expect.objectContaining({ fn: 'image-request', outcome: 'derived-negotiated', uri: '/128x128/photos/cat.jpg' })]);
  });

  it('rewrites the query form to the same URI and drops the query', async () => {
    const result = await run(event('viewer-request-query'));
    expect(result).toMatchObject({ uri: '/_derived/photos/cat.jpg/128x128-cover-q75.avif', querystring: '' });
  });

  it('leaves an original untouched', async () => {
    const input = event('viewer-request-thumbnail');
    input.Records[0]!.cf.request.uri = '/photos/cat.jpg';
    input.Records[0]!.cf.request.querystring = 'v=2';
    expect(await run(input)).toMatchObject({ uri: '/photos/cat.jpg', querystring: 'v=2' });
  });

  it('lets a CORS preflight through unchanged', async () => {
    const input = event('viewer-request-thumbnail');
    (input.Records[0]!.cf.request as { method: string }).method = 'OPTIONS';
    input.Records[0]!.cf.request.querystring = 'w=1';
    expect(await run(input)).toMatchObject({ uri: '/128x128/photos/cat.jpg', querystring: 'w=1' });
  });

  it('refuses a protected key for every method, a preflight included, whatever its spelling', async () => {
    const spellings = [
      '/private/vault.jpg',
      '/private%2Fvault.jpg',
      '/%70rivate/vault.jpg',
      '/%70RIVATE/../private/vault.jpg',
      '/thumb/private/vault.jpg',
      '/128x128/private%2Fvault.jpg',
      '/_derived/private/vault.jpg/128x128-cover-q75.webp',
      '/%5Fderived%2Fprivate%2Fvault.jpg/128x128-cover-q75.webp',
      '/_derived/photos/../private/vault.jpg/128x128-cover-q75.webp',
      '/photos/%2e%2e/private/vault.jpg',
      '/./private/vault.jpg',
    ];
    const methods = ['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'options', 'Get'];
    const answers: string[] = [];
    for (const method of methods) {
      for (const uri of spellings) {
        const input = event('viewer-request-thumbnail');
        (input.Records[0]!.cf.request as { method: string }).method = method;
        input.Records[0]!.cf.request.uri = uri;
        input.Records[0]!.cf.request.querystring = '';
        const result = (await run(input)) as CloudFrontResultResponse;
        // 403 for the protected key, 400 where the spelling itself is refused (dot segments): never passed on.
        answers.push(`${method} ${uri} ${result.status ?? 'passed'}`);
      }
    }
    const passed = answers.filter((a) => !/ (403|400)$/.test(a));
    expect(passed).toEqual([]);
    // The decoded spellings of the key itself are the protected-prefix refusal, for OPTIONS too.
    expect(answers).toContain('OPTIONS /private%2Fvault.jpg 403');
    expect(answers).toContain('OPTIONS /%5Fderived%2Fprivate%2Fvault.jpg/128x128-cover-q75.webp 403');
    expect(answers).toContain('options /private/vault.jpg 403');
    expect(answers).toContain('OPTIONS /photos/%2e%2e/private/vault.jpg 400');
    expect(answers).toContain('OPTIONS /thumb/private/vault.jpg 403');
  });

  it('answers bad parameters itself with a 400 and a clear message, within the viewer limits', async () => {
    const input = event('viewer-request-query');
    input.Records[0]!.cf.request.querystring = 'w=129&h=128';
    const logs: LogLine[] = [];
    const result = (await run(input, logs)) as CloudFrontResultResponse;
    expect(result.status).toBe('400');
    expect(result.headers?.['content-type']?.[0]?.value).toBe('text/plain; charset=utf-8');
    expect(result.body).toMatch(/^400 Bad Request: Expected one of the allowed sizes \(.*\) for size but received "129x128"\n$/);
    expect(result.body).not.toMatch(/at .*\.ts/);
    expect(logs[0]).toMatchObject({ outcome: 'rejected', status: 400 });
  });
});

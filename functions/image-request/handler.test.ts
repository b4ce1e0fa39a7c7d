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

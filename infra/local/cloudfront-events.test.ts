import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudFrontRequestEvent, CloudFrontResponseEvent } from 'aws-lambda';
import { describe, it, expect } from 'vitest';
import {
  copyEventData,
  newRequestId,
  originRequestEvent,
  originResponseEvent,
  viewerRequestEvent,
  viewerResponseEvent,
  type EventOrigin,
} from './cloudfront-events.ts';

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(process.cwd(), 'fixtures/events', name), 'utf8')) as T;
}

describe('newRequestId', () => {
  it('is 56 characters of base64url ending in "==", fresh each time', () => {
    const id = newRequestId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{54}==$/);
    expect(newRequestId()).not.toBe(id);
  });
});

describe('event builders', () => {
  it('rebuild each captured fixture exactly from its parts', () => {
    const viewer = fixture<CloudFrontRequestEvent>('viewer-request-query.json');
    const v = viewer.Records[0]!.cf;
    expect(viewerRequestEvent({ ...v.request, ...v.config })).toEqual(viewer);

    for (const name of ['origin-request-s3.json', 'origin-request-custom.json']) {
      const origin = fixture<CloudFrontRequestEvent>(name);
      const o = origin.Records[0]!.cf;
      expect(originRequestEvent({ ...o.request, origin: o.request.origin as EventOrigin, ...o.config })).toEqual(origin);
    }

    const response = fixture<CloudFrontResponseEvent>('origin-response-404-derived.json');
    const r = response.Records[0]!.cf;
    expect(originResponseEvent({ ...r.request, origin: r.request.origin as EventOrigin, response: r.response, ...r.config })).toEqual(response);
  });

  it('give viewer events no origin and origin-response events the request with its origin', () => {
    const origin: EventOrigin = {
      s3: { authMethod: 'none', customHeaders: {}, domainName: 'b.s3.amazonaws.com', path: '' },
    };
    const response = { status: '200', statusDescription: 'OK', headers: {} };
    const viewerReq = viewerRequestEvent({ clientIp: '198.51.100.7', uri: '/a.jpg' }).Records[0]!.cf;
    const viewerRes = viewerResponseEvent({ clientIp: '198.51.100.7', uri: '/a.jpg', response }).Records[0]!.cf;
    const originRes = originResponseEvent({ clientIp: '198.51.100.7', uri: '/a.jpg', origin, response }).Records[0]!.cf;

    expect(viewerReq.request).toEqual({ clientIp: '198.51.100.7', headers: {}, method: 'GET', querystring: '', uri: '/a.jpg' });
    expect(viewerReq.config).toMatchObject({ distributionDomainName: 'd111111abcdef8.cloudfront.net', eventType: 'viewer-request' });
    expect(viewerReq.config.requestId).toHaveLength(56);
    expect('origin' in viewerRes.request).toBe(false);
    expect(viewerRes.config.eventType).toBe('viewer-response');
    expect(originRes.request.origin).toEqual(origin);
    expect(originRes.response).toEqual(response);
  });

  it('copy their inputs, so a function mutating the event cannot touch the caller', () => {
    const headers = { host: [{ key: 'Host', value: 'cdn.example.com' }] };
    const event = viewerRequestEvent({ clientIp: '198.51.100.7', uri: '/a.jpg', headers });
    event.Records[0]!.cf.request.headers.host![0]!.value = 'evil.example';
    expect(headers.host[0]!.value).toBe('cdn.example.com');
  });

  it('keep a request body only on request events', () => {
    const body = { action: 'read-only' as const, data: 'e30=', encoding: 'base64' as const, inputTruncated: false };
    const request = viewerRequestEvent({ clientIp: '198.51.100.7', method: 'POST', uri: '/a', body }).Records[0]!.cf.request;
    expect(request.body).toEqual(body);
    const response = { status: '200', statusDescription: 'OK', headers: {} };
    const viewerRes = viewerResponseEvent({ clientIp: '198.51.100.7', uri: '/a', body, response }).Records[0]!.cf;
    expect('body' in viewerRes.request).toBe(false);
  });
});

describe('copyEventData', () => {
  it('copies event data deeply, in key order, sharing nothing with its input', () => {
    const event = viewerRequestEvent({
      clientIp: '198.51.100.7',
      uri: '/a.jpg',
      headers: {
        accept: [{ key: 'Accept', value: 'image/webp' }],
        'x-two': [
          { key: 'X-Two', value: '1' },
          { key: 'X-Two', value: '2' },
        ],
      },
    });
    const copy = copyEventData(event);
    expect(copy).toEqual(event);
    expect(JSON.stringify(copy)).toBe(JSON.stringify(event));
    copy.Records[0]!.cf.request.headers['x-two']![1]!.value = 'changed';
    copy.Records[0]!.cf.request.uri = '/b.jpg';
    expect(event.Records[0]!.cf.request.headers['x-two']![1]!.value).toBe('2');
    expect(event.Records[0]!.cf.request.uri).toBe('/a.jpg');
  });

  it("keeps a header named __proto__ as an own entry, never as the copy's prototype", () => {
    const headers = JSON.parse('{"__proto__":[{"key":"__proto__","value":"x"}]}') as Record<string, { key: string; value: string }[]>;
    const copy = copyEventData(headers);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value).toEqual([{ key: '__proto__', value: 'x' }]);
  });

  it('hands what is not plain data to structuredClone: a Date is copied, a cycle kept, a function refused', () => {
    const when = new Date(0);
    const dated = copyEventData({ when });
    expect(dated.when).toEqual(when);
    expect(dated.when).not.toBe(when);
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    const copied = copyEventData(cyclic);
    expect(copied.self).toBe(copied);
    expect(copied).not.toBe(cyclic);
    expect(() => copyEventData({ run: () => 1 })).toThrow(/could not be cloned/);
  });
});

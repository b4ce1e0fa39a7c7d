import type { CloudFrontHeaders } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { EdgeCache, isFrozenByCache } from './cache.ts';

describe('EdgeCache', () => {
  it('freezes what it stores, header entries and all, so nothing derived from a cached object goes stale', () => {
    let now = 1_000;
    const cache = new EdgeCache(() => now);
    const headers: CloudFrontHeaders = { 'content-type': [{ key: 'Content-Type', value: 'image/webp' }] };
    expect(isFrozenByCache(headers)).toBe(false);
    cache.set('k', { status: 200, headers, body: Buffer.from('x'), path: '/a', ttlMs: 60_000 });
    now += 1_500;
    const hit = cache.get('k')!;
    expect(hit.ageSeconds).toBe(1);
    expect(hit.object.headers).toBe(headers);
    expect(isFrozenByCache(hit.object.headers)).toBe(true);
    expect(() => {
      hit.object.headers['content-type']![0]!.value = 'text/html';
    }).toThrow(TypeError);
    expect(() => {
      hit.object.headers['x-added'] = [{ key: 'X-Added', value: '1' }];
    }).toThrow(TypeError);
    expect(() => hit.object.headers['content-type']!.push({ key: 'Content-Type', value: 'text/html' })).toThrow(TypeError);
    expect(cache.get('k')!.object.headers).toEqual({ 'content-type': [{ key: 'Content-Type', value: 'image/webp' }] });
  });

  it('stores nothing with a TTL of 0 and freezes nothing then', () => {
    const cache = new EdgeCache(() => 0);
    const headers: CloudFrontHeaders = {};
    cache.set('k', { status: 502, headers, body: Buffer.alloc(0), path: '/a', ttlMs: 0 });
    expect(cache.get('k')).toBeUndefined();
    expect(Object.isFrozen(headers)).toBe(false);
  });
});
